"""The background import of an upload of run files (a django.tasks task).

Each activity is stored in its own transaction (services.run_create), so a file that cannot
be read leaves nothing behind, and the other files of the upload still import. The batch's
counts are written as it goes, for the page's progress bar.
"""

from __future__ import annotations

import logging
import time
from datetime import date

from django.core.exceptions import ValidationError
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
    ImportBatch.objects.filter(pk=batch.pk).update(
        status=batch.status,
        total=batch.total,
        done=batch.done,
        imported=batch.imported,
        duplicates=batch.duplicates,
        skipped=batch.skipped,
        errors=batch.errors,
        finished_at=batch.finished_at,
    )


def process_batch(batch_id: int) -> ImportBatch | None:
    """Read every file of the batch, store its runs and delete the files."""
    batch = ImportBatch.objects.select_related("owner").filter(pk=batch_id).first()
    if batch is None or batch.is_over:
        return batch
    batch.status = ImportStatus.RUNNING
    _save_progress(batch)
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
