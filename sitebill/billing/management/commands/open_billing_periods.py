"""Open the billing period covering today on every project with monthly or weekly periods.

Run it daily from a scheduler (cron, systemd timer); running it twice opens nothing new.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from sitebill.billing.services.periods import billing_periods_open_due


class Command(BaseCommand):
    help = "Open the billing period covering today for projects with monthly or weekly periods."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--date",
            type=dt.date.fromisoformat,
            default=None,
            help="Act as if today were this date (YYYY-MM-DD).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        today = options["date"] or timezone.localdate()
        opened = billing_periods_open_due(today=today)
        for period in opened:
            self.stdout.write(
                f"Opened {period} on {period.project}, due {period.due_date:%b %d, %Y}."
            )
        if not opened:
            self.stdout.write(f"No billing periods to open on {today:%b %d, %Y}.")
