"""Production: every secret from the environment, HTTPS only. `make deploy-check` gates it.

Environment variables (README.md, "Deploying"):
    SECRET_KEY            required, at least 50 characters (e.g. `python -c "import secrets;
                          print(secrets.token_urlsafe(64))"`)
    ALLOWED_HOSTS         required, comma-separated host names (billing.example.com)
    DATABASE_URL          postgres://user:password@host:5432/sitebill (SQLite under var/ if unset)
    EMAIL_HOST            required: mail goes out by SMTP; EMAIL_PORT (587), EMAIL_HOST_USER,
                          EMAIL_HOST_PASSWORD, EMAIL_USE_TLS=1 / EMAIL_USE_SSL=1, DEFAULT_FROM_EMAIL
    SITE_URL              absolute base of links in emails (default https://<first allowed host>)
    CSRF_TRUSTED_ORIGINS  optional, comma-separated origins (https://billing.example.com)
    SITEBILL_PROXY_COUNT  reverse proxies in front of gunicorn whose X-Forwarded-For is trusted
                          (default 1; the client address that log-in throttling counts by)
    LOG_LEVEL             level of the log lines written to stdout (default INFO)

The app runs behind an HTTPS proxy that sets `X-Forwarded-Proto: https` (SECURE_PROXY_SSL_HEADER)
and serves STATIC_ROOT at /static/ (`manage.py collectstatic`).
"""

import os
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403

SECRET_KEY_MIN_LENGTH = 50


def _required(name: str) -> str:
    value = os.environ.get(name, "").strip()
    if not value:
        raise ImproperlyConfigured(
            f"Set the {name} environment variable (config/settings/prod.py)."
        )
    return value


def _list(value: str) -> list[str]:
    return [item.strip() for item in value.split(",") if item.strip()]


DEBUG = False

SECRET_KEY = _required("SECRET_KEY")
if len(SECRET_KEY) < SECRET_KEY_MIN_LENGTH or SECRET_KEY.startswith("django-insecure-"):
    raise ImproperlyConfigured(
        f"SECRET_KEY must be a random value of at least {SECRET_KEY_MIN_LENGTH} characters."
    )
ALLOWED_HOSTS = _list(_required("ALLOWED_HOSTS"))
CSRF_TRUSTED_ORIGINS = _list(os.environ.get("CSRF_TRUSTED_ORIGINS", ""))
SITE_URL = os.environ.get("SITE_URL", f"https://{ALLOWED_HOSTS[0]}").rstrip("/")

# HTTPS only, behind a proxy that terminates TLS and says so.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = True
SECURE_HSTS_SECONDS = 31536000
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SITEBILL_PROXY_COUNT = int(os.environ.get("SITEBILL_PROXY_COUNT", "1"))

# Mail goes out by SMTP: the outbox of `make run` is for development only.
EMAIL_HOST = _required("EMAIL_HOST")
EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "587"))
EMAIL_USE_SSL = os.environ.get("EMAIL_USE_SSL", "") == "1"
EMAIL_USE_TLS = not EMAIL_USE_SSL and os.environ.get("EMAIL_USE_TLS", "1") == "1"
EMAIL_TIMEOUT = 30
SERVER_EMAIL = DEFAULT_FROM_EMAIL  # noqa: F405

STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", str(STATIC_ROOT)))  # noqa: F405
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", str(MEDIA_ROOT)))  # noqa: F405

# Logs to stdout (gunicorn and systemd/docker collect them), one line each.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "line": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
    },
    "handlers": {
        "stdout": {
            "class": "logging.StreamHandler",
            "stream": "ext://sys.stdout",
            "formatter": "line",
        },
    },
    "root": {"handlers": ["stdout"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        # Request errors (500s) with their tracebacks; 4xx noise only at WARNING.
        "django.request": {"level": "WARNING", "propagate": True},
        "django.security": {"level": "INFO", "propagate": True},
        "axes": {"level": "INFO", "propagate": True},
    },
}
