from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "sitebill.api"
    label = "api"
