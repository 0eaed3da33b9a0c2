from django.urls import path

from allies.reviews import views

app_name = "reviews"
urlpatterns = [
    path("compte/avis/", views.mine, name="mine"),
    path("compte/avis/commande/<int:vendor_order_id>/", views.order_form, name="order_form"),
    path(
        "compte/avis/commande/<int:vendor_order_id>/article/<int:line_id>/",
        views.line_review,
        name="line_review",
    ),
    path(
        "compte/avis/commande/<int:vendor_order_id>/vendeur/",
        views.vendor_review,
        name="vendor_review",
    ),
    path("avis/produit/<slug:slug>/", views.product_list, name="product_list"),
    path("avis/<int:pk>/signaler/", views.report, name="report"),
    path("avis/photos/<int:pk>/", views.photo, name="photo"),
]
