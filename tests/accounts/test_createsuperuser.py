"""`manage.py createsuperuser --noinput` works from the environment (issue: foundation)."""

from __future__ import annotations

from django.core.management import call_command

from sitebill.accounts.models import User


def test_createsuperuser_noinput_reads_email_and_password_from_the_environment(db, monkeypatch):
    # given
    monkeypatch.setenv("DJANGO_SUPERUSER_EMAIL", "Owner@Example.com")
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "a-long-passphrase-2026")
    # when
    call_command("createsuperuser", "--noinput", verbosity=0)
    # then
    user = User.objects.get()
    assert user.email == "owner@example.com"
    assert user.is_superuser and user.is_staff
    assert user.check_password("a-long-passphrase-2026")
