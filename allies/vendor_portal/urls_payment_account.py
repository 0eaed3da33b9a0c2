"""The portal's "Paiements" page: wallet, KYC documents, bank account (included by
vendor_portal/urls.py)."""

from django.urls import path

from allies.vendor_portal import payment_account

urlpatterns = [
    path("", payment_account.payment_account, name="payment_account"),
    path("documents/", payment_account.payment_account_document, name="payment_account_document"),
]
