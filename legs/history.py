"""The runner's episode history: save a result, list, review, follow up, export, print."""

from __future__ import annotations

import csv
import json
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from accounts.models import DistanceUnit, User
from config.page_cache import cached_response, never_cache

from .history_forms import (
    RUN_CONTEXT_FIELDS,
    FollowUpForm,
    HistoryFilterForm,
    RemediesTriedForm,
    RunContextForm,
    SaveEpisodeForm,
    cause_choices,
)
from .insights import build_insights
from .models import Episode, EpisodeRemedy
from .presentation import TRIAGE_TEXT, result_context
from .services import (
    episode_create,
    episode_delete,
    episode_mark_tried,
    episode_update_run_context,
    follow_up_save,
)
from .wizard import StoredResult

PAGE_SIZE = 20
# The query parameters of the history list: only these are kept in the page cache, so odd
# addresses cannot fill it.
HISTORY_QUERY = frozenset({*HistoryFilterForm.base_fields, "page"})
REMINDER_LIMIT = 5
# The save form's one-time token and any run details typed before logging in, kept in the
# session next to (not inside) the wizard's stored result, for the result they belong to.
SAVE_SESSION_KEY = "history_save_form"
CSV_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)  # noqa: S101 - login_required guarantees it
    return request.user


def _unit(request: HttpRequest) -> str:
    user = request.user
    return user.distance_unit if isinstance(user, User) else DistanceUnit.KM


def get_episode_for_user(request: HttpRequest, pk: int) -> Episode:
    """The request user's own episode, or 404 for anyone else's (never a 403: no hint
    that the episode exists)."""
    return get_object_or_404(
        Episode.objects.for_user(request.user).select_related("follow_up"), pk=pk
    )


# SAVING FROM THE RESULT PAGE


def _save_state(request: HttpRequest, stored: StoredResult) -> dict[str, Any]:
    """The save form state of this result; a new result gets a new token."""
    state = request.session.get(SAVE_SESSION_KEY)
    if not isinstance(state, dict) or state.get("created") != stored.created:
        state = {"created": stored.created, "token": str(uuid.uuid4())}
        request.session[SAVE_SESSION_KEY] = state
    return state


def _saved_episode(request: HttpRequest, token: str) -> Episode | None:
    if not request.user.is_authenticated:
        return None
    return Episode.objects.for_user(request.user).filter(token=token).first()


@dataclass(frozen=True, slots=True)
class SaveState:
    """What the save form on the result page shows: its one-time token, what was typed
    before logging in, the runner's unit and the episode already saved from this result."""

    token: str
    pending: dict[str, str] | None
    unit: str
    saved: Episode | None

    def parts(self) -> tuple[object, ...]:
        """The state as cache-key parts (config.page_cache)."""
        pending = sorted(self.pending.items()) if self.pending else None
        return (self.token, pending, self.unit, self.saved.pk if self.saved else None)


def result_save_state(request: HttpRequest, stored: StoredResult) -> SaveState:
    state = _save_state(request, stored)
    return SaveState(
        token=state["token"],
        pending=state.get("pending"),
        unit=_unit(request),
        saved=_saved_episode(request, state["token"]),
    )


def result_save_context(
    request: HttpRequest,
    stored: StoredResult,
    form: SaveEpisodeForm | None = None,
    state: SaveState | None = None,
) -> dict[str, Any]:
    """The save form for the result page, with the result's one-time token."""
    state = state or result_save_state(request, stored)
    if form is None:
        form = SaveEpisodeForm(
            initial=SaveEpisodeForm.initial_for_result(
                token=state.token,
                unit=state.unit,
                answers=stored.answers,
                pending=state.pending,
            )
        )
    return {"save_form": form, "saved_episode": state.saved, "save_pending": bool(state.pending)}


def shown_result(stored: StoredResult) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """The stored result, parsed, and what the result page shows of it; None when it is
    damaged (such a result is neither shown nor saved)."""
    try:
        result = stored.result()
        return result, result_context(result)
    except (KeyError, TypeError, ValueError):
        return None


@require_POST
def save_result(request: HttpRequest) -> HttpResponse:
    stored = StoredResult.from_session(request.session)
    parsed = shown_result(stored) if stored is not None else None
    if stored is None or parsed is None:
        messages.info(request, "There is no result to save any more. Answer the questions again.")
        return redirect("legs:wizard")
    result, shown = parsed
    form = SaveEpisodeForm(request.POST)
    if not form.is_valid():
        if form.has_error("token"):
            messages.warning(request, "That save form had expired. Please save again.")
            return redirect("legs:result")
        context = {**shown, **result_save_context(request, stored, form)}
        return render(request, "legs/result.html", context)
    state = _save_state(request, stored)
    if not request.user.is_authenticated:
        # Keep what was typed; it and the result survive logging in or signing up.
        state["pending"] = {name: request.POST.get(name, "") for name in RUN_CONTEXT_FIELDS}
        request.session[SAVE_SESSION_KEY] = state
        messages.info(
            request,
            "Log in, or create a free account, to save this result. Your answers and the "
            "details of your run are kept until you come back.",
        )
        login_url = reverse("accounts:login") + "?" + urlencode({"next": reverse("legs:result")})
        return redirect(login_url)
    user = _user(request)
    token = form.cleaned_data["token"]
    existing = Episode.objects.for_user(user).filter(token=token).first()
    if existing is not None:
        return redirect(existing)
    if str(token) != state["token"]:
        messages.warning(
            request,
            "That save form belonged to an earlier result, so nothing was saved. "
            "This is your latest result.",
        )
        return redirect("legs:result")
    episode = episode_create(
        user=user,
        answers=stored.answers,
        result=result,
        knowledge_version=stored.knowledge_version,
        run_context=form.run_context(),
        token=token,
    )
    state.pop("pending", None)
    request.session[SAVE_SESSION_KEY] = state
    messages.success(request, "Saved to your history.")
    return redirect(episode)


# LIST


@never_cache
@login_required
@require_safe
def episode_list(request: HttpRequest) -> HttpResponse:
    user = _user(request)

    def page() -> HttpResponse:
        form = HistoryFilterForm(request.GET or None, causes=cause_choices(user))
        episodes = form.filter(Episode.objects.for_user(user)).only(
            "pk", "run_date", "heaviness", "triage", "top_cause_name", "distance_km"
        )
        listed = Paginator(episodes, PAGE_SIZE).get_page(request.GET.get("page"))
        reminders = list(
            Episode.objects.for_user(user)
            .needing_follow_up()
            .only("pk", "run_date", "top_cause_name")[: REMINDER_LIMIT + 1]
        )
        return render(
            request,
            "history/list.html",
            {
                "form": form,
                "page": listed,
                "reminders": reminders[:REMINDER_LIMIT],
                "more_reminders": len(reminders) > REMINDER_LIMIT,
                "unit": _unit(request),
                "triage_text": TRIAGE_TEXT,
            },
        )

    query = sorted(request.GET.lists())
    if any(name not in HISTORY_QUERY or len(v) != 1 or len(v[0]) > 40 for name, v in query):
        return page()
    # The list changes only with the runner's history (its version), their unit and time:
    # an episode is due a follow-up three days after it was saved, so a kept list is
    # renewed every minute. Each filter and page is kept once rendered.
    minute = timezone.now().replace(second=0, microsecond=0)
    parts = ("history", user.history_version, _unit(request), minute, query)
    return cached_response(request, parts, page)


# ONE EPISODE


def shown_causes(episode: Episode, remedies: Sequence[EpisodeRemedy]) -> list[dict[str, Any]]:
    """The causes as the result page showed them, each remedy with its tried-checkbox row."""
    rows = {(r.cause_slug, r.position): r for r in remedies}
    causes: list[dict[str, Any]] = result_context(episode.result)["causes"]
    for cause in causes:
        cause["remedies"] = [
            {**remedy, "row": rows.get((cause["slug"], position))}
            for position, remedy in enumerate(cause["remedies"])
        ]
    return causes


def _episode_view(episode: Episode) -> dict[str, Any]:
    remedies = list(episode.remedies.all())
    context = result_context(episode.result)
    context.update(episode=episode, causes=shown_causes(episode, remedies), remedies=remedies)
    return context


def _detail(
    request: HttpRequest,
    episode: Episode,
    *,
    follow_up_form: FollowUpForm | None = None,
    remedies_form: RemediesTriedForm | None = None,
) -> HttpResponse:
    context = _episode_view(episode)
    follow_up = episode.saved_follow_up()
    if follow_up_form is None:
        initial = {"outcome": follow_up.outcome, "note": follow_up.note} if follow_up else {}
        follow_up_form = FollowUpForm(initial=initial)
    context.update(
        follow_up=follow_up,
        follow_up_form=follow_up_form,
        remedies_form=remedies_form,
        load_spike=episode.load_spike(),
        unit=_unit(request),
        distance=episode.distance_in(_unit(request)),
    )
    return render(request, "history/detail.html", context)


@login_required
@require_safe
def episode_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail(request, get_episode_for_user(request, pk))


@login_required
@require_POST
def episode_remedies(request: HttpRequest, pk: int) -> HttpResponse:
    episode = get_episode_for_user(request, pk)
    form = RemediesTriedForm(request.POST, remedies=list(episode.remedies.all()))
    if not form.is_valid():
        return _detail(request, episode, remedies_form=form)
    episode_mark_tried(episode=episode, tried_ids=form.cleaned_data["tried"])
    messages.success(request, "Saved the remedies you tried.")
    return redirect(episode.get_absolute_url() + "#remedies")


@login_required
@require_POST
def episode_follow_up(request: HttpRequest, pk: int) -> HttpResponse:
    episode = get_episode_for_user(request, pk)
    form = FollowUpForm(request.POST)
    if not form.is_valid():
        return _detail(request, episode, follow_up_form=form)
    follow_up_save(
        episode=episode, outcome=form.cleaned_data["outcome"], note=form.cleaned_data["note"]
    )
    messages.success(request, "Thanks, your follow-up is saved.")
    return redirect(episode.get_absolute_url() + "#follow-up")


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def episode_edit(request: HttpRequest, pk: int) -> HttpResponse:
    episode = get_episode_for_user(request, pk)
    unit = _unit(request)
    form = RunContextForm(
        request.POST if request.method == "POST" else None,
        initial=RunContextForm.initial_for(episode, unit),
    )
    if request.method == "POST" and form.is_valid():
        episode_update_run_context(episode=episode, run_context=form.run_context())
        messages.success(request, "Your changes are saved.")
        return redirect(episode)
    return render(request, "history/edit.html", {"episode": episode, "form": form})


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def episode_delete_view(request: HttpRequest, pk: int) -> HttpResponse:
    episode = get_episode_for_user(request, pk)
    if request.method == "POST":
        episode_delete(episode=episode)
        messages.success(request, "The episode is deleted.")
        return redirect("history:list")
    return render(request, "history/delete.html", {"episode": episode})


# INSIGHTS


@never_cache
@login_required
@require_safe
def insights(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    unit = _unit(request)
    # Kept per runner until their history changes; the version comes with request.user,
    # so a page served from the cache costs no query of its own. Today's date is part of
    # the key because the page's dates and wording are relative to it.
    return cached_response(
        request,
        ("insights", user.history_version, unit, timezone.localdate().isoformat()),
        lambda: render(
            request,
            "history/insights.html",
            {"insights": build_insights(user, unit), "unit": unit},
        ),
    )


# YOUR DATA: EXPORT AND PRINT


def _export_episodes(user: User) -> Iterable[Episode]:
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


def _csv_cell(value: object) -> object:
    """Text that a spreadsheet would run as a formula is kept as text."""
    if isinstance(value, str) and value.startswith(CSV_FORMULA_STARTS):
        return "'" + value
    return value


def _filename(extension: str) -> str:
    return f"heavy-legs-episodes-{timezone.localdate():%Y-%m-%d}.{extension}"


@login_required
@require_safe
def export_csv(request: HttpRequest) -> HttpResponse:
    unit = _unit(request)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{_filename("csv")}"'
    writer = csv.writer(response)
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
    for episode in _export_episodes(_user(request)):
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
        writer.writerow([_csv_cell(cell) for cell in row])
    return response


@login_required
@require_safe
def export_json(request: HttpRequest) -> HttpResponse:
    unit = _unit(request)
    payload = {
        "exported_at": timezone.now().isoformat(),
        "distance_unit": unit,
        "episodes": [export_record(e, unit) for e in _export_episodes(_user(request))],
    }
    response = HttpResponse(
        json.dumps(payload, ensure_ascii=False, indent=2),
        content_type="application/json; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="{_filename("json")}"'
    return response


def _print(request: HttpRequest, episodes: Iterable[Episode], **extra: Any) -> HttpResponse:
    unit = _unit(request)
    entries = []
    for episode in episodes:
        entry = _episode_view(episode)
        entry.update(distance=episode.distance_in(unit), follow_up=episode.saved_follow_up())
        entries.append(entry)
    return render(
        request,
        "history/print.html",
        {"entries": entries, "unit": unit, "printed_on": timezone.localdate(), **extra},
    )


@login_required
@require_safe
def print_episode(request: HttpRequest, pk: int) -> HttpResponse:
    episode = get_episode_for_user(request, pk)
    return _print(request, [episode], single=True)


@login_required
@require_safe
def print_range(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    form = HistoryFilterForm(request.GET or None, causes=cause_choices(user))
    episodes = (
        form.filter(Episode.objects.for_user(user))
        .select_related("follow_up")
        .prefetch_related("remedies")
        .order_by("run_date", "created_at", "pk")
    )
    return _print(request, episodes, form=form)
