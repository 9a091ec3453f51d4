"""Writes to a runner's episode history, each in one transaction."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import User
from legs.assessment.engine import Answers, Result
from legs.knowledge.snapshot import Knowledge

from .imports import Activity
from .models import (
    Episode,
    EpisodeCause,
    EpisodeRemedy,
    FollowUp,
    ImportBatch,
    ImportFile,
    Run,
    run_fingerprint,
)
from .tasks import follow_up_reminder_schedule


@dataclass(frozen=True, slots=True)
class RunContext:
    """What the runner tells us about the run itself; everything but the date is optional."""

    run_date: date
    distance_km: Decimal | None = None
    duration: timedelta | None = None
    heaviness: int | None = None
    legs: str = ""
    notes: str = ""


def describe_answers(answers: Mapping[str, Any], knowledge: Knowledge) -> list[dict[str, str]]:
    """The answers in words, in the wizard's order, as the questions read when saved."""
    described: list[dict[str, str]] = []
    for key, question in knowledge.questions.items():
        if key not in answers:
            continue
        raw = answers[key]
        values = raw if isinstance(raw, list) else [raw]
        labels = [question.choices[v].label if v in question.choices else str(v) for v in values]
        described.append({"question": key, "text": question.text, "answer": "; ".join(labels)})
    for key, raw in answers.items():
        if key not in knowledge.questions:
            shown = ", ".join(map(str, raw)) if isinstance(raw, list) else str(raw)
            described.append({"question": key, "text": key, "answer": shown})
    return described


@transaction.atomic
def episode_create(
    *,
    user: User,
    answers: Answers,
    result: Result,
    knowledge: Knowledge,
    run_context: RunContext,
    token: uuid.UUID,
) -> Episode:
    """Save an assessment result and its run as an episode.

    `result` must have been scored with `knowledge`, which also words the answers, so the
    episode records one version of the knowledge base. `token` is the one-time key of the
    save form: saving the same token again returns the episode saved the first time, so a
    double submit never creates a duplicate.
    """
    existing = Episode.objects.filter(owner=user, token=token).first()
    if existing is not None:
        return existing
    top = result.causes[0] if result.causes and not result.stops else None
    episode = Episode(
        owner=user,
        token=token,
        run_date=run_context.run_date,
        distance_km=run_context.distance_km,
        duration=run_context.duration,
        heaviness=run_context.heaviness,
        legs=run_context.legs,
        notes=run_context.notes,
        answers=dict(answers),
        answer_labels=describe_answers(answers, knowledge),
        result=result.to_dict(),
        triage=result.triage.value,
        top_cause_slug=top.slug if top else "",
        top_cause_name=top.name[:120] if top else "",
        knowledge_version=knowledge.version,
    )
    episode.full_clean(exclude=["token"], validate_constraints=False)
    try:
        with transaction.atomic():
            episode.save()
    except IntegrityError:
        # Two submits raced past the check above: the other one won; return its episode.
        winner = Episode.objects.filter(owner=user, token=token).first()
        if winner is None:
            raise
        return winner
    EpisodeCause.objects.bulk_create(EpisodeCause.for_result(episode, result))
    EpisodeRemedy.objects.bulk_create(EpisodeRemedy.for_result(episode, result))
    link_day_run(episode, new=True)
    follow_up_reminder_schedule(episode)
    return episode


@transaction.atomic
def episode_update_run_context(*, episode: Episode, run_context: RunContext) -> Episode:
    episode.run_date = run_context.run_date
    episode.distance_km = run_context.distance_km
    episode.duration = run_context.duration
    episode.heaviness = run_context.heaviness
    episode.legs = run_context.legs
    episode.notes = run_context.notes
    episode.full_clean(validate_constraints=False)
    episode.save()
    link_day_run(episode)
    return episode


@transaction.atomic
def episode_mark_tried(*, episode: Episode, tried_ids: Collection[int]) -> None:
    """Tick exactly the remedies in `tried_ids` (this episode's own) as tried."""
    remedies = EpisodeRemedy.objects.filter(episode=episode)
    remedies.filter(pk__in=tried_ids).update(tried=True)
    remedies.exclude(pk__in=tried_ids).update(tried=False)


@transaction.atomic
def follow_up_save(*, episode: Episode, outcome: str, note: str) -> FollowUp:
    """Record how the runner feels now; a later follow-up replaces the earlier one."""
    follow_up, _ = FollowUp.objects.update_or_create(
        episode=episode,
        defaults={"outcome": outcome, "note": note, "given_on": timezone.localdate()},
    )
    return follow_up


@transaction.atomic
def episode_follow_up_save(
    *, episode: Episode, tried_ids: Collection[int], outcome: str, note: str
) -> FollowUp | None:
    """Save the episode page's form in one go: exactly the fixes in `tried_ids` ticked as
    tried and, when `outcome` is given, the follow-up (the latest replaces the previous; one
    sent again unchanged keeps the day it was given)."""
    episode_mark_tried(episode=episode, tried_ids=tried_ids)
    current = FollowUp.objects.filter(episode=episode).first()
    if not outcome:
        return current
    if current is not None and (current.outcome, current.note) == (outcome, note):
        return current
    return follow_up_save(episode=episode, outcome=outcome, note=note)


@transaction.atomic
def episode_delete(*, episode: Episode) -> None:
    """Delete the episode with its causes, remedies and follow-up (all CASCADE)."""
    episode.delete()


# RUNS


class DuplicateRun(Exception):
    """The runner's log already holds this run."""


def _same_run(user: User, activity: Activity) -> bool:
    """A run starting within two minutes (which covers the same fingerprint), or the same
    Strava activity; each look-up along its own index."""
    runs = Run.objects.filter(owner=user)
    if runs.starting_near(activity.start_time).exists():
        return True
    return activity.strava_id is not None and runs.filter(strava_id=activity.strava_id).exists()


@transaction.atomic
def run_create(*, user: User, activity: Activity) -> Run:
    """Store one run read from a file; DuplicateRun when the log already holds it: the same
    Strava activity, or a run that started within two minutes of it (a watch's file and
    Strava's copy of one run)."""
    fingerprint = run_fingerprint(
        start_time=activity.start_time,
        run_date=activity.day(timezone.get_current_timezone()),
        distance_m=activity.distance_m,
        moving_time_s=activity.moving_time_s,
    )
    if _same_run(user, activity):
        raise DuplicateRun
    run = Run(
        owner=user,
        run_date=activity.day(timezone.get_current_timezone()),
        start_time=activity.start_time,
        distance_m=activity.distance_m,
        moving_time_s=activity.moving_time_s,
        elevation_gain_m=activity.elevation_gain_m,
        average_heart_rate=activity.average_heart_rate,
        source=activity.source,
        fingerprint=fingerprint,
        strava_id=activity.strava_id,
    )
    # The owner and episode are known to exist: checking them would cost two queries a run.
    run.full_clean(exclude=["owner", "episode"], validate_unique=False, validate_constraints=False)
    try:
        with transaction.atomic():
            run.save()
    except IntegrityError as exc:
        # Another import of the same run won the race past the check above.
        raise DuplicateRun from exc
    return run


@transaction.atomic
def run_delete(*, run: Run) -> None:
    run.delete()


def link_day_run(episode: Episode, *, new: bool = False) -> Run | None:
    """Link `episode` to the run of its day (the longest if several, among those not linked
    to another episode); a run linked before to another day is let go. A `new` episode has
    no run yet."""
    if not new:
        runs = Run.objects.filter(episode=episode)
        runs.exclude(run_date=episode.run_date).update(episode=None)
        linked = runs.first()
        if linked is not None:
            return linked
    run = (
        Run.objects.filter(owner_id=episode.owner_id, run_date=episode.run_date, episode=None)
        .order_by("-distance_m", "pk")
        .first()
    )
    if run is not None:
        Run.objects.filter(pk=run.pk).update(episode=episode)
        run.episode = episode
    return run


@transaction.atomic
def link_runs_to_episodes(*, user: User, days: Collection[date]) -> int:
    """After an import: each episode on one of `days` without a run gets that day's run."""
    episodes = Episode.objects.filter(owner=user, run_date__in=days).exclude(
        pk__in=Run.objects.filter(owner=user, episode__isnull=False).values("episode")
    )
    return sum(1 for episode in episodes if link_day_run(episode) is not None)


@transaction.atomic
def import_batch_create(*, user: User, files: Sequence[tuple[str, bytes]]) -> ImportBatch:
    """An import waiting for its task, with the uploaded files stored until it reads them."""
    batch = ImportBatch.objects.create(owner=user)
    ImportFile.objects.bulk_create(
        ImportFile(batch=batch, name=name[:255], data=data) for name, data in files
    )
    return batch
