from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "sitebill.core"
    label = "core"
