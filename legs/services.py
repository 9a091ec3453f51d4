"""Writes to a runner's episode history, each in one transaction.

Every write also counts up the runner's `history_version` in the same transaction, so a page
kept under that version (the insights) is never shown again once the history has changed.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from accounts.models import User

from .diagnosis import Knowledge
from .knowledge import get_knowledge
from .models import Episode, EpisodeCause, EpisodeRemedy, FollowUp
from .presentation import SHOWN_CAUSES, TOP_REMEDIES


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


def _history_changed(owner_id: int) -> None:
    """Count up the runner's history version: one UPDATE, in the caller's transaction."""
    User.objects.filter(pk=owner_id).update(history_version=F("history_version") + 1)


@transaction.atomic
def episode_create(
    *,
    user: User,
    answers: Mapping[str, Any],
    result: Mapping[str, Any],
    knowledge_version: int,
    run_context: RunContext,
    token: uuid.UUID,
) -> Episode:
    """Save an assessment result and its run as an episode.

    `token` is the one-time key of the save form: saving the same token again returns the
    episode saved the first time, so a double submit never creates a duplicate.
    """
    existing = Episode.objects.filter(owner=user, token=token).first()
    if existing is not None:
        return existing
    causes: list[Mapping[str, Any]] = list(result.get("causes", []))
    top = causes[0] if causes else {}
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
        answer_labels=describe_answers(answers, get_knowledge()),
        result=dict(result),
        triage=str(result.get("triage", "")),
        top_cause_slug=str(top.get("slug", "")),
        top_cause_name=str(top.get("name", ""))[:120],
        knowledge_version=knowledge_version,
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
    EpisodeCause.objects.bulk_create(
        EpisodeCause(
            episode=episode,
            slug=str(cause.get("slug", "")),
            name=str(cause.get("name", ""))[:120],
            band=str(cause.get("band", "")),
            rank=rank,
        )
        for rank, cause in enumerate(causes, start=1)
    )
    # The remedies the result page showed, so the runner can tick the ones they try.
    EpisodeRemedy.objects.bulk_create(
        EpisodeRemedy(
            episode=episode,
            cause_slug=str(cause.get("slug", "")),
            cause_name=str(cause.get("name", ""))[:120],
            position=position,
            title=str(remedy.get("title", ""))[:160],
            summary=str(remedy.get("summary", ""))[:300],
            kind=str(remedy.get("kind", "")),
        )
        for cause in causes[:SHOWN_CAUSES]
        for position, remedy in enumerate(list(cause.get("remedies", []))[:TOP_REMEDIES])
    )
    _history_changed(user.pk)
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
    _history_changed(episode.owner_id)
    return episode


@transaction.atomic
def episode_mark_tried(*, episode: Episode, tried_ids: Collection[int]) -> None:
    """Tick exactly the remedies in `tried_ids` (this episode's own) as tried."""
    remedies = EpisodeRemedy.objects.filter(episode=episode)
    remedies.filter(pk__in=tried_ids).update(tried=True)
    remedies.exclude(pk__in=tried_ids).update(tried=False)
    _history_changed(episode.owner_id)


@transaction.atomic
def follow_up_save(*, episode: Episode, outcome: str, note: str) -> FollowUp:
    """Record how the runner feels now; a later follow-up replaces the earlier one."""
    follow_up, _ = FollowUp.objects.update_or_create(
        episode=episode,
        defaults={"outcome": outcome, "note": note, "given_on": timezone.localdate()},
    )
    _history_changed(episode.owner_id)
    return follow_up


@transaction.atomic
def episode_delete(*, episode: Episode) -> None:
    """Delete the episode with its causes, remedies and follow-up (all CASCADE)."""
    owner_id = episode.owner_id
    episode.delete()
    _history_changed(owner_id)
