"""config/settings/prod.py passes Django's deployment checklist (`make deploy-check`), the dev
settings do not, and production refuses to start without its secrets."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
THROWAWAY_KEY = "throwaway-deploy-check-key-not-secret-0123456789-abcdefghijklmno"
PROD_ENV = {
    "DJANGO_SETTINGS_MODULE": "config.settings.prod",
    "SECRET_KEY": THROWAWAY_KEY,
    "ALLOWED_HOSTS": "billing.example.com",
    "EMAIL_HOST": "smtp.example.com",
}


def manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    base = {
        key: value
        for key, value in os.environ.items()
        if key not in {*PROD_ENV, "DATABASE_URL", "EMAIL_HOST"}
    }
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=REPO,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def deploy_check(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return manage("check", "--deploy", "--fail-level", "WARNING", env=env)


def test_the_production_settings_pass_the_deployment_checklist():
    assert len(THROWAWAY_KEY) == 64
    result = deploy_check(PROD_ENV)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_the_makefile_runs_the_same_check():
    makefile = (REPO / "Makefile").read_text()
    assert f"DEPLOY_CHECK_SECRET_KEY := {THROWAWAY_KEY}" in makefile
    assert "manage.py check --deploy --fail-level WARNING" in makefile


def test_the_dev_settings_fail_it():
    result = deploy_check({"DJANGO_SETTINGS_MODULE": "config.settings.dev"})
    assert result.returncode == 1
    output = result.stdout + result.stderr
    for warning in ["security.W004", "security.W008", "security.W012", "security.W016"]:
        assert warning in output, output
    assert "security.W018" in output  # DEBUG


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"SECRET_KEY": ""}, "Set the SECRET_KEY environment variable"),
        ({"SECRET_KEY": "too-short-0123456789"}, "at least 50 characters"),
        ({"SECRET_KEY": "django-insecure-" + "x1y2z3" * 10}, "at least 50 characters"),
        ({"ALLOWED_HOSTS": ""}, "Set the ALLOWED_HOSTS environment variable"),
        ({"EMAIL_HOST": ""}, "Set the EMAIL_HOST environment variable"),
    ],
)
def test_production_refuses_to_start_without_its_settings(change, message):
    result = manage("check", env={**PROD_ENV, **change})
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert message in result.stderr


def test_production_settings_are_secure_and_log_to_stdout():
    script = (
        "from django.conf import settings as s; "
        "print(s.DEBUG, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_SSL_REDIRECT, "
        "s.SECURE_HSTS_SECONDS, s.SECURE_PROXY_SSL_HEADER, s.EMAIL_BACKEND, s.SITE_URL, "
        "s.LOGGING['handlers']['stdout']['stream'], s.SITEBILL_PROXY_COUNT, s.ALLOWED_HOSTS)"
    )
    result = manage("shell", "-c", script, env=PROD_ENV)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == (
        "False True True True 31536000 ('HTTP_X_FORWARDED_PROTO', 'https') "
        "django.core.mail.backends.smtp.EmailBackend https://billing.example.com "
        "ext://sys.stdout 1 ['billing.example.com']"
    )
