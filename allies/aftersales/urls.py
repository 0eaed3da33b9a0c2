"""The customer's return pages (French paths, also under /en/), under the account."""

from django.urls import path

from allies.aftersales import views

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
]
