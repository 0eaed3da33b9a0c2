from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "allies.accounts"
