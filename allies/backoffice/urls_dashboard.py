"""The operator's dashboards (included by backoffice/urls.py)."""

from django.urls import path

from allies.backoffice import dashboard

urlpatterns = [
    path("", dashboard.dashboard, name="dashboard"),
]
