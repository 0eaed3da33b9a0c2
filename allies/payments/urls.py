"""Payment URLs, mounted at /paiement/ outside the language prefix (providers call them)."""

from django.urls import path

from allies.payments import views

app_name = "payments"
urlpatterns = [
    path("sandbox/<str:token>/", views.sandbox_card, name="sandbox_card"),
    path("sandbox/<str:token>/3ds/", views.sandbox_challenge, name="sandbox_challenge"),
    path("retour/", views.payment_return, {"outcome": "return"}, name="return"),
    path("erreur/", views.payment_return, {"outcome": "error"}, name="error"),
    path("annulation/", views.payment_return, {"outcome": "cancel"}, name="cancel"),
    path("notifications/<str:gateway>/", views.payment_notification, name="notification"),
]
