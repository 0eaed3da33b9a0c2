from django.urls import path

from allies.checkout import views

app_name = "checkout"
urlpatterns = [
    path("livraison/", views.delivery, name="delivery"),
    path("facturation/", views.billing, name="billing"),
    path("paiement/", views.review, name="review"),
    path("payer/", views.pay, name="pay"),
    path("<str:reference>/", views.payment_result, name="payment_result"),
]
