"""Carrier-facing endpoints (outside the language prefixes): /transporteurs/…"""

from django.urls import path

from allies.orders import webhooks

app_name = "carriers"
urlpatterns = [
    path("<slug:adapter>/webhook/", webhooks.carrier_webhook, name="carrier_webhook"),
]
