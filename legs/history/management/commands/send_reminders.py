"""`manage.py send_reminders`: the follow-up reminders that are due, for sites that run cron.

The worker already sends each reminder three days after its episode was saved; this command
sends any that are due (say, when the site runs no worker, or the worker was down), and can
run as often as you like beside it: each reminder goes out once (legs.history.reminders).
"""

from __future__ import annotations

import logging
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from legs.history.reminders import due_reminder_ids, follow_up_reminder_send

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = (
        "Email the follow-up reminders that are due. Safe to run as often as you like, beside "
        "the worker: each reminder goes out once."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--dry-run", action="store_true", help="Count the reminders that are due; send none."
        )

    def handle(self, *args: Any, dry_run: bool, **options: Any) -> None:
        now = timezone.now()
        due = due_reminder_ids(now)
        if dry_run:
            self.stdout.write(f"{len(due)} follow-up reminder(s) due.")
            return
        sent = failed = 0
        for episode_id in due:
            try:
                if follow_up_reminder_send(episode_id=episode_id, now=now):
                    sent += 1
            except Exception:  # any mail backend's error: the next reminder may still go
                logger.exception("Could not send the follow-up reminder of episode %s", episode_id)
                failed += 1
        self.stdout.write(f"Sent {sent} follow-up reminder(s).")
        if failed:
            raise CommandError(
                f"{failed} follow-up reminder(s) could not be sent; the next run tries again."
            )
