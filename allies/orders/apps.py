from django.apps import AppConfig


class OrdersConfig(AppConfig):
    name = "allies.orders"
