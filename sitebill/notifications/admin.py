from django.contrib import admin

from sitebill.notifications.models import OutboxEmail


@admin.register(OutboxEmail)
class OutboxEmailAdmin(admin.ModelAdmin):
    list_display = ["created_at", "subject", "to", "status", "attempts"]
    list_filter = ["status"]
