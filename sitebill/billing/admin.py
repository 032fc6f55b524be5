from django.contrib import admin

from sitebill.billing.models import (
    Attachment,
    BillingPeriod,
    Invite,
    PayApp,
    PayAppLine,
    PayAppSource,
    Payment,
)


@admin.register(BillingPeriod)
class BillingPeriodAdmin(admin.ModelAdmin):
    list_display = ["project", "number", "start_date", "end_date", "due_date", "status"]
    list_filter = ["status", "project"]


@admin.register(Invite)
class InviteAdmin(admin.ModelAdmin):
    list_display = ["contract", "billing_period", "status", "sent_at", "responded_at"]
    list_filter = ["status"]


class PayAppLineInline(admin.TabularInline):
    model = PayAppLine
    extra = 0


@admin.register(PayApp)
class PayAppAdmin(admin.ModelAdmin):
    list_display = ["contract", "number", "billing_period", "status", "erp_status", "version"]
    list_filter = ["status", "erp_status"]
    inlines = [PayAppLineInline]


@admin.register(PayAppLine)
class PayAppLineAdmin(admin.ModelAdmin):
    list_display = ["pay_app", "item_number", "scheduled_value", "work_completed_this_period"]


@admin.register(Attachment)
class AttachmentAdmin(admin.ModelAdmin):
    list_display = ["pay_app", "name", "uploaded_by", "created_at"]


@admin.register(Payment)
class PaymentAdmin(admin.ModelAdmin):
    list_display = ["pay_app", "date", "amount", "method", "reference", "recorded_by"]
    list_filter = ["method"]


@admin.register(PayAppSource)
class PayAppSourceAdmin(admin.ModelAdmin):
    list_display = ["client_pay_app", "source", "source_version", "created_at"]
