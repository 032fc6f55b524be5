from typing import Any

from django.core.management.base import BaseCommand

from sitebill.billing.demo import PASSWORD, demo_logins


class Command(BaseCommand):
    help = "Print the demo logins."

    def handle(self, *args: Any, **options: Any) -> None:
        for email, role in demo_logins():
            self.stdout.write(f"    {email:<32} {role}  (password {PASSWORD})")
