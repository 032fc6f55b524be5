from typing import Any

from django.core.management.base import BaseCommand

from sitebill.billing.services.invites import reminders_send


class Command(BaseCommand):
    help = "Email reminders to contacts who have not submitted, N days before the due date."

    def handle(self, *args: Any, **options: Any) -> None:
        reminded = reminders_send()
        self.stdout.write(f"Reminded {len(reminded)} commitment(s).")
