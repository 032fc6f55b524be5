"""Fuzz every API operation from its OpenAPI schema (schemathesis, in-process WSGI, no server).

For each operation in /api/schema/, schemathesis generates requests (its examples, coverage and
fuzzing phases; Hypothesis `max_examples=15`, derandomised so every run sends the same requests)
and sends them to the app as an Admin and as a payment application contact, each with their API
token, against the demo project (`load_demo`) so that ids exist. Every answer must be:
- not a server error (no 5xx),
- the status codes the schema documents for the operation (every 4xx documented),
- in the documented content type, with a body that matches the documented schema.

The demo is loaded once for the module and committed (a real transaction, flushed after the
module); each operation's test then runs in a transaction that is rolled back, so every
operation starts from the same demo. (`django_db(transaction=True)` per test would load the demo
112 times, about 5 s each.) The whole module sends about 7,000 requests in 2-3 minutes when
everything passes; a failing operation stops at its first failure, shrunk by Hypothesis. The
total number of requests is printed at the end.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core.management import call_command
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections, connection
from hypothesis import HealthCheck, settings
from rest_framework.authtoken.models import Token

from sitebill.accounts.models import User
from sitebill.billing.demo import load_demo
from sitebill.core import append_only

ADMIN = "admin@example.com"
CONTACT = "billing@acme.example"
CHECKS = [
    schemathesis.checks.not_a_server_error,
    schemathesis.checks.status_code_conformance,
    schemathesis.checks.content_type_conformance,
    schemathesis.checks.response_schema_conformance,
]
REQUESTS: Counter[str] = Counter()

schema = schemathesis.openapi.from_wsgi("/api/schema/", get_wsgi_application())
fuzz_settings = settings(
    max_examples=15,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=list(HealthCheck),
)


@pytest.fixture(scope="module")
def demo_tokens(
    request: pytest.FixtureRequest, django_db_setup: Any, django_db_blocker: Any
) -> Iterator[dict[str, str]]:
    """The demo, committed for the whole module; the API token of each role. Flushed after."""
    with django_db_blocker.unblock():
        load_demo()
        tokens = {
            email: Token.objects.get_or_create(user=User.objects.get(email=email))[0].key
            for email in (ADMIN, CONTACT)
        }
    yield tokens
    with django_db_blocker.unblock():
        append_only.remove(connection)  # the Event table refuses DELETE: lift it for the flush
        call_command("flush", interactive=False, verbosity=0)
        append_only.install(connection)
    summary = (
        f"schemathesis: {sum(REQUESTS.values())} requests ("
        + ", ".join(f"{role} {count}" for role, count in sorted(REQUESTS.items()))
        + ")"
    )
    capture = request.config.pluginmanager.get_plugin("capturemanager")
    if capture is not None:
        with capture.global_and_fixture_disabled():
            print(f"\n{summary}")
    else:
        print(f"\n{summary}")


@pytest.fixture
def in_process(db: None) -> Iterator[None]:
    """Let the WSGI app answer inside the test's transaction, as Django's test client does:
    without this, the end of each request closes the database connection mid-transaction."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def call(case: Any, token: str, role: str) -> None:
    REQUESTS[role] += 1
    case.call_and_validate(headers={"Authorization": f"Token {token}"}, checks=CHECKS)


@schema.parametrize()
@fuzz_settings
def test_every_operation_as_an_admin(case, demo_tokens, in_process):
    call(case, demo_tokens[ADMIN], "admin")


@schema.parametrize()
@fuzz_settings
def test_every_operation_as_a_payment_application_contact(case, demo_tokens, in_process):
    call(case, demo_tokens[CONTACT], "contact")
