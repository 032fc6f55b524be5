from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from sitebill.accounts.models import Company, Membership, Project, User


@admin.register(Company)
class CompanyAdmin(admin.ModelAdmin):
    list_display = ["name", "kind"]
    list_filter = ["kind"]
    search_fields = ["name"]


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    ordering = ["email"]
    list_display = ["email", "name", "company", "is_company_admin", "is_superuser"]
    search_fields = ["email", "name"]
    fieldsets = (
        (None, {"fields": ("email", "password", "name", "company")}),
        ("Permissions", {"fields": ("is_active", "is_staff", "is_superuser", "is_company_admin")}),
    )
    add_fieldsets = ((None, {"fields": ("email", "name", "company", "password1", "password2")}),)


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Project)
class ProjectAdmin(admin.ModelAdmin):
    list_display = ["number", "name", "contractor", "client", "currency"]
    search_fields = ["name", "number"]
    inlines = [MembershipInline]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "project", "permission"]
    list_filter = ["permission"]
