"""The portal's commission invoices (included by vendor_portal/urls.py)."""

from django.urls import path  # noqa: F401

urlpatterns: list = []
