"""The customer's return pages (French paths, also under /en/), under the account."""

from django.urls import path

from allies.aftersales import cancellation_views, claim_views, delivery_views, views

app_name = "aftersales"
urlpatterns = [
    path(
        "compte/achats/<str:reference>/retour/<int:vendor_order_id>/",
        views.request_form,
        name="request",
    ),
    # What the emails link to.
    path("compte/retours/<int:return_id>/", views.return_detail, name="return"),
    path("compte/retours/<int:return_id>/bon-de-retour/", views.label_issue, name="label_issue"),
    path("compte/retours/<int:return_id>/bon-de-retour.pdf", views.label_pdf, name="label_pdf"),
    path("compte/retours/<int:return_id>/envoi/", views.dispatch_declare, name="dispatch"),
    path("compte/retours/<int:return_id>/annuler/", views.cancel, name="cancel"),
    # After-sales claims (SAV-1…4).
    path(
        "compte/achats/<str:reference>/reclamation/<int:vendor_order_id>/",
        claim_views.claim_form,
        name="claim_request",
    ),
    path("compte/reclamations/<int:claim_id>/", claim_views.claim_detail, name="claim"),
    path(
        "compte/reclamations/<int:claim_id>/enlevement/",
        claim_views.pickup_choose,
        name="claim_pickup",
    ),
    path(
        "compte/reclamations/<int:claim_id>/bon-de-retour.pdf",
        claim_views.label_pdf,
        name="claim_label_pdf",
    ),
    path("compte/reclamations/<int:claim_id>/annuler/", claim_views.cancel, name="claim_cancel"),
    # Cancelling accepted articles: a request the vendor confirms before shipping (ORD-5).
    path(
        "compte/achats/<str:reference>/annulation/<int:vendor_order_id>/",
        cancellation_views.request_form,
        name="cancellation_request",
    ),
    # "Modifier la livraison": recipient, address, or a request to change it (ORD-6).
    path(
        "compte/achats/<str:reference>/livraison/<int:vendor_order_id>/",
        delivery_views.delivery_change,
        name="delivery_change",
    ),
]
