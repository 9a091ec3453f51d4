"""A task that fails runs again later, up to TASKS_MAX_ATTEMPTS times in all.

django-tasks-db records a task that raises as failed and never runs it again. A task that
should be retried takes the context and an `attempt` keyword (1 for the first run) and does
its work inside `retry_on_failure`:

    @task(takes_context=True)
    def send_something(context: TaskContext, *, user_id: int, attempt: int = 1) -> None:
        with retry_on_failure(context, attempt=attempt):
            ...

When the work raises, the same task is enqueued again with the same arguments and
`attempt + 1`, to run 1, 5, 25 minutes… later (at most 6 hours), and the error goes on up, so
this attempt is recorded as failed and logged by Django (logger `django.tasks`, with the
traceback). After the last attempt nothing more is enqueued and an error says so. Retried
work must be safe to run twice: a worker can fail after the work was done and before it
recorded so.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.tasks import TaskContext, TaskResult
from django.utils import timezone

logger = logging.getLogger(__name__)

FIRST_DELAY_SECONDS = 60
LONGEST_DELAY_SECONDS = 6 * 60 * 60


def retry_delay(attempt: int) -> timedelta:
    """How long after failed attempt number `attempt` the next one runs: 1, 5, 25 minutes…"""
    return timedelta(seconds=min(FIRST_DELAY_SECONDS * 5 ** (attempt - 1), LONGEST_DELAY_SECONDS))


def retry_later(context: TaskContext[..., Any], *, attempt: int) -> TaskResult[..., Any] | None:
    """Enqueue this task again, after retry_delay(attempt), with the same arguments and the
    next attempt number; None when it has had every attempt, or its backend cannot defer."""
    task_result = context.task_result
    task = task_result.task
    max_attempts: int = settings.TASKS_MAX_ATTEMPTS
    if attempt >= max_attempts:
        logger.error(
            "Task id=%s path=%s failed for good after %d attempts",
            task_result.id,
            task.module_path,
            attempt,
        )
        return None
    if not task.get_backend().supports_defer:
        # The immediate backend runs a task inside the request: trying again there would
        # only make the visitor wait for the same failure.
        logger.error(
            "Task id=%s path=%s failed and is not retried: its backend cannot run it later",
            task_result.id,
            task.module_path,
        )
        return None
    run_after = timezone.now() + retry_delay(attempt)
    retry = task.using(run_after=run_after).enqueue(
        *task_result.args, **{**task_result.kwargs, "attempt": attempt + 1}
    )
    logger.warning(
        "Task id=%s path=%s failed (attempt %d of %d); attempt %d is task id=%s at %s",
        task_result.id,
        task.module_path,
        attempt,
        max_attempts,
        attempt + 1,
        retry.id,
        run_after.isoformat(timespec="seconds"),
    )
    return retry


@contextmanager
def retry_on_failure(context: TaskContext[..., Any], *, attempt: int) -> Iterator[None]:
    """Run the block; if it raises, enqueue the task again for later and let the error go on."""
    try:
        yield
    except Exception:
        retry_later(context, attempt=attempt)
        raise
