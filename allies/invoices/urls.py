from django.urls import path

from allies.invoices import views

app_name = "invoices"
urlpatterns = [
    # "Ma facture" of one vendor order (INV-1, INV-2).
    path("commande/<int:vendor_order_id>/", views.download, name="download"),
    # Any invoice or credit note of the customer's, by id (credit notes are listed apart).
    path("document/<int:invoice_id>/", views.document, name="document"),
]
