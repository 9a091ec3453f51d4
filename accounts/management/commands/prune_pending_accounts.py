from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from accounts.models import User


class Command(BaseCommand):
    help = (
        "Delete accounts whose email address was never confirmed, once they are older than "
        "--days (default 7). Run it daily, e.g. from cron."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--days", type=int, default=7, help="Minimum age in days (≥ 1).")
        parser.add_argument(
            "--dry-run", action="store_true", help="Only count what would be deleted."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        days: int = options["days"]
        if days < 1:
            raise CommandError("--days must be 1 or more: a fresh sign-up needs time to confirm.")
        stale = User.objects.pending().filter(date_joined__lt=timezone.now() - timedelta(days=days))
        if options["dry_run"]:
            self.stdout.write(f"{stale.count()} unconfirmed account(s) would be deleted.")
            return
        deleted = stale.delete()[1].get(User._meta.label, 0)
        self.stdout.write(f"Deleted {deleted} unconfirmed account(s) older than {days} days.")
