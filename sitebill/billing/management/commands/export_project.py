"""`manage.py export_project <number> <file>`: back up one project to a file (sitebill/backup).

The file is one JSON document (gzip-compressed when its name ends in `.gz`), documented in
sitebill/backup/FORMAT.md. Password hashes are left out unless `--with-password-hashes`.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from sitebill.backup.export import project_export_to_file
from sitebill.core.exceptions import ApplicationError


class Command(BaseCommand):
    help = "Export a project with everything it holds to one JSON file (.json or .json.gz)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("number", help="The project number, like 2026-014.")
        parser.add_argument("file", help="The file to write; gzip-compressed if it ends in .gz.")
        parser.add_argument(
            "--with-password-hashes",
            action="store_true",
            help="Include the users' password hashes, so restored users keep their passwords "
            "(keep such a file as safe as the database).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            counts = project_export_to_file(
                number=options["number"],
                path=options["file"],
                with_password_hashes=options["with_password_hashes"],
            )
        except ApplicationError as error:
            raise CommandError(error.message) from None
        except OSError as error:
            raise CommandError(f"Could not write {options['file']}: {error}") from None
        summary = ", ".join(f"{n} {what.replace('_', ' ')}" for what, n in counts.items())
        self.stdout.write(
            self.style.SUCCESS(f"Exported project {options['number']} to {options['file']}")
            + (f" ({summary})." if summary else ".")
        )
