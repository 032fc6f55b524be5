from django.apps import AppConfig


class ContractsConfig(AppConfig):
    name = "sitebill.contracts"
    label = "contracts"
