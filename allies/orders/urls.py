from django.urls import path

from allies.orders import views

app_name = "orders"
urlpatterns = [
    # "Mes achats", the customer's orders, under /compte/achats/ (ACC-8).
    path("", views.purchases, name="purchases"),
    path("<str:reference>/", views.detail, name="detail"),
    path("<str:reference>/annuler/", views.cancel, name="cancel"),
]
