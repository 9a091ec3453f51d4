"""The background worker: it runs queued tasks from the database (SQLite, and PostgreSQL in
the PostgreSQL pass), retries the ones that fail and requeues the ones a dead worker left."""

from __future__ import annotations

import signal
import time
from datetime import timedelta
from typing import Any

import pytest
from django.tasks import TaskContext, TaskResultStatus, task
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from tests.factories import run_worker
from worker.recovery import requeue_abandoned, watch_abandoned
from worker.retry import retry_delay, retry_on_failure

# The worker closes its database connection between tasks, as a long-running process must:
# these tests commit for real instead of running inside a rolled-back transaction.
pytestmark = pytest.mark.django_db(transaction=True)


@task
def add(a: int, b: int) -> int:
    return a + b


class Flaky(Exception):
    pass


@task(takes_context=True)
def flaky(context: TaskContext, *, fail_until: int, attempt: int = 1) -> str:
    with retry_on_failure(context, attempt=attempt):
        if attempt <= fail_until:
            raise Flaky(f"attempt {attempt} fails")
    return f"done on attempt {attempt}"


@pytest.fixture(autouse=True)
def worker_settings(database_tasks: None, settings: Any) -> None:
    settings.TASKS_MAX_ATTEMPTS = 3
    settings.TASKS_STALE_SECONDS = 600


def row(result: Any) -> DBTaskResult:
    return DBTaskResult.objects.get(pk=result.id)


def abandon(result: Any, *, minutes_ago: int, workers: list[str] | None = None) -> None:
    """As a worker that took the task and was killed `minutes_ago` leaves it."""
    DBTaskResult.objects.filter(pk=result.id).update(
        status=TaskResultStatus.RUNNING,
        started_at=timezone.now() - timedelta(minutes=minutes_ago),
        worker_ids=workers or ["dead-worker"],
    )


def test_a_queued_task_waits_for_the_worker_then_runs_once() -> None:
    result = add.enqueue(2, 3)
    assert row(result).status == TaskResultStatus.READY

    run_worker()

    result.refresh()
    assert result.status == TaskResultStatus.SUCCESSFUL
    assert result.return_value == 5
    assert result.attempts == 1
    run_worker()
    assert row(result).worker_ids == result.worker_ids


def test_a_deferred_task_waits_until_its_time() -> None:
    later = add.using(run_after=timezone.now() + timedelta(hours=1)).enqueue(1, 1)
    run_worker()
    assert row(later).status == TaskResultStatus.READY

    DBTaskResult.objects.filter(pk=later.id).update(run_after=timezone.now())
    run_worker()
    assert row(later).status == TaskResultStatus.SUCCESSFUL


def test_the_worker_gives_back_the_callers_signal_handlers() -> None:
    before = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    run_worker()
    assert {sig: signal.getsignal(sig) for sig in before} == before


# RETRIES


def test_a_failed_task_is_logged_and_enqueued_again_a_minute_later(
    caplog: pytest.LogCaptureFixture,
) -> None:
    first = flaky.enqueue(fail_until=1)
    run_worker()

    assert row(first).status == TaskResultStatus.FAILED
    assert row(first).exception_class_path == "tests.test_worker.Flaky"
    retry = DBTaskResult.objects.exclude(pk=first.id).get()
    assert retry.status == TaskResultStatus.READY
    assert retry.args_kwargs == {"args": [], "kwargs": {"fail_until": 1, "attempt": 2}}
    wait = retry.run_after - timezone.now()
    assert timedelta(seconds=50) < wait <= timedelta(seconds=60)
    assert f"Task id={first.id} path=tests.test_worker.flaky failed (attempt 1 of 3)" in caplog.text

    # A minute later the worker runs it again, and it succeeds.
    DBTaskResult.objects.filter(pk=retry.pk).update(run_after=timezone.now())
    run_worker()
    retry.refresh_from_db()
    assert retry.status == TaskResultStatus.SUCCESSFUL
    assert retry.return_value == "done on attempt 2"


def test_a_task_that_keeps_failing_stops_after_the_last_attempt(
    caplog: pytest.LogCaptureFixture,
) -> None:
    flaky.enqueue(fail_until=99)
    for _ in range(5):
        DBTaskResult.objects.filter(status=TaskResultStatus.READY).update(run_after=timezone.now())
        run_worker()

    attempts = DBTaskResult.objects.order_by("enqueued_at")
    assert [r.status for r in attempts] == [TaskResultStatus.FAILED] * 3
    assert [r.args_kwargs["kwargs"].get("attempt", 1) for r in attempts] == [1, 2, 3]
    assert "failed for good after 3 attempts" in caplog.text


def test_retries_wait_longer_each_time_up_to_six_hours() -> None:
    minutes = [retry_delay(n).total_seconds() / 60 for n in range(1, 7)]
    assert minutes == [1, 5, 25, 125, 360, 360]


def test_without_a_worker_a_failure_is_logged_and_not_retried(
    settings: Any, caplog: pytest.LogCaptureFixture
) -> None:
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    result = flaky.enqueue(fail_until=1)
    assert result.status == TaskResultStatus.FAILED
    assert "is not retried: its backend cannot run it later" in caplog.text


# A WORKER THAT DIES


def test_a_task_left_running_by_a_dead_worker_is_run_by_the_next_worker(
    caplog: pytest.LogCaptureFixture,
) -> None:
    result = add.enqueue(20, 22)
    abandon(result, minutes_ago=11)

    run_worker()

    result.refresh()
    assert result.status == TaskResultStatus.SUCCESSFUL
    assert result.return_value == 42
    assert result.worker_ids[0] == "dead-worker"
    assert result.attempts == 2
    assert "was left running by worker dead-worker, which stopped" in caplog.text


def test_a_task_running_for_less_than_the_stale_time_is_left_to_its_worker() -> None:
    result = add.enqueue(1, 2)
    abandon(result, minutes_ago=9)

    assert requeue_abandoned() == 0
    run_worker()
    assert row(result).status == TaskResultStatus.RUNNING


def test_a_task_whose_workers_keep_dying_is_marked_failed() -> None:
    result = add.enqueue(1, 2)
    abandon(result, minutes_ago=30, workers=["w1", "w2", "w3"])

    assert requeue_abandoned() == 0
    result.refresh()
    assert result.status == TaskResultStatus.FAILED
    assert result.errors[0].exception_class_path == "worker.recovery.TaskAbandoned"


def test_a_finished_task_is_never_requeued() -> None:
    result = add.enqueue(1, 2)
    run_worker()
    DBTaskResult.objects.filter(pk=result.id).update(started_at=timezone.now() - timedelta(hours=2))
    assert requeue_abandoned() == 0
    assert row(result).status == TaskResultStatus.SUCCESSFUL


def test_a_running_worker_looks_for_abandoned_tasks_in_the_background() -> None:
    result = add.enqueue(1, 2)
    abandon(result, minutes_ago=11)

    stop = watch_abandoned(every=0.05)
    try:
        deadline = time.monotonic() + 10
        while row(result).status != TaskResultStatus.READY and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        stop.set()
    assert row(result).status == TaskResultStatus.READY
