from django.apps import AppConfig


class ErpConfig(AppConfig):
    name = "sitebill.erp"
    label = "erp"
