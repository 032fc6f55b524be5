"""Companies, users (email is the login), projects and project memberships.

Permission levels on a project's financial tools are Read Only, Standard and Admin (DOMAIN.md §4).
A vendor's payment application contact needs no membership: being named on a commitment gives
access to that commitment only.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.db.models.functions import Lower


class Company(models.Model):
    class Kind(models.TextChoices):
        CONTRACTOR = "contractor", "Contractor"
        VENDOR = "vendor", "Vendor"
        CLIENT = "client", "Client"

    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "companies"

    def __str__(self) -> str:
        return self.name


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **extra: Any) -> User:
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> User:
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self.create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    email = models.EmailField(unique=True)
    name = models.CharField(max_length=200, blank=True)
    company = models.ForeignKey(
        Company, null=True, blank=True, on_delete=models.PROTECT, related_name="users"
    )
    is_company_admin = models.BooleanField(
        default=False, help_text="May create companies, users and projects (API.md)."
    )
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False)
    date_joined = models.DateTimeField(auto_now_add=True)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = []

    class Meta:
        ordering = ["email"]
        constraints = [models.UniqueConstraint(Lower("email"), name="user_email_ci_unique")]

    def __str__(self) -> str:
        return self.name or self.email

    @property
    def display_name(self) -> str:
        return self.name or self.email

    @property
    def can_administer_companies(self) -> bool:
        """Superusers, and admins of a contractor company, create companies, users, projects."""
        return bool(
            self.is_superuser
            or (self.is_company_admin and self.company and self.company.kind == "contractor")
        )


class Project(models.Model):
    class Currency(models.TextChoices):
        USD = "USD", "US dollar"
        CAD = "CAD", "Canadian dollar"

    class Overbilling(models.TextChoices):
        ALLOW = "allow", "Allow"
        WARN = "warn", "Warn"
        BLOCK = "block", "Block"

    class Rounding(models.TextChoices):
        HALF_UP = "half_up", "Half up"
        HALF_EVEN = "half_even", "Half even"

    class PeriodFrequency(models.TextChoices):
        MANUAL = "manual", "Manual"
        MONTHLY = "monthly", "Monthly"
        WEEKLY = "weekly", "Weekly"

    name = models.CharField(max_length=200)
    number = models.CharField(max_length=50, unique=True)
    address = models.CharField(max_length=300, blank=True)
    contractor = models.ForeignKey(Company, on_delete=models.PROTECT, related_name="projects")
    client = models.ForeignKey(
        Company, null=True, blank=True, on_delete=models.PROTECT, related_name="client_projects"
    )
    currency = models.CharField(max_length=3, choices=Currency.choices, default=Currency.USD)
    # Settings (DOMAIN.md §2, §5.4)
    overbilling = models.CharField(
        max_length=10, choices=Overbilling.choices, default=Overbilling.WARN
    )
    rounding = models.CharField(max_length=10, choices=Rounding.choices, default=Rounding.HALF_UP)
    move_stored_to_previous = models.BooleanField(
        default=False,
        help_text="Move stored materials into 'work completed from previous application' "
        "(off: the AIA rule, stored materials stay in F until installed).",
    )
    invite_message = models.TextField(blank=True)
    reminder_days_before_due = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Email contacts who have not submitted N days before due."
    )
    period_frequency = models.CharField(
        max_length=10, choices=PeriodFrequency.choices, default=PeriodFrequency.MANUAL
    )
    due_days_after_period_end = models.PositiveSmallIntegerField(default=5)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.number} {self.name}"


class Membership(models.Model):
    class Permission(models.TextChoices):
        READ_ONLY = "read_only", "Read Only"
        STANDARD = "standard", "Standard"
        ADMIN = "admin", "Admin"

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="memberships")
    permission = models.CharField(max_length=20, choices=Permission.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "project"], name="membership_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user} on {self.project}: {self.get_permission_display()}"
