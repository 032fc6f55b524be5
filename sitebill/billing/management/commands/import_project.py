"""`manage.py import_project <file>`: restore a project from a backup (sitebill/backup).

Refused, saving nothing, when the database already has a project with that number, or when the
file is not a valid backup (the message names the place in the JSON).
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from sitebill.backup.restore import project_import_from_file
from sitebill.core.exceptions import ApplicationError


class Command(BaseCommand):
    help = "Import a project from a backup file written by export_project (.json or .json.gz)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="The backup file to read.")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            project = project_import_from_file(path=options["file"])
        except ApplicationError as error:
            raise CommandError(error.message) from None
        except OSError as error:
            raise CommandError(f"Could not read {options['file']}: {error}") from None
        self.stdout.write(self.style.SUCCESS(f"Imported project {project}."))
        self.stdout.write(
            "Users created by the import have no password unless the backup carried their "
            "hashes: they set one with 'Set or reset your password' on the login page."
        )
