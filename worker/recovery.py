"""Tasks left behind by a worker that died go back in the queue.

A worker of django-tasks-db takes a task by marking its row running (in a transaction that
locks the row, with SKIP LOCKED on PostgreSQL and an exclusive transaction on SQLite), and
marks it successful or failed when it ends. A worker that is killed in between leaves the
row marked running for ever: the task is not lost (its row and arguments stay in the
database) but nothing would run it again. `requeue_abandoned` finds such rows, running for
longer than TASKS_STALE_SECONDS, and makes them ready again; `manage.py worker` calls it when
it starts and then every minute, so another worker (or the same one, restarted) runs them.

Delivery is therefore "at least once": a task that was only slow, not abandoned, can run a
second time, so keep tasks short (well under TASKS_STALE_SECONDS) and safe to repeat. A
task abandoned TASKS_MAX_ATTEMPTS times (it may be what kills the worker) is marked failed
instead.
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime, timedelta

from django.conf import settings
from django.db import DatabaseError, connection
from django.tasks import TaskResultStatus
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

logger = logging.getLogger(__name__)

# How often a running worker looks for abandoned tasks, in seconds.
CHECK_EVERY = 60.0


class TaskAbandoned(Exception):  # noqa: N818 - recorded as the failed task's exception
    """The task's worker stopped while running it, too many times."""


def requeue_abandoned(*, now: datetime | None = None) -> int:
    """Make every task abandoned by a dead worker ready to run again; returns how many.

    Each row changes only if it is still running, so a worker that finishes the task at
    the same moment, or another worker doing this, is never overruled."""
    now = now or timezone.now()
    max_attempts: int = settings.TASKS_MAX_ATTEMPTS
    stale = DBTaskResult.objects.running().filter(
        started_at__lt=now - timedelta(seconds=settings.TASKS_STALE_SECONDS)
    )
    requeued = 0
    for row in stale.only("id", "task_path", "worker_ids"):
        still_running = DBTaskResult.objects.filter(pk=row.pk, status=TaskResultStatus.RUNNING)
        attempts = len(row.worker_ids)
        if attempts >= max_attempts:
            still_running.update(
                status=TaskResultStatus.FAILED,
                finished_at=now,
                exception_class_path=f"{__name__}.{TaskAbandoned.__qualname__}",
                traceback=f"{TaskAbandoned.__qualname__}: its worker stopped {attempts} times.",
            )
            logger.error(
                "Task id=%s path=%s failed for good: its worker stopped during each of %d attempts",
                row.pk,
                row.task_path,
                attempts,
            )
        elif still_running.update(status=TaskResultStatus.READY):
            requeued += 1
            logger.warning(
                "Task id=%s path=%s was left running by worker %s, which stopped; it is "
                "ready to run again (attempt %d of %d)",
                row.pk,
                row.task_path,
                row.worker_ids[-1] if row.worker_ids else "-",
                attempts + 1,
                max_attempts,
            )
    return requeued


def watch_abandoned(every: float = CHECK_EVERY) -> threading.Event:
    """Call requeue_abandoned every `every` seconds in a background thread, until the
    returned event is set (or the process ends)."""
    stop = threading.Event()

    def watch() -> None:
        while not stop.wait(every):
            try:
                requeue_abandoned()
            except DatabaseError:
                logger.exception("Could not look for abandoned tasks; trying again later")
            finally:
                # This thread's own connection: not left open between checks.
                connection.close()

    threading.Thread(target=watch, name="requeue-abandoned-tasks", daemon=True).start()
    return stop
