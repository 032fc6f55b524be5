"""Settings shared by every environment.

Environment variables:
    DATABASE_URL   database (default: SQLite under var/, IMMEDIATE transactions)
    SECRET_KEY     signing key (dev/test have a throwaway default; prod requires it)
    EMAIL_URL-ish  EMAIL_HOST, EMAIL_PORT, EMAIL_HOST_USER, EMAIL_HOST_PASSWORD, EMAIL_USE_TLS
    SITE_URL       absolute base of links in emails (default http://127.0.0.1:8000)
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parents[2]
VAR_DIR = Path(os.environ.get("SITEBILL_VAR_DIR", BASE_DIR / "var"))

SECRET_KEY = os.environ.get(
    "SECRET_KEY", "dev-only-insecure-key-change-me-in-production-0123456789"
)
DEBUG = False
ALLOWED_HOSTS: list[str] = os.environ.get("ALLOWED_HOSTS", "127.0.0.1,localhost").split(",")
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "axes",
    "django_htmx",
    "django_tasks",
    "django_tasks_db",
    "sitebill.core",
    "sitebill.accounts",
    "sitebill.contracts",
    "sitebill.billing",
    "sitebill.notifications",
    "sitebill.erp",
    "sitebill.web",
    "sitebill.api",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "sitebill.core.csp.ContentSecurityPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last, as django-axes asks: turns a locked-out log-in into sitebill.accounts.throttling's 429.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]


def database_from_env() -> dict[str, object]:
    """DATABASE_URL, or the embedded SQLite under var/.

    SQLite ignores select_for_update(); IMMEDIATE transactions take the write lock at BEGIN, so
    two writers serialise instead of losing updates (measured: research/perf_reliability.md).
    """
    default = f"sqlite:///{VAR_DIR / 'sitebill.sqlite3'}"
    config: dict[str, object] = dict(
        dj_database_url.parse(os.environ.get("DATABASE_URL", default), conn_max_age=0)
    )
    if config["ENGINE"] == "django.db.backends.sqlite3":
        config["OPTIONS"] = {"transaction_mode": "IMMEDIATE", "timeout": 20}
    return config


DATABASES = {"default": database_from_env()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
# Log-in throttling (sitebill/accounts/throttling.py): 5 failures lock the (email, address) pair
# out for 15 minutes, never an address alone (an office behind one NAT address is many people).
# A signed-in session lasts one working day (12 hours from log-in), not Django's two weeks:
# people approve payments here. Log-out and a password change end it earlier.
SESSION_COOKIE_AGE = 12 * 60 * 60

AUTHENTICATION_BACKENDS = [
    "sitebill.accounts.throttling.LoginThrottleBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_USERNAME_FORM_FIELD = "username"  # the email box of the log-in form (AuthenticationForm)
AXES_USERNAME_CALLABLE = "sitebill.accounts.throttling.login_username"
AXES_CLIENT_IP_CALLABLE = "sitebill.accounts.throttling.client_ip_address"
AXES_LOCKOUT_CALLABLE = "sitebill.accounts.throttling.lockout_response"
# How many trusted reverse proxies stand in front of the app (their X-Forwarded-For is believed).
SITEBILL_PROXY_COUNT = int(os.environ.get("SITEBILL_PROXY_COUNT", "0"))

# Response headers (the Content-Security-Policy comes from sitebill.core.csp).
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

LOGIN_URL = "web:login"
LOGIN_REDIRECT_URL = "web:home"
LOGOUT_REDIRECT_URL = "web:login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
MEDIA_URL = "/media/"
MEDIA_ROOT = VAR_DIR / "media"
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
# The G703 grid posts up to 8 fields a line (an Admin's grid): Django's default of 1,000 fields
# refused the save of any grid over ~125 lines with a bare 400. The page script sends only the
# rows someone touched; this bound is for a grid sent whole (no script, or every row edited):
# 50,000 fields is 6,000 lines, and DATA_UPLOAD_MAX_MEMORY_SIZE (2.5 MB) still caps the body.
DATA_UPLOAD_MAX_NUMBER_FIELDS = 50_000

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "sitebill.api.pagination.Pagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "sitebill.api.errors.exception_handler",
    "COERCE_DECIMAL_TO_STRING": True,
    # No OPTIONS introspection: the views have no serializer_class to describe (the OpenAPI
    # schema at /api/schema/ is the description), so OPTIONS answers 405.
    "DEFAULT_METADATA_CLASS": None,
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "sitebill API",
    "DESCRIPTION": "Progress billing for construction: commitments, pay apps (G702/G703), review.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI from our own static files (drf-spectacular-sidecar): no CDN, CSP 'self'.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "sitebill.api.pagination.document_page_errors",
    ],
    # One name per choice set that several schemas share ("status", "kind"): without these the
    # generator invents hashed names and `spectacular --fail-on-warn` fails.
    "ENUM_NAME_OVERRIDES": {
        "CompanyKindEnum": "sitebill.accounts.models.Company.Kind",
        "CommitmentKindEnum": "sitebill.api.serializers.setup.COMMITMENT_KIND_CHOICES",
        "ClientContractKindEnum": "sitebill.api.serializers.setup.CLIENT_CONTRACT_KIND_CHOICES",
        "ContractStatusEnum": "sitebill.contracts.models.Contract.Status",
        "ChangeOrderStatusEnum": "sitebill.contracts.models.ChangeOrder.Status",
        "BillingPeriodStatusEnum": "sitebill.billing.models.BillingPeriod.Status",
        "PayAppStatusEnum": "sitebill.billing.models.PayApp.Status",
        "InviteStatusEnum": "sitebill.api.serializers.billing.INVITE_STATUS_CHOICES",
        "LineReviewStatusEnum": "sitebill.billing.models.PayAppLine.ReviewStatus",
        "InvoiceTypeEnum": "sitebill.billing.models.InvoiceType",
        "ErpStatusEnum": "sitebill.api.serializers.billing.ERP_STATUS_CHOICES",
    },
}

# Email: SMTP when EMAIL_HOST is set, otherwise the outbox that /outbox/ shows.
EMAIL_HOST = os.environ.get("EMAIL_HOST", "")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = os.environ.get("EMAIL_USE_TLS", "") == "1"
EMAIL_BACKEND = (
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST
    else "sitebill.notifications.backends.KeepInOutbox"
)
# Mail is delivered by a task (sitebill/notifications/tasks.py). The database backend keeps tasks
# in this database, written in the same transaction as the mail; run `manage.py db_worker`.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "sitebill <no-reply@sitebill.example>")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}
