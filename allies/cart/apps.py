from django.apps import AppConfig


class CartConfig(AppConfig):
    name = "allies.cart"
