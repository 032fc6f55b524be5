"""Database triggers that make the Event table append-only (UPDATE, DELETE, TRUNCATE refused).

The history is evidence: once written, an Event is never changed or removed, not even by code
with database access that forgets the rule (OWASP ASVS 16.4.2; PCI DSS 10.5). Installed by a
migration on SQLite and PostgreSQL alike; any other backend is refused at migration time so the
promise is never silently missing.
"""

from __future__ import annotations

from typing import Any

TABLE = "core_event"
MESSAGE = "core_event is append-only"

_SQLITE_CREATE = [
    f"CREATE TRIGGER IF NOT EXISTS core_event_no_update BEFORE UPDATE ON {TABLE} "
    f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END;",
    f"CREATE TRIGGER IF NOT EXISTS core_event_no_delete BEFORE DELETE ON {TABLE} "
    f"BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END;",
]
_SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS core_event_no_update;",
    "DROP TRIGGER IF EXISTS core_event_no_delete;",
]
_POSTGRES_CREATE = [
    "CREATE OR REPLACE FUNCTION core_event_append_only() RETURNS trigger AS $$ "
    f"BEGIN RAISE EXCEPTION '{MESSAGE}'; END; $$ LANGUAGE plpgsql;",
    "DROP TRIGGER IF EXISTS core_event_no_change ON core_event;",
    f"CREATE TRIGGER core_event_no_change BEFORE UPDATE OR DELETE ON {TABLE} "
    "FOR EACH ROW EXECUTE FUNCTION core_event_append_only();",
    "DROP TRIGGER IF EXISTS core_event_no_truncate ON core_event;",
    f"CREATE TRIGGER core_event_no_truncate BEFORE TRUNCATE ON {TABLE} "
    "FOR EACH STATEMENT EXECUTE FUNCTION core_event_append_only();",
]
_POSTGRES_DROP = [
    f"DROP TRIGGER IF EXISTS core_event_no_change ON {TABLE};",
    f"DROP TRIGGER IF EXISTS core_event_no_truncate ON {TABLE};",
]


def _statements(vendor: str, *, create: bool) -> list[str]:
    if vendor == "sqlite":
        return _SQLITE_CREATE if create else _SQLITE_DROP
    if vendor == "postgresql":
        return _POSTGRES_CREATE if create else _POSTGRES_DROP
    raise RuntimeError(f"No append-only triggers for the {vendor} database backend.")


def install(connection: Any) -> None:
    with connection.cursor() as cursor:
        for statement in _statements(connection.vendor, create=True):
            cursor.execute(statement)


def remove(connection: Any) -> None:
    """Only for tearing down a test database (Django flushes tables between some tests)."""
    with connection.cursor() as cursor:
        for statement in _statements(connection.vendor, create=False):
            cursor.execute(statement)
