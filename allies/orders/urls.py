from django.urls import path

from allies.orders import views

app_name = "orders"
urlpatterns = [
    # "Mes achats", the customer's orders, under /compte/achats/ (ACC-8).
    path("", views.purchases, name="purchases"),
    path("<str:reference>/", views.detail, name="detail"),
    path("<str:reference>/annuler/", views.cancel, name="cancel"),
    # "Annuler des articles": lines the vendor has not accepted yet (ORD-5).
    path(
        "<str:reference>/annuler/<int:vendor_order_id>/",
        views.cancel_lines,
        name="cancel_lines",
    ),
]
