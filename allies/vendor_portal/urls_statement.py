"""The portal's "Relevé": the statement by month, its CSV and PDF (included by
vendor_portal/urls.py)."""

from django.urls import path

from allies.vendor_portal import views

urlpatterns = [
    path("", views.statement, name="statement"),
]
