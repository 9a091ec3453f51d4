"""The runner's episode history: save a result, list, review, follow up, export, print.

Every view here is `never_cache`: what it answers holds a runner's health data, which a
browser's disk cache or a shared proxy must never keep (`Cache-Control: private, no-store`).
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import replace
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from accounts.models import DistanceUnit, User
from legs.assessment.engine import InvalidAnswers, assess
from legs.assessment.presentation import result_context, result_page_context
from legs.assessment.wizard import RESULT_SESSION_KEY, StoredResult
from legs.knowledge.published import get_knowledge
from legs.knowledge.snapshot import Knowledge

from .exports import export_document, export_filename, write_csv
from .forms import (
    RUN_CONTEXT_FIELDS,
    FollowUpForm,
    HistoryFilterForm,
    RunContextForm,
    SaveEpisodeForm,
    cause_choices,
)
from .insights import build_insights
from .models import Episode, EpisodeRemedy
from .services import (
    episode_create,
    episode_delete,
    episode_follow_up_save,
    episode_update_run_context,
)

PAGE_SIZE = 20
REMINDER_LIMIT = 5
# The save form's one-time token and any run details typed before logging in, kept in the
# session next to (not inside) the wizard's stored result, for the result they belong to.
SAVE_SESSION_KEY = "history_save_form"


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


def result_save_context(
    request: HttpRequest, stored: StoredResult, form: SaveEpisodeForm | None = None
) -> dict[str, Any]:
    """The save form under a result, with the result's one-time token and what was typed
    before logging in; or the episode already saved from this result."""
    state = _save_state(request, stored)
    pending = state.get("pending")
    if form is None:
        form = SaveEpisodeForm(
            initial=SaveEpisodeForm.initial_for_result(
                token=state["token"], unit=_unit(request), answers=stored.answers, pending=pending
            )
        )
    return {
        "save_form": form,
        # The run details of an empty form are drawn once for each set of values they
        # show (the token is outside them); a form with errors is drawn afresh.
        "save_fields_key": None if form.is_bound else _fields_key(form),
        "saved_episode": _saved_episode(request, state["token"]),
        "save_pending": bool(pending),
    }


def _fields_key(form: SaveEpisodeForm) -> str:
    shown = {name: str(value) for name, value in form.initial.items() if name != "token"}
    return hashlib.sha256(json.dumps(shown, sort_keys=True).encode()).hexdigest()


def _rescore(request: HttpRequest, stored: StoredResult, knowledge: Knowledge) -> bool:
    """Score the stored answers again with `knowledge`, keeping the save form's state;
    False when they no longer fit the question bank."""
    try:
        result = assess(stored.answers, knowledge)
    except InvalidAnswers:
        request.session.pop(RESULT_SESSION_KEY, None)
        return False
    replace(stored, result=result, knowledge_version=knowledge.version).save(request.session)
    return True


@never_cache
@require_POST
def save_result(request: HttpRequest) -> HttpResponse:
    stored = StoredResult.load(request.session)
    if stored is None:
        messages.info(request, "There is no result to save any more. Answer the questions again.")
        return redirect("assessment:wizard")
    form = SaveEpisodeForm(request.POST)
    if not form.is_valid():
        if form.has_error("token"):
            messages.warning(request, "That save form had expired. Please save again.")
            return redirect("assessment:result")
        context = {
            **result_page_context(stored.result, stored.answers, get_knowledge()),
            "save_form": form,
        }
        return render(request, "assessment/result.html", context)
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
        result_url = reverse("assessment:result")
        return redirect(reverse("accounts:login") + "?" + urlencode({"next": result_url}))
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
        return redirect("assessment:result")
    knowledge = get_knowledge()
    if knowledge.version != stored.knowledge_version:
        # The knowledge base changed since the runner answered. A saved result is scored
        # and worded with one knowledge base, so the answers are scored again and shown
        # before anything is saved.
        state["pending"] = {name: request.POST.get(name, "") for name in RUN_CONTEXT_FIELDS}
        request.session[SAVE_SESSION_KEY] = state
        if not _rescore(request, stored, knowledge):
            messages.info(
                request,
                "The questions have changed since you answered them. Please answer again.",
            )
            return redirect("assessment:wizard")
        messages.info(
            request,
            "Our advice was updated since you answered. This is your result with the latest "
            "advice: please check it and save again.",
        )
        return redirect("assessment:result")
    episode = _save(request, stored, state, form, knowledge)
    messages.success(request, "Saved to your history.")
    return redirect(episode)


def _save(
    request: HttpRequest,
    stored: StoredResult,
    state: dict[str, Any],
    form: SaveEpisodeForm,
    knowledge: Knowledge,
) -> Episode:
    """Save the stored result, scored with `knowledge`, with the run of the valid `form`."""
    episode = episode_create(
        user=_user(request),
        answers=stored.answers,
        result=stored.result,
        knowledge=knowledge,
        run_context=form.run_context(),
        token=form.cleaned_data["token"],
    )
    state.pop("pending", None)
    request.session[SAVE_SESSION_KEY] = state
    return episode


def save_pending_result(request: HttpRequest) -> Episode | None:
    """Save the result whose Save button was pressed before logging in, with the run
    details typed then; called by the account confirmation, once it has logged the new
    runner in. None when nothing waits, or when it cannot be saved as it stands (the
    knowledge base changed since, the details no longer pass): the result page then shows
    it with the details filled in, to check and save again."""
    stored = StoredResult.load(request.session)
    state = request.session.get(SAVE_SESSION_KEY)
    if (
        not request.user.is_authenticated
        or stored is None
        or not isinstance(state, dict)
        or state.get("created") != stored.created
        or not isinstance(state.get("pending"), dict)
    ):
        return None
    form = SaveEpisodeForm({**state["pending"], "token": state.get("token")})
    knowledge = get_knowledge()
    if not form.is_valid() or knowledge.version != stored.knowledge_version:
        return None
    return _save(request, stored, state, form, knowledge)


# LIST


@never_cache
@login_required
@require_safe
def episode_list(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    form = HistoryFilterForm(request.GET or None, causes=cause_choices(user))
    episodes = (
        form.filter(Episode.objects.for_user(user))
        .select_related("follow_up")
        .only(
            "pk",
            "run_date",
            "created_at",
            "heaviness",
            "triage",
            "top_cause_name",
            "distance_km",
            "follow_up__outcome",
        )
    )
    listed = Paginator(episodes, PAGE_SIZE).get_page(request.GET.get("page"))
    # No episode at all (not merely none matching the filters): the page says what to do
    # first, without filters, downloads or printing.
    empty = not listed.paginator.count and not form.active
    reminders = (
        []
        if empty
        else list(
            Episode.objects.for_user(user)
            .needing_follow_up()
            .only("pk", "run_date", "top_cause_name")[: REMINDER_LIMIT + 1]
        )
    )
    return render(
        request,
        "history/list.html",
        {
            "form": form,
            "page": listed,
            "empty": empty,
            "reminders": reminders[:REMINDER_LIMIT],
            "more_reminders": len(reminders) > REMINDER_LIMIT,
            "unit": _unit(request),
        },
    )


# ONE EPISODE


def shown_causes(episode: Episode, remedies: Sequence[EpisodeRemedy]) -> list[dict[str, Any]]:
    """The causes as the result page showed them, each remedy with its tried-checkbox row."""
    rows = {(r.cause_slug, r.position): r for r in remedies}
    causes: list[dict[str, Any]] = result_context(episode.shown_result())["causes"]
    for cause in causes:
        cause["remedies"] = [
            {**remedy, "row": rows.get((cause["slug"], position))}
            for position, remedy in enumerate(cause["remedies"])
        ]
    return causes


def _episode_view(episode: Episode) -> dict[str, Any]:
    remedies = list(episode.remedies.all())
    context = result_context(episode.shown_result())
    context.update(episode=episode, causes=shown_causes(episode, remedies), remedies=remedies)
    return context


def _detail(
    request: HttpRequest, episode: Episode, form: FollowUpForm | None = None
) -> HttpResponse:
    context = _episode_view(episode)
    follow_up = episode.saved_follow_up()
    if form is None:
        initial = FollowUpForm.initial_for(context["remedies"], follow_up)
        form = FollowUpForm(initial=initial, remedies=context["remedies"])
    # Each fix's tick box sits under its cause, drawn by the form (so a form sent back with
    # an error keeps what was ticked).
    boxes = {box.data["value"]: box for box in form["tried"]}
    for cause in context["causes"]:
        for remedy in cause["remedies"]:
            remedy["box"] = boxes.get(remedy["row"].pk) if remedy["row"] else None
    context.update(
        follow_up=follow_up,
        form=form,
        load_spike=episode.load_spike(),
        day_run=episode.runs.order_by("-distance_m").first(),
        unit=_unit(request),
        distance=episode.distance_in(_unit(request)),
    )
    return render(request, "history/detail.html", context)


@never_cache
@login_required
@require_safe
def episode_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail(request, get_episode_for_user(request, pk))


@never_cache
@login_required
@require_POST
def episode_follow_up(request: HttpRequest, pk: int) -> HttpResponse:
    """The episode page's one form: the fixes tried and how the legs feel, saved together."""
    episode = get_episode_for_user(request, pk)
    form = FollowUpForm(request.POST, remedies=list(episode.remedies.all()))
    if not form.is_valid():
        return _detail(request, episode, form)
    data = form.cleaned_data
    episode_follow_up_save(
        episode=episode, tried_ids=data["tried"], outcome=data["outcome"], note=data["note"]
    )
    if data["outcome"]:
        messages.success(request, "Thanks, your follow-up and the fixes you tried are saved.")
    else:
        messages.success(request, "Saved the fixes you tried.")
    return redirect(episode.get_absolute_url() + "#follow-up")


@never_cache
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


@never_cache
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
    unit = _unit(request)
    context = {"insights": build_insights(_user(request), unit), "unit": unit}
    return render(request, "history/insights.html", context)


# YOUR DATA: EXPORT AND PRINT


@never_cache
@login_required
@require_safe
def export_csv(request: HttpRequest) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{export_filename("csv")}"'
    write_csv(response, _user(request), _unit(request))
    return response


@never_cache
@login_required
@require_safe
def export_json(request: HttpRequest) -> HttpResponse:
    response = HttpResponse(
        json.dumps(export_document(_user(request), _unit(request)), ensure_ascii=False, indent=2),
        content_type="application/json; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="{export_filename("json")}"'
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


@never_cache
@login_required
@require_safe
def print_episode(request: HttpRequest, pk: int) -> HttpResponse:
    episode = get_episode_for_user(request, pk)
    return _print(request, [episode], single=True)


@never_cache
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
