"""The outbox: mail is a row written with the change it reports, delivered after commit over
real SMTP, kept when the server is down, retried with backoff, and never sent twice."""

from __future__ import annotations

import datetime as dt
import socket

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Sink
from django.core import mail
from django.db import transaction
from django.test import override_settings
from django.utils import timezone

from sitebill.notifications import outbox
from sitebill.notifications.models import OutboxEmail


class Recorder(Sink):
    def __init__(self) -> None:
        self.messages: list[tuple[list[str], bytes]] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((list(envelope.rcpt_tos), envelope.content))
        return "250 OK"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class SMTPServer:
    """A real SMTP server on a fixed loopback port that a test can stop and start again."""

    def __init__(self, handler: Recorder, port: int) -> None:
        self.handler, self.port = handler, port
        self.controller: Controller | None = None

    def start(self) -> None:
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


@pytest.fixture
def smtp_server():
    server = SMTPServer(Recorder(), free_port())
    server.start()
    with override_settings(
        EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=server.port,
        EMAIL_USE_TLS=False,
    ):
        yield server, server.handler
    server.stop()


def queue(subject: str, to: str = "billing@acme.example") -> list[OutboxEmail]:
    return outbox.enqueue(to=[to], subject=subject, body="Please bill by the 25th.")


def test_mail_is_delivered_over_smtp_after_the_transaction_commits(
    db, smtp_server, django_capture_on_commit_callbacks
):
    _controller, handler = smtp_server
    # when
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        queue("Invite")
        assert handler.messages == []  # nothing leaves before the commit
    # then
    row = OutboxEmail.objects.get()
    assert (row.status, row.attempts) == ("sent", 1)
    assert handler.messages[0][0] == ["billing@acme.example"]
    assert b"Subject: Invite" in handler.messages[0][1]


def test_mail_of_a_rolled_back_change_is_never_sent(
    db, smtp_server, django_capture_on_commit_callbacks
):
    _controller, handler = smtp_server
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        queue("Invite")
        raise RuntimeError("the change failed")
    assert OutboxEmail.objects.count() == 0
    assert handler.messages == []


def test_when_the_smtp_server_is_down_mail_stays_queued_and_is_retried_with_backoff(
    db, smtp_server, django_capture_on_commit_callbacks
):
    controller, handler = smtp_server
    # given the server is down
    controller.stop()
    # when mail is queued, delivery fails without an error reaching the caller
    with django_capture_on_commit_callbacks(execute=True):
        queue("Reminder")
    row = OutboxEmail.objects.get()
    assert (row.status, row.attempts) == ("queued", 1)
    assert row.last_error
    assert row.next_attempt_at is not None and row.next_attempt_at > timezone.now()
    # a worker run before the backoff ends does not try again
    assert outbox.deliver().retrying == 0
    row.refresh_from_db()
    assert row.attempts == 1
    # when the server is back and the backoff has passed
    controller.start()
    later = timezone.now() + dt.timedelta(minutes=5)
    report = outbox.deliver(now=later)
    # then it is delivered exactly once
    row.refresh_from_db()
    assert report.sent == 1
    assert (row.status, row.attempts) == ("sent", 2)
    assert len(handler.messages) == 1
    assert outbox.deliver(now=later).sent == 0


def test_a_message_that_keeps_failing_ends_failed_and_can_be_retried(db, smtp_server):
    controller, _handler = smtp_server
    controller.stop()
    (row,) = queue("Approved")
    for _attempt in range(outbox.MAX_ATTEMPTS):
        outbox.deliver(ids=[row.pk])
    row.refresh_from_db()
    assert (row.status, row.attempts) == ("failed", outbox.MAX_ATTEMPTS)
    assert outbox.retry(ids=[row.pk]) == 1
    row.refresh_from_db()
    assert (row.status, row.attempts) == ("queued", 0)


def test_backoff_doubles_and_is_capped():
    assert [outbox.backoff(n).total_seconds() for n in (1, 2, 3, 4)] == [30, 60, 120, 240]
    assert outbox.backoff(40) == dt.timedelta(hours=6)


@override_settings(EMAIL_BACKEND=outbox.KEEP_BACKEND)
def test_without_an_smtp_server_mail_is_kept_in_the_outbox(db, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        queue("Invite")
    assert OutboxEmail.objects.get().status == "kept"
    assert mail.outbox == []


def test_one_row_per_recipient(db):
    rows = outbox.enqueue(
        to=["b@x.example", "a@x.example", "a@x.example", ""], subject="S", body="B"
    )
    assert [r.to for r in rows] == ["a@x.example", "b@x.example"]


def test_a_user_sees_only_mail_addressed_to_them(world, client):
    queue("For Acme", "billing@acme.example")
    (theirs,) = queue("For Bolt", "billing@bolt.example")
    client.force_login(world.contact)
    page = client.get("/outbox/").content.decode()
    assert "For Acme" in page and "For Bolt" not in page
    assert client.get(f"/outbox/{theirs.pk}/").status_code == 404


def test_an_anonymous_visitor_is_sent_to_log_in(db, client):
    response = client.get("/outbox/")
    assert response.status_code == 302 and "/login/" in response["Location"]


@override_settings(OUTBOX_PUBLIC=True)
def test_the_development_outbox_is_open_to_anyone(db, client):
    queue("For Bolt", "billing@bolt.example")
    assert "For Bolt" in client.get("/outbox/").content.decode()


def test_a_superuser_sees_every_message(world, client):
    queue("For Bolt", "billing@bolt.example")
    world.admin.is_superuser = True
    world.admin.save(update_fields=["is_superuser"])
    client.force_login(world.admin)
    assert "For Bolt" in client.get("/outbox/").content.decode()
