from django.contrib import admin

from sitebill.contracts.models import ChangeOrder, ChangeOrderLine, Contract, SOVLine


class SOVLineInline(admin.TabularInline):
    model = SOVLine
    extra = 0


@admin.register(Contract)
class ContractAdmin(admin.ModelAdmin):
    list_display = ["number", "title", "kind", "project", "counterparty", "status"]
    list_filter = ["kind", "status", "project"]
    search_fields = ["number", "title"]
    filter_horizontal = ["contacts", "distribution", "private_viewers"]
    inlines = [SOVLineInline]


@admin.register(SOVLine)
class SOVLineAdmin(admin.ModelAdmin):
    list_display = ["contract", "item_number", "description", "cost_code", "scheduled_value"]
    search_fields = ["description", "cost_code"]


class ChangeOrderLineInline(admin.TabularInline):
    model = ChangeOrderLine
    extra = 0


@admin.register(ChangeOrder)
class ChangeOrderAdmin(admin.ModelAdmin):
    list_display = ["contract", "number", "title", "status", "approved_at"]
    list_filter = ["status"]
    inlines = [ChangeOrderLineInline]


@admin.register(ChangeOrderLine)
class ChangeOrderLineAdmin(admin.ModelAdmin):
    list_display = ["change_order", "item_number", "description", "amount"]
