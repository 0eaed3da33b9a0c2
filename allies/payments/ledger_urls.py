"""The vendor's "Relevé" page, mounted at /vendeur/releve/ (French) and /en/vendeur/releve/."""

from django.urls import path

from allies.payments import ledger_views

app_name = "ledger"
urlpatterns = [
    path("", ledger_views.statement, name="statement"),
]
