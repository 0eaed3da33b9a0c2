"""Carrier-facing endpoints (outside the language prefixes): /transporteurs/…"""

from django.urls import path

from allies.shipping import views

app_name = "shipping"
urlpatterns = [
    path("<slug:adapter>/webhook/", views.carrier_webhook, name="carrier_webhook"),
]
