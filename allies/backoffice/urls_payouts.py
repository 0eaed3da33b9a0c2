"""The console's payouts: runs, the staff button, each payout (included by backoffice/urls.py)."""

from django.urls import path

from allies.backoffice import payouts

urlpatterns = [
    path("", payouts.payout_list, name="payouts"),
    path("lancer/", payouts.payout_run_view, name="payout_run"),
    path("<int:pk>/", payouts.payout_detail, name="payout"),
    path("<int:pk>/relancer/", payouts.payout_retry_view, name="payout_retry"),
]
