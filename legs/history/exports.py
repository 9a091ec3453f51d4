"""A runner's episodes as CSV and JSON: their own data, to keep or to show a doctor."""

from __future__ import annotations

import csv
from collections.abc import Iterable
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.utils import timezone

from accounts.models import User

from .models import Episode, Run

if TYPE_CHECKING:
    from _typeshed import SupportsWrite

# Text a spreadsheet would run as a formula starts with one of these.
CSV_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def episodes_for_export(user: User) -> Iterable[Episode]:
    return (
        Episode.objects.for_user(user)
        .select_related("follow_up")
        .prefetch_related("causes", "remedies")
        .order_by("run_date", "created_at", "pk")
    )


def _number(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def export_record(episode: Episode, unit: str) -> dict[str, Any]:
    follow_up = episode.saved_follow_up()
    return {
        "id": episode.pk,
        "run_date": episode.run_date.isoformat(),
        f"distance_{unit}": _number(episode.distance_in(unit)),
        "duration_minutes": (
            None if episode.duration is None else round(episode.duration.total_seconds() / 60, 1)
        ),
        "heaviness": episode.heaviness,
        "legs": episode.legs or None,
        "notes": episode.notes,
        "triage": episode.triage,
        "top_cause": episode.top_cause_name or None,
        "causes": [
            {"slug": c.slug, "name": c.name, "band": c.band, "rank": c.rank}
            for c in episode.causes.all()
        ],
        "remedies": [
            {"cause": r.cause_name, "title": r.title, "tried": r.tried}
            for r in episode.remedies.all()
        ],
        "follow_up": (
            None
            if follow_up is None
            else {
                "outcome": follow_up.outcome,
                "note": follow_up.note,
                "given_on": follow_up.given_on.isoformat(),
            }
        ),
        "answers": episode.answers,
        "answers_in_words": episode.answer_labels,
        "result": episode.result,
        "knowledge_version": episode.knowledge_version,
        "saved_at": episode.created_at.isoformat(),
    }


def csv_cell(value: object) -> object:
    """Text that a spreadsheet would run as a formula is kept as text."""
    if isinstance(value, str) and value.startswith(CSV_FORMULA_STARTS):
        return "'" + value
    return value


def export_filename(extension: str, what: str = "episodes") -> str:
    return f"heavy-legs-{what}-{timezone.localdate():%Y-%m-%d}.{extension}"


def write_csv(out: SupportsWrite[str], user: User, unit: str) -> None:
    """Every episode of `user` as CSV rows, distances in `unit`."""
    writer = csv.writer(out)
    writer.writerow(
        [
            "run_date",
            f"distance_{unit}",
            "duration_minutes",
            "heaviness",
            "legs",
            "triage",
            "top_cause",
            "likely_causes",
            "possible_causes",
            "remedies_tried",
            "follow_up",
            "follow_up_note",
            "follow_up_date",
            "notes",
            "knowledge_version",
            "saved_at",
        ]
    )
    for episode in episodes_for_export(user):
        record = export_record(episode, unit)
        follow_up = record["follow_up"] or {}
        row = [
            record["run_date"],
            episode.distance_in(unit),
            record["duration_minutes"],
            record["heaviness"],
            record["legs"],
            record["triage"],
            record["top_cause"],
            "; ".join(c["name"] for c in record["causes"] if c["band"] == "likely"),
            "; ".join(c["name"] for c in record["causes"] if c["band"] != "likely"),
            "; ".join(r["title"] for r in record["remedies"] if r["tried"]),
            follow_up.get("outcome"),
            follow_up.get("note"),
            follow_up.get("given_on"),
            record["notes"],
            record["knowledge_version"],
            record["saved_at"],
        ]
        writer.writerow([csv_cell(cell) for cell in row])


def export_document(user: User, unit: str) -> dict[str, Any]:
    """Every episode of `user` as one JSON document, distances in `unit`."""
    return {
        "exported_at": timezone.now().isoformat(),
        "distance_unit": unit,
        "episodes": [export_record(e, unit) for e in episodes_for_export(user)],
        "runs": [run_record(run) for run in runs_for_export(user)],
    }


# RUNS

RUN_COLUMNS = (
    "run_date",
    "start_time",
    "distance_m",
    "moving_time_s",
    "elevation_gain_m",
    "average_heart_rate",
    "source",
    "strava_id",
    "episode_id",
)


def runs_for_export(user: User) -> Iterable[Run]:
    return Run.objects.for_user(user).order_by("run_date", "start_time", "pk")


def run_record(run: Run) -> dict[str, Any]:
    """One run as exported; distances in metres and times in seconds, as stored."""
    return {
        "run_date": run.run_date.isoformat(),
        "start_time": None if run.start_time is None else run.start_time.isoformat(),
        "distance_m": run.distance_m,
        "moving_time_s": run.moving_time_s,
        "elevation_gain_m": run.elevation_gain_m,
        "average_heart_rate": run.average_heart_rate,
        "source": run.source,
        "strava_id": run.strava_id,
        "episode_id": run.episode_id,
    }


def write_runs_csv(out: SupportsWrite[str], user: User) -> None:
    """Every run of `user` as CSV rows."""
    writer = csv.writer(out)
    writer.writerow(RUN_COLUMNS)
    for run in runs_for_export(user):
        record = run_record(run)
        writer.writerow([csv_cell(record[column]) for column in RUN_COLUMNS])
