"""The outbox: mail is a row written with the change it reports, delivered after commit over
real SMTP, kept when the server is down, retried with backoff, and never sent twice."""

from __future__ import annotations

import datetime as dt
import socket
import time

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Sink
from django.core import mail
from django.core.management import call_command
from django.db import transaction
from django.test import override_settings
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

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


# The production set-up: the database task backend and its worker (`manage.py db_worker`).
DATABASE_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


def run_worker() -> None:
    """One pass of the real worker: run every task that is ready, then stop."""
    call_command("db_worker", batch=True, startup_delay=False, interval=0, verbosity=0)


@pytest.fixture
def database_tasks():
    with override_settings(TASKS=DATABASE_TASKS):
        yield


def test_the_delivery_task_commits_with_the_mail_and_the_worker_sends_it(
    transactional_db, smtp_server, database_tasks
):
    _controller, handler = smtp_server
    # when a change queues mail
    with transaction.atomic():
        queue("Invite")
    # then the task is waiting in the database and nothing has left yet
    task_row = DBTaskResult.objects.get()
    assert task_row.status == TaskResultStatus.READY
    assert task_row.task_path == "sitebill.notifications.tasks.deliver_emails"
    assert handler.messages == []
    # when the worker runs
    run_worker()
    # then the message is sent once and the task finished
    assert OutboxEmail.objects.get().status == "sent"
    assert len(handler.messages) == 1
    assert DBTaskResult.objects.get().status == TaskResultStatus.SUCCESSFUL


def test_a_rolled_back_change_leaves_neither_mail_nor_task(
    transactional_db, smtp_server, database_tasks
):
    _controller, handler = smtp_server
    with pytest.raises(RuntimeError), transaction.atomic():
        queue("Invite")
        raise RuntimeError("the change failed")
    run_worker()
    assert OutboxEmail.objects.count() == 0
    assert DBTaskResult.objects.count() == 0
    assert handler.messages == []


def test_the_worker_retries_with_backoff_while_the_smtp_server_is_down(
    transactional_db, smtp_server, database_tasks, monkeypatch
):
    controller, handler = smtp_server
    monkeypatch.setattr(outbox, "BASE_DELAY", dt.timedelta(seconds=1))
    # given the SMTP server is down when the worker first runs
    controller.stop()
    queue("Reminder")
    run_worker()
    # then the message stays queued with its error, and a retry task waits for the backoff
    row = OutboxEmail.objects.get()
    assert (row.status, row.attempts) == ("queued", 1)
    assert "Error" in row.last_error or "refused" in row.last_error.lower()
    retry_task = DBTaskResult.objects.filter(status=TaskResultStatus.READY).get()
    assert retry_task.run_after is not None and retry_task.run_after > timezone.now()
    # a worker pass before the backoff ends sends nothing and tries nothing
    run_worker()
    row.refresh_from_db()
    assert row.attempts == 1
    # when the server is back and the backoff has passed
    controller.start()
    time.sleep(1.2)
    run_worker()
    # then the message is delivered exactly once, on the second attempt
    row.refresh_from_db()
    assert (row.status, row.attempts) == ("sent", 2)
    assert len(handler.messages) == 1
    assert not DBTaskResult.objects.filter(status=TaskResultStatus.READY).exists()


def test_a_failed_message_put_back_by_retry_is_delivered_by_the_worker(
    transactional_db, smtp_server, database_tasks
):
    _controller, handler = smtp_server
    (row,) = queue("Approved")
    OutboxEmail.objects.filter(pk=row.pk).update(status="failed", attempts=outbox.MAX_ATTEMPTS)
    DBTaskResult.objects.all().delete()
    # when
    assert outbox.retry(ids=[row.pk]) == 1
    run_worker()
    # then
    row.refresh_from_db()
    assert (row.status, row.attempts) == ("sent", 1)
    assert len(handler.messages) == 1
