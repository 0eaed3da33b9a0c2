"""The console's commission rates with dates of effect (included by backoffice/urls.py)."""

from django.urls import path  # noqa: F401

urlpatterns: list = []
