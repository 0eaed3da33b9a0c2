"""The console's payouts: runs, the staff button, each payout (included by backoffice/urls.py)."""

from django.urls import path  # noqa: F401

urlpatterns: list = []
