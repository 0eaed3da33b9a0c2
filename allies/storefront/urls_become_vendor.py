""" "Devenir vendeur": a company applies to sell (included by storefront/urls.py)."""

from django.urls import path  # noqa: F401

urlpatterns: list = []
