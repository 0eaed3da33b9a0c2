from django.urls import path

from allies.orders import views

app_name = "orders"
urlpatterns = [
    path("<str:reference>/", views.detail, name="detail"),
    path("<str:reference>/annuler/", views.cancel, name="cancel"),
]
