from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "sitebill.billing"
    label = "billing"
