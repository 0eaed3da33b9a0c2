from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "allies.demo"
    verbose_name = "Demo data"
