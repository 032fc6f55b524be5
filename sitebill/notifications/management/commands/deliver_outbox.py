import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from sitebill.notifications.outbox import deliver


class Command(BaseCommand):
    help = (
        "Deliver every queued email that is due, now. The task worker (manage.py db_worker) "
        "normally does this; this command is the fallback for a task backend that cannot defer "
        "retries, and a way to drain the outbox by hand. --loop keeps going."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--loop", action="store_true", help="Keep delivering until stopped.")
        parser.add_argument("--interval", type=float, default=10.0, help="Seconds between runs.")

    def handle(self, *args: Any, **options: Any) -> None:
        while True:
            report = deliver()
            if report.sent or report.retrying or report.failed or not options["loop"]:
                self.stdout.write(
                    f"sent {report.sent}, kept {report.kept}, retrying {report.retrying}, "
                    f"failed {report.failed}"
                )
            if not options["loop"]:
                return
            time.sleep(options["interval"])
