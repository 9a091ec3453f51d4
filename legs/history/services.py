"""Writes to a runner's episode history, each in one transaction."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.models import User
from legs.assessment.engine import Answers, Result
from legs.knowledge.snapshot import Knowledge

from .models import Episode, EpisodeCause, EpisodeRemedy, FollowUp
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
