"""The portal's "Paiements" page: wallet, KYC documents, bank account (included by
vendor_portal/urls.py)."""

from django.urls import path  # noqa: F401

urlpatterns: list = []
