"""`manage.py worker`: runs the site's background tasks (emails, reminders, imports).

django-tasks-db's `db_worker`, with every option of it (`--batch` runs what is queued and
exits; `--help` lists the rest), which also puts back in the queue the tasks that a worker
which died had taken: once when it starts, then every minute (worker.recovery).
"""

from __future__ import annotations

import os
import signal
from typing import Any

from django.utils.autoreload import DJANGO_AUTORELOAD_ENV
from django_tasks_db.management.commands import db_worker

from worker.recovery import requeue_abandoned, watch_abandoned

_SIGNALS = [signal.SIGINT, signal.SIGTERM, signal.SIGQUIT]


class Command(db_worker.Command):
    help = (
        "Run the background tasks queued in the database, and requeue those that a worker "
        "which died left behind. --batch runs what is queued now, then exits."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        # With --reload (the default in debug) this process only watches the code and
        # starts the real worker as a child process, which does the work below itself.
        watching_code_only = (
            options["reload"]
            and not options["batch"]
            and os.environ.get(DJANGO_AUTORELOAD_ENV) != "true"
        )
        stop_watching = None
        if not watching_code_only:
            requeue_abandoned()
            if not options["batch"]:
                stop_watching = watch_abandoned()
        # The worker installs its own Ctrl+C and TERM handlers; a caller that runs it
        # in-process (a test, a cron wrapper) gets its own back afterwards.
        handlers = {sig: signal.getsignal(sig) for sig in _SIGNALS}
        try:
            super().handle(*args, **options)
        finally:
            if stop_watching is not None:
                stop_watching.set()
            for sig, handler in handlers.items():
                signal.signal(sig, handler)
