"""Importing a backup: refusals that save nothing, the path of the error in the JSON, companies
and users matched by natural key, timestamps kept; and the export's own refusals and options.

These run in the test database itself: refusals mostly on a database without the demo (so the
import had created companies, users and rows before the refusal rolled them back), the "match"
path on a database that has the project and imports a copy of it under another number. The
import into an empty database, in another process, is tests/backup/test_round_trip.py.
"""

from __future__ import annotations

import copy
import gzip
import hashlib
import io
import json
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction

from sitebill.accounts.models import Company, Project, User
from sitebill.backup import FORMAT_VERSION
from sitebill.backup.export import project_export, project_export_to_file
from sitebill.backup.restore import backup_read, project_import
from sitebill.billing.demo import load_demo
from sitebill.billing.models import Attachment, PayApp
from sitebill.core.exceptions import Conflict, PermissionDenied, ValidationFailed
from sitebill.core.models import Event
from tests.backup.scenes import NUMBER, PDF, rich_project
from tests.backup.snapshot import project_snapshot

COPY = "2026-099"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture(scope="module")
def demo_backup(django_db_setup, django_db_blocker) -> dict[str, Any]:
    """The demo project's backup, made once in a transaction that is then rolled back."""
    with django_db_blocker.unblock(), transaction.atomic():
        data = project_export(project=load_demo())
        transaction.set_rollback(True)
    return data


@pytest.fixture
def backup(db, demo_backup) -> dict[str, Any]:
    """The demo backup, for a database that does not have the demo project."""
    return copy.deepcopy(demo_backup)


@pytest.fixture
def demo(db, demo_backup) -> dict[str, Any]:
    """The demo backup, for a database that has the demo project."""
    load_demo()
    return copy.deepcopy(demo_backup)


def table_counts() -> dict[str, int]:
    return {m._meta.label: m._default_manager.count() for m in apps.get_models()}


def as_copy(data: dict[str, Any]) -> dict[str, Any]:
    """The same backup under a project number the database does not have, with one company
    and one user this database has never seen (so a refusal must roll their creation back)."""
    data = copy.deepcopy(data)
    data["project"]["number"] = COPY
    data["companies"].append(
        {"name": "Brand New Paving", "kind": "vendor", "created_at": "2026-01-05T09:00:00+00:00"}
    )
    data["users"].append(
        {
            "email": "new@paving.example",
            "name": "New Paver",
            "company": {"name": "Brand New Paving", "kind": "vendor"},
            "is_company_admin": False,
            "is_active": True,
            "date_joined": "2026-01-05T09:00:00+00:00",
        }
    )
    return data


# --- refusals ------------------------------------------------------------------------------


def test_a_project_number_that_exists_is_refused_and_nothing_is_imported(demo):
    # given the demo project, still in the database
    before = table_counts()

    # when its backup is imported
    with pytest.raises(Conflict) as refused:
        project_import(data=demo)

    # then
    assert refused.value.message == "Project 2026-014 already exists; nothing was imported."
    assert refused.value.code == "project_exists"
    assert table_counts() == before


def test_the_command_refuses_an_existing_project_with_the_same_message(demo, tmp_path):
    path = tmp_path / "backup.json"
    path.write_text(json.dumps(demo))

    with pytest.raises(CommandError) as refused:
        call_command("import_project", str(path))

    assert str(refused.value) == "Project 2026-014 already exists; nothing was imported."


@pytest.mark.parametrize(
    ("change", "path", "message"),
    [
        (
            {"version": 2},
            "version",
            f"unknown version 2: this sitebill reads version {FORMAT_VERSION}.",
        ),
        (
            {"version": "1"},
            "version",
            f'unknown version "1": this sitebill reads version {FORMAT_VERSION}.',
        ),
        (
            {"format": "something-else"},
            "format",
            "must be 'sitebill-project': this is not a sitebill project backup.",
        ),
        ({"project": None}, "project", "must be an object."),
        (
            {"exported_at": "yesterday"},
            "exported_at",
            "'yesterday' is not an ISO 8601 date and time.",
        ),
        ({"pay_apps": {}}, "pay_apps", "must be a list."),
    ],
)
def test_an_unknown_format_or_version_is_refused_naming_it(backup, change, path, message):
    data = {**as_copy(backup), **change}
    before = table_counts()

    with pytest.raises(ValidationFailed) as refused:
        project_import(data=data)

    assert refused.value.fields == {path: [message]}
    assert refused.value.message == (
        f"The backup is not valid at {path}: {message} Nothing was imported."
    )
    assert table_counts() == before


def test_a_missing_section_is_refused_naming_it(backup):
    data = as_copy(backup)
    del data["events"]

    with pytest.raises(ValidationFailed) as refused:
        project_import(data=data)

    assert refused.value.fields == {"events": ["is missing."]}
    assert not Project.objects.filter(number=COPY).exists()


def _break_sov_line(data: dict[str, Any]) -> None:
    data["pay_apps"][3]["lines"][12]["sov_line"] = "999"


def _break_last_event_actor(data: dict[str, Any]) -> None:
    data["events"][-1]["actor"] = "ghost@example.com"


def _break_period(data: dict[str, Any]) -> None:
    data["pay_apps"][0]["billing_period"] = 9


def _break_money(data: dict[str, Any]) -> None:
    data["contracts"][1]["lines"][0]["scheduled_value"] = "12.345"


def _break_float(data: dict[str, Any]) -> None:
    data["pay_apps"][2]["lines"][0]["work_completed_this_period"] = 1250.5


def _break_choice(data: dict[str, Any]) -> None:
    data["pay_apps"][1]["status"] = "paid"


def _break_event_target(data: dict[str, Any]) -> None:
    data["events"][-1]["target"] = {"type": "payapp", "contract": "SC-001", "number": 7}


def _break_contact(data: dict[str, Any]) -> None:
    data["contracts"][2]["contacts"].append("nobody@example.com")


def _duplicate_contract(data: dict[str, Any]) -> None:
    data["contracts"].append(copy.deepcopy(data["contracts"][0]))


def _break_timestamp(data: dict[str, Any]) -> None:
    data["events"][4]["created_at"] = "2026-03-01T10:00:00"


@pytest.mark.parametrize(
    ("breaking", "path", "message"),
    [
        (
            _break_sov_line,
            "pay_apps[3].lines[12].sov_line",
            "names SOV item '999' of contract SC-001, which is not in the backup.",
        ),
        (
            _break_last_event_actor,
            "events[{last_event}].actor",
            "names the user ghost@example.com, which is not in the backup.",
        ),
        (
            _break_period,
            "pay_apps[0].billing_period",
            "names period 9, which is not in the backup.",
        ),
        (
            _break_money,
            "contracts[1].lines[0].scheduled_value",
            "Ensure that there are no more than 2 decimal places.",
        ),
        (
            _break_float,
            "pay_apps[2].lines[0].work_completed_this_period",
            'must be a decimal string, like "1250.00".',
        ),
        (
            _break_choice,
            "pay_apps[1].status",
            "'paid' is not one of: draft, under_review, revise_and_resubmit, approved, "
            "approved_as_noted, pending_owner_approval.",
        ),
        (
            _break_event_target,
            "events[{last_event}].target",
            "names the payapp contract SC-001, number 7, which is not in the backup.",
        ),
        (
            _break_contact,
            "contracts[2].contacts[1]",
            "names the user nobody@example.com, which is not in the backup.",
        ),
        (
            _duplicate_contract,
            "contracts[5]",
            "Contract PC-001 appears twice (also at contracts[0]).",
        ),
        (
            _break_timestamp,
            "events[4].created_at",
            "'2026-03-01T10:00:00' has no UTC offset (write it like 2026-03-31T17:05:00+00:00).",
        ),
    ],
)
def test_a_broken_backup_is_refused_naming_the_place_and_nothing_is_saved(
    backup, breaking, path, message
):
    # given the demo backup with one thing wrong, for a database that has none of it
    data = as_copy(backup)
    breaking(data)
    path = path.format(last_event=len(data["events"]) - 1)
    before = table_counts()

    # when
    with pytest.raises(ValidationFailed) as refused:
        project_import(data=data)

    # then the message names the place, and nothing was saved: no project, no company, no user
    assert refused.value.fields == {path: [message]}
    assert refused.value.message.startswith(f"The backup is not valid at {path}: ")
    assert refused.value.message.endswith(" Nothing was imported.")
    assert table_counts() == before
    assert not Project.objects.filter(number=COPY).exists()
    assert not Company.objects.filter(name="Brand New Paving").exists()
    assert not User.objects.filter(email="new@paving.example").exists()


@pytest.mark.django_db(transaction=True)
def test_a_refusal_at_the_very_end_commits_nothing(demo_backup):
    """With real transactions (no test savepoint around it): the history is the last section
    read, so by the refusal everything else had been written, and none of it stays."""
    data = as_copy(demo_backup)
    data["events"][-1]["reason"] = 42
    before = table_counts()

    with pytest.raises(ValidationFailed) as refused:
        project_import(data=data)

    assert refused.value.fields == {
        f"events[{len(data['events']) - 1}].reason": ["must be a string."]
    }
    assert table_counts() == before
    assert before["accounts.Project"] == 0


def test_a_damaged_attachment_is_refused_and_no_file_is_left_in_storage(db, media):
    # given the rich project's backup, where the last attachment's bytes changed after the
    # export: the import has stored an earlier pay app's attachment by the time it sees that
    data = as_copy(project_export(project=rich_project()))
    files_before = sorted(p for p in Path(media).rglob("*") if p.is_file())
    with_files = [i for i, p in enumerate(data["pay_apps"]) if p["attachments"]]
    assert len(with_files) == 2
    index = with_files[-1]
    data["pay_apps"][index]["attachments"][0]["content"] = "JVBERi0xLjQK"  # "%PDF-1.4\n"
    before = table_counts()

    # when
    with pytest.raises(ValidationFailed) as refused:
        project_import(data=data)

    # then
    path = f"pay_apps[{index}].attachments[0].content"
    assert refused.value.fields == {path: ["does not match its sha256: the file is damaged."]}
    assert table_counts() == before
    assert sorted(p for p in Path(media).rglob("*") if p.is_file()) == files_before


def test_only_a_company_administrator_imports(demo):
    standard = User.objects.get(email="standard@example.com")

    with pytest.raises(PermissionDenied):
        project_import(data=as_copy(demo), actor=standard)

    assert not Project.objects.filter(number=COPY).exists()


def test_a_file_that_is_not_json_is_refused_by_the_command(db, tmp_path):
    path = tmp_path / "backup.json"
    path.write_text('{"format": "sitebill-project", "version": 1,')

    with pytest.raises(CommandError) as refused:
        call_command("import_project", str(path))

    assert str(refused.value) == (
        "backup.json is not a sitebill backup: it is not valid JSON (Expecting property name "
        "enclosed in double quotes at line 1, column 45). Nothing was imported."
    )


# --- imports -------------------------------------------------------------------------------


def test_a_copy_matches_existing_companies_and_users_and_keeps_every_figure_and_timestamp(db):
    # given the rich project and its backup under another number
    original = rich_project()
    data = project_export(project=original)
    data["project"]["number"] = COPY
    companies, users = Company.objects.count(), User.objects.count()

    # when
    copied = project_import(data=data)

    # then companies and users were reused, not created again
    assert (Company.objects.count(), User.objects.count()) == (companies, users)
    assert copied.contractor_id == original.contractor_id
    # the figures are the same, and so is the history, timestamps included
    before, after = project_snapshot(NUMBER), project_snapshot(COPY)
    for section in ("contracts", "billing_periods", "invites", "pay_apps", "erp_exports"):
        assert _renumbered(after[section]) == _renumbered(before[section]), section
    events = list(Event.objects.filter(project=copied).order_by("created_at", "id"))
    assert events[-1].action == "project_imported"
    assert events[-1].changes == {"events": [None, len(events) - 1]}
    assert [(e.created_at, e.action, e.target_type, e.changes, e.reason) for e in events[:-1]] == [
        (e.created_at, e.action, e.target_type, e.changes, e.reason)
        for e in Event.objects.filter(project=original).order_by("created_at", "id")
    ]
    # a pay app's own timestamps were kept too (auto_now_add and auto_now did not overwrite)
    pay_app = PayApp.objects.get(contract__project=original, contract__number="SC-001", number=3)
    copy_of = PayApp.objects.get(contract__project=copied, contract__number="SC-001", number=3)
    assert (copy_of.created_at, copy_of.updated_at) == (pay_app.created_at, pay_app.updated_at)


def _renumbered(value: Any) -> Any:
    return json.loads(json.dumps(value).replace(COPY, NUMBER))


def test_a_new_user_gets_an_unusable_password_or_the_exported_hash(demo):
    data = as_copy(demo)
    data["users"].append(
        {
            **data["users"][-1],
            "email": "Hashed@Paving.example",
            "password": User.objects.get(email="admin@example.com").password,
        }
    )

    project_import(data=data)

    assert not User.objects.get(email="new@paving.example").has_usable_password()
    hashed = User.objects.get(email="hashed@paving.example")
    assert hashed.check_password("demo1234")
    assert hashed.company == Company.objects.get(name="Brand New Paving")


# --- export ----------------------------------------------------------------------------------


def test_password_hashes_are_exported_only_when_asked(db, tmp_path):
    load_demo()
    plain, hashed = tmp_path / "plain.json", tmp_path / "hashed.json.gz"

    call_command("export_project", NUMBER, str(plain), stdout=io.StringIO())
    call_command(
        "export_project", NUMBER, str(hashed), "--with-password-hashes", stdout=io.StringIO()
    )

    assert all("password" not in user for user in json.loads(plain.read_text())["users"])
    with gzip.open(hashed, "rt", encoding="utf-8") as stream:
        users = {u["email"]: u for u in json.load(stream)["users"]}
    assert users["admin@example.com"]["password"] == (
        User.objects.get(email="admin@example.com").password
    )
    assert backup_read(path=hashed)["users"] == list(users.values())


@pytest.mark.django_db(transaction=True)
def test_the_command_exports_outside_any_transaction_as_one_snapshot(tmp_path):
    """Outside a transaction the export opens its own (REPEATABLE READ on PostgreSQL)."""
    project = load_demo()
    path = tmp_path / "backup.json"

    call_command("export_project", NUMBER, str(path), stdout=io.StringIO())

    data = backup_read(path=path)
    assert data["project"]["number"] == NUMBER
    assert len(data["events"]) == Event.objects.filter(project=project).count()
    assert [p.name for p in tmp_path.iterdir()] == ["backup.json"]


def test_exporting_into_a_folder_that_does_not_exist_is_refused(db, tmp_path):
    load_demo()

    with pytest.raises(CommandError) as refused:
        call_command("export_project", NUMBER, str(tmp_path / "nowhere" / "x.json"))

    assert str(refused.value) == f"There is no folder {tmp_path / 'nowhere'}: nothing was exported."


def test_exporting_a_project_that_does_not_exist_is_refused(db, tmp_path):
    with pytest.raises(CommandError) as refused:
        call_command("export_project", "1999-001", str(tmp_path / "x.json"))

    assert str(refused.value) == "There is no project 1999-001: nothing was exported."
    assert list(tmp_path.iterdir()) == []


def test_an_attachment_missing_from_storage_refuses_the_export(db, tmp_path, media):
    project = rich_project()
    attachment = Attachment.objects.get(name="Conditional lien waiver")
    (Path(media) / attachment.file.name).unlink()

    with pytest.raises(ValidationFailed) as refused:
        project_export_to_file(number=project.number, path=tmp_path / "x.json")

    assert refused.value.message == (
        "The file of attachment 'Conditional lien waiver' on SC-001 pay app #3 is missing from "
        f"storage ({attachment.file.name}). Nothing was exported."
    )
    assert list(tmp_path.glob("*.json*")) == []


def test_attachments_are_exported_as_base64_with_their_checksum(db):
    data = project_export(project=rich_project())

    pay_app = next(p for p in data["pay_apps"] if (p["contract"], p["number"]) == ("SC-001", 3))

    [attachment] = pay_app["attachments"]
    assert {k: v for k, v in attachment.items() if k not in ("created_at", "file")} == {
        "name": "Conditional lien waiver",
        "uploaded_by": "billing@acme.example",
        "content_type": "application/pdf",
        "size": len(PDF),
        "sha256": hashlib.sha256(PDF).hexdigest(),
        "content": __import__("base64").b64encode(PDF).decode(),
    }
    assert attachment["file"].startswith("attachments/") and attachment["file"].endswith(".pdf")


def test_every_key_of_the_format_is_documented():
    text = (Path(__file__).resolve().parents[2] / "sitebill/backup/FORMAT.md").read_text()
    import sitebill.backup as backup

    names = {
        name
        for attribute in dir(backup)
        if attribute.endswith("_FIELDS")
        for name in getattr(backup, attribute)
    }
    names |= {key for keys in backup.TARGET_KEYS.values() for key in keys}
    names |= set(backup.TARGET_KEYS)
    assert sorted(n for n in names if f"`{n}`" not in text) == []
