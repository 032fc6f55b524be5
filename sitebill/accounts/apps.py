from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "sitebill.accounts"
    label = "accounts"
