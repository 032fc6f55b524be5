"""The history is append-only at the database level: UPDATE and DELETE are refused."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction

from sitebill.core.events import record_event
from sitebill.core.models import Event


@pytest.fixture
def event(world):
    return record_event(
        actor=world.admin, target=world.commitment, action="test", project=world.project
    )


def test_an_event_cannot_be_updated_through_the_orm(event):
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        Event.objects.filter(pk=event.pk).update(action="tampered")
    event.refresh_from_db()
    assert event.action == "test"


def test_an_event_cannot_be_deleted_through_the_orm(event):
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        Event.objects.filter(pk=event.pk).delete()
    assert Event.objects.filter(pk=event.pk).exists()


def test_raw_sql_cannot_change_the_history_either(event):
    for sql in ("UPDATE core_event SET reason = 'x'", "DELETE FROM core_event"):
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(sql)
    assert Event.objects.get(pk=event.pk).reason == ""


def test_new_events_are_still_appended(event, world):
    record_event(actor=world.admin, target=world.commitment, action="second", project=world.project)
    assert Event.objects.count() == 2
