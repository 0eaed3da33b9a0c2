"""Payments: see allies/payments/services.py."""
