"""The console's vendor pages: applications ("Devenir vendeur"), suspension (included by
backoffice/urls.py)."""

from django.urls import path  # noqa: F401

urlpatterns: list = []
