"""The outbox page: what `make run` shows instead of sending mail."""

from __future__ import annotations

from django.core import mail
from django.test import override_settings

from sitebill.notifications.backends import OutboxBackend
from sitebill.notifications.models import OutboxEmail


def keep(to: str, subject: str) -> OutboxEmail:
    OutboxBackend().send_messages([mail.EmailMessage(subject=subject, body="Hello", to=[to])])
    return OutboxEmail.objects.get(subject=subject)


def test_the_outbox_backend_keeps_each_message(db):
    message = keep("billing@acme.example", "Invite")
    assert (message.to, message.body, message.status) == ("billing@acme.example", "Hello", "kept")


def test_a_user_sees_only_mail_addressed_to_them(world, client):
    mine = keep("billing@acme.example", "For Acme")
    theirs = keep("billing@bolt.example", "For Bolt")
    client.force_login(world.contact)
    page = client.get("/outbox/").content.decode()
    assert "For Acme" in page and "For Bolt" not in page
    assert client.get(f"/outbox/{theirs.pk}/").status_code == 404
    assert client.get(f"/outbox/{mine.pk}/").status_code == 200


def test_an_anonymous_visitor_is_sent_to_log_in(db, client):
    response = client.get("/outbox/")
    assert response.status_code == 302 and "/login/" in response["Location"]


@override_settings(OUTBOX_PUBLIC=True)
def test_the_development_outbox_is_open_to_anyone(db, client):
    keep("billing@bolt.example", "For Bolt")
    assert "For Bolt" in client.get("/outbox/").content.decode()


def test_a_superuser_sees_every_message(world, client):
    keep("billing@bolt.example", "For Bolt")
    world.admin.is_superuser = True
    world.admin.save(update_fields=["is_superuser"])
    client.force_login(world.admin)
    assert "For Bolt" in client.get("/outbox/").content.decode()
