from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "sitebill.notifications"
    label = "notifications"
