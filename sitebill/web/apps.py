from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "sitebill.web"
    label = "web"
