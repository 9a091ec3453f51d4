"""The background import of an upload of run files (a django.tasks task).

Each activity is stored in its own transaction (services.run_create), so a file that cannot
be read leaves nothing behind, and the other files of the upload still import. The batch's
counts are written as it goes, for the page's progress bar, and tell the worker's second
attempt at the task (worker.recovery) whether the first is still alive.
"""

from __future__ import annotations

import logging
import time
from datetime import date, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.tasks import task
from django.utils import timezone

from .imports import Budget, Entry, NotARun, UnreadableFile, upload_entries
from .models import ImportBatch, ImportFile, ImportStatus
from .services import DuplicateRun, link_runs_to_episodes, run_create

logger = logging.getLogger(__name__)

# The progress bar's counts are written at most this often.
PROGRESS_EVERY_SECONDS = 0.5
# At most this many problems are kept with a batch; the rest are counted.
MAX_PROBLEMS = 200


@task()
def import_runs(batch_id: int) -> None:
    process_batch(batch_id)


def _problem(batch: ImportBatch, name: str, problem: str) -> None:
    if len(batch.errors) < MAX_PROBLEMS:
        batch.errors.append({"file": name, "problem": problem})
    elif len(batch.errors) == MAX_PROBLEMS:
        batch.errors.append({"file": "…", "problem": "more files could not be read"})


def _save_progress(batch: ImportBatch) -> None:
    batch.progress_at = timezone.now()
    batch.save(
        update_fields=[
            "progress_at", "status", "total", "done", "imported", "duplicates", "skipped",
            "errors", "finished_at",
        ]
    )  # fmt: skip


def _claim(batch_id: int) -> bool:
    """Mark the batch running, from zero, if no other run has it; True if this run does.

    The worker runs a task again when it has been running for TASKS_STALE_SECONDS, in case
    its worker died (worker.recovery): one UPDATE, conditional on the batch waiting or on
    its counts not having moved for that long, so a batch still being imported is not
    imported twice at once, and one whose run died starts again."""
    now = timezone.now()
    stale = now - timedelta(seconds=settings.TASKS_STALE_SECONDS)
    claimable = Q(status=ImportStatus.WAITING) | Q(
        Q(progress_at__lt=stale) | Q(progress_at__isnull=True), status=ImportStatus.RUNNING
    )
    return bool(
        ImportBatch.objects.filter(claimable, pk=batch_id).update(
            status=ImportStatus.RUNNING,
            progress_at=now,
            total=0,
            done=0,
            imported=0,
            duplicates=0,
            skipped=0,
            errors=[],
            finished_at=None,
        )
    )


def process_batch(batch_id: int) -> ImportBatch | None:
    """Read every file of the batch, store its runs and delete the files; nothing if
    another run is importing it or it is over (the batch as it is is returned)."""
    if not _claim(batch_id):
        return ImportBatch.objects.filter(pk=batch_id).first()
    batch = ImportBatch.objects.select_related("owner").get(pk=batch_id)
    try:
        entries = _open_files(batch)
        days = _import(batch, entries)
        link_runs_to_episodes(user=batch.owner, days=days)
        batch.status = ImportStatus.FINISHED
    except Exception:
        logger.exception("The import of batch %s stopped", batch.pk)
        batch.status = ImportStatus.FAILED
        _problem(batch, "the upload", "the import stopped on an unexpected error; try again")
    finally:
        ImportFile.objects.filter(batch=batch).delete()
        batch.finished_at = timezone.now()
        _save_progress(batch)
    return batch


def _open_files(batch: ImportBatch) -> list[Entry]:
    """Every activity of every file of the batch; a file that cannot be opened at all is
    reported by name."""
    budget = Budget()
    entries: list[Entry] = []
    for name, data in ImportFile.objects.filter(batch=batch).values_list("name", "data"):
        try:
            entries.extend(upload_entries(name, bytes(data), budget))
        except UnreadableFile as exc:
            _problem(batch, name, str(exc))
        except Exception:
            # A reader's own bug on a strange file: that file is reported, the rest go on.
            logger.exception("Could not open %s of batch %s", name, batch.pk)
            _problem(batch, name, "it could not be read")
    batch.total = len(entries)
    _save_progress(batch)
    return entries


def _import(batch: ImportBatch, entries: list[Entry]) -> set[date]:
    days: set[date] = set()
    saved_at = time.monotonic()
    for entry in entries:
        try:
            run = run_create(user=batch.owner, activity=entry.read())
        except NotARun:
            batch.skipped += 1
        except DuplicateRun:
            batch.duplicates += 1
        except UnreadableFile as exc:
            _problem(batch, entry.name, str(exc))
        except ValidationError as exc:
            _problem(batch, entry.name, "; ".join(exc.messages))
        except Exception:
            # A parser's own bug on a strange file: that file is reported, the rest go on.
            logger.exception("Could not read %s of batch %s", entry.name, batch.pk)
            _problem(batch, entry.name, "it could not be read")
        else:
            batch.imported += 1
            days.add(run.run_date)
        batch.done += 1
        if time.monotonic() - saved_at > PROGRESS_EVERY_SECONDS:
            _save_progress(batch)
            saved_at = time.monotonic()
    return days
