"""The ERP queue in the Django admin: to look, never to change. Sending, accepting and rejecting
go through `sitebill.erp.services`, which check permissions, lock rows and record Events."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from sitebill.erp.models import ErpExport


@admin.register(ErpExport)
class ErpExportAdmin(admin.ModelAdmin):
    list_display = ["id", "project", "format", "status", "created_by", "created_at", "decided_by"]
    list_filter = ["status", "format"]
    readonly_fields = [field.name for field in ErpExport._meta.fields] + ["pay_apps"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
