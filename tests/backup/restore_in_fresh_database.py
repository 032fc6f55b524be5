"""Run in a child process by the round-trip tests, against an empty database:

    DATABASE_URL=<fresh database> python -m tests.backup.restore_in_fresh_database FILE NUMBER

migrates it, runs `manage.py import_project FILE` (the real command), then prints the project's
snapshot (tests/backup/snapshot.py) as JSON on the last line of stdout. One process for the
three steps, because the test settings give each process its own media directory.
"""

from __future__ import annotations

import json
import os
import sys


def main(path: str, number: str) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from sitebill.accounts.models import Project
    from sitebill.core.models import Event
    from tests.backup.snapshot import project_snapshot

    call_command("migrate", verbosity=0)
    empty = not Project.objects.exists() and not Event.objects.exists()
    call_command("import_project", path)
    snapshot = project_snapshot(number)
    print(json.dumps({"vendor": connection.vendor, "was_empty": empty, "snapshot": snapshot}))


if __name__ == "__main__":
    main(*sys.argv[1:3])
