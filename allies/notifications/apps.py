from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "allies.notifications"
