"""The heart of backup and restore: export a rich project, import it into an EMPTY database in
another process (migrated from scratch, the real `import_project` command), and get back the
same G702 and G703 figures, the same history with the same timestamps, the same attachment
bytes and the same payments.

The empty database is a fresh SQLite file, or a fresh PostgreSQL database on the test's server
when the suite runs on PostgreSQL (`scripts/with-postgres`): the import runs on the backend
under test. A second database is needed because the Event table is append-only: the original
project's history can never be wiped from the test database.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection

from tests.backup.scenes import NUMBER, PDF, PNG, rich_project
from tests.backup.snapshot import project_snapshot

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def empty_database_url(tmp_path: Path) -> Iterator[str]:
    if connection.vendor == "sqlite":
        yield f"sqlite:///{tmp_path / 'restored.sqlite3'}"
        return
    assert connection.vendor == "postgresql"
    import psycopg

    settings = connection.settings_dict
    server = {
        "host": settings["HOST"] or "localhost",
        "port": settings["PORT"] or 5432,
        "user": settings["USER"],
        "password": settings["PASSWORD"] or None,
    }
    name = f"sitebill_restore_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(dbname="postgres", autocommit=True, **server) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    password = f":{server['password']}" if server["password"] else ""
    yield f"postgres://{server['user']}{password}@{server['host']}:{server['port']}/{name}"
    with psycopg.connect(dbname="postgres", autocommit=True, **server) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def restore_in(database_url: str, path: Path) -> dict[str, Any]:
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
    }
    done = subprocess.run(
        [sys.executable, "-m", "tests.backup.restore_in_fresh_database", str(path), NUMBER],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-4000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("file_name", "options"),
    [("2026-014.json", []), ("2026-014.json.gz", ["--with-password-hashes"])],
)
def test_an_exported_project_comes_back_the_same_in_an_empty_database(
    tmp_path, empty_database_url, file_name, options
):
    # given a rich project, and everything the restore must bring back
    rich_project()
    before = project_snapshot(NUMBER)
    path = tmp_path / file_name
    call_command("export_project", NUMBER, str(path), *options, stdout=io.StringIO())

    # when it is imported into an empty database by another process
    restored = restore_in(empty_database_url, path)

    # then
    assert (restored["vendor"], restored["was_empty"]) == (connection.vendor, True)
    after = restored["snapshot"]
    # the pay apps, with every figure of the G702 and every G703 row
    assert sorted(after["pay_apps"]) == sorted(before["pay_apps"])
    assert len(before["pay_apps"]) == 10
    for name, pay_app in before["pay_apps"].items():
        again = after["pay_apps"][name]
        assert again["g702"] == pay_app["g702"], name
        assert again["g703_totals"] == pay_app["g703_totals"], name
        assert len(again["g703_rows"]) == len(pay_app["g703_rows"]), name
        for row, row_again in zip(pay_app["g703_rows"], again["g703_rows"], strict=True):
            assert row_again == row, name
        assert again["payments"] == pay_app["payments"], name
        assert again["paid_total"] == pay_app["paid_total"], name
        assert again["attachments"] == pay_app["attachments"], name
        assert again == pay_app, name
    # the history: every event, in order, with its timestamp, then the import itself
    imported = after["events"].pop()
    assert (imported["action"], imported["target"], imported["actor"]) == (
        "project_imported",
        NUMBER,
        None,
    )
    assert after["events"] == before["events"]
    # the users: restored without passwords unless the backup carried the hashes
    if "--with-password-hashes" in options:
        assert after["users"] == before["users"]
    else:
        assert after["users"] == {
            email: {**user, "password": "(unusable)"} for email, user in before["users"].items()
        }
    after.pop("users"), before.pop("users")
    assert after == before


@pytest.mark.django_db
def test_the_rich_project_holds_what_the_round_trip_claims_to_prove():
    """Guards the scene: a round trip of a project without these would prove little."""
    rich_project()
    snapshot = project_snapshot(NUMBER)
    pay_apps = snapshot["pay_apps"]
    attachments = [a for p in pay_apps.values() for a in p["attachments"]]
    assert sorted(a["sha256"] for a in attachments) == sorted(
        __import__("hashlib").sha256(content).hexdigest() for content in (PDF, PNG)
    )
    assert [p["amount"] for p in pay_apps["SC-001 #1"]["payments"]] == ["100000.00", "12.34"]
    assert pay_apps["PO-001 #1"]["paid_total"] == "1000.00"
    assert pay_apps["SC-001 #3"]["status"] == "approved_as_noted"
    rejected = [r["line"] for r in pay_apps["SC-002 #3"]["g703_rows"] if r["line"]["review_reason"]]
    assert [(r["review_status"], r["review_reason"]) for r in rejected] == [
        ("rejected", "Panel not delivered.")
    ]
    assert {s["source"] for s in pay_apps["PC-001 #1"]["sources"]} == {"SC-001 #3", "PO-001 #3"}
    assert [(e["format"], e["status"]) for e in snapshot["erp_exports"]] == [
        ("quickbooks_iif", "exported"),
        ("sage300_cre", "ready_to_export"),
    ]
    assert snapshot["erp_exports"][0]["content"]
    assert any(e["target"].startswith("payapp gone #") for e in snapshot["events"])
    assert {i["status"] for i in snapshot["invites"]} == {"accepted", "invited"}
