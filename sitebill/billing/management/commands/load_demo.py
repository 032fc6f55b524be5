from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from sitebill.accounts.models import User
from sitebill.billing.demo import load_demo


class Command(BaseCommand):
    help = "Load the demo project (two closed periods with approved pay apps, one Open)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--if-empty", action="store_true", help="Do nothing when the database has users."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["if_empty"] and User.objects.exists():
            self.stdout.write("The database already has data: demo not loaded.")
            return
        project = load_demo()
        self.stdout.write(self.style.SUCCESS(f"Loaded the demo project {project}."))
