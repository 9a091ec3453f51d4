"""The API's operations. Each reuses the product's own code: the engine scores, the history's
services write, and a runner only ever reaches their own episodes (404 otherwise)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from uuid import uuid4

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from django.views.decorators.cache import cache_control
from django.views.decorators.http import etag
from ninja import Router, Status
from ninja.decorators import decorate_view
from ninja.pagination import PageNumberPagination, paginate

from config.ratelimit import post_usage
from legs.assessment.engine import assess, validate_answers
from legs.history.insights import Insights, build_insights
from legs.history.models import Episode, EpisodeQuerySet, Run, RunQuerySet
from legs.history.services import RunContext, episode_create, follow_up_save
from legs.knowledge.models import Cause, Faq, KnowledgeRevision
from legs.knowledge.published import get_knowledge

from .auth import READ, WRITE, runner
from .schemas import (
    AssessmentIn,
    CauseDetailOut,
    CauseOut,
    EpisodeDetailOut,
    EpisodeIn,
    EpisodeOut,
    ErrorOut,
    FaqOut,
    FollowUpIn,
    FollowUpOut,
    InsightsOut,
    QuestionsOut,
    ResultOut,
    RunOut,
)

router = Router()

# Knowledge answers may be kept this long by clients and shared caches; after that they
# revalidate with If-None-Match, which costs one query and an empty 304 when nothing changed.
KNOWLEDGE_MAX_AGE = 300
EPISODES_PER_PAGE = 20
RUNS_PER_PAGE = 20

PUBLIC_ERRORS: dict[int, Any] = {400: ErrorOut, 413: ErrorOut, 415: ErrorOut, 422: ErrorOut}
OWNER_ERRORS: dict[int, Any] = {401: ErrorOut, 404: ErrorOut}
WRITE_ERRORS: dict[int, Any] = {**PUBLIC_ERRORS, **OWNER_ERRORS, 403: ErrorOut}


class RateLimited(Exception):
    def __init__(self, seconds: int) -> None:
        super().__init__(f"rate limited for {seconds} s")
        self.seconds = max(1, seconds)


def knowledge_etag(request: HttpRequest, *args: Any, **kwargs: Any) -> str:
    return KnowledgeRevision.current()[1]


# Django's own conditional-GET and cache-header decorators around each knowledge operation.
cacheable_knowledge = decorate_view(
    etag(knowledge_etag), cache_control(public=True, max_age=KNOWLEDGE_MAX_AGE)
)


# ASSESSMENT
@router.post(
    "/assessments",
    response={200: ResultOut, 429: ErrorOut, **PUBLIC_ERRORS},
    auth=None,
    tags=["assessment"],
    summary="Score answers: the triage, warnings and ranked causes",
)
def create_assessment(request: HttpRequest, payload: AssessmentIn) -> dict[str, Any]:
    """The same engine and knowledge snapshot as the site and `manage.py diagnose`.
    Anonymous; rate limited per client address. Nothing is stored."""
    usage = post_usage(request, create_assessment)
    if usage is not None and usage["should_limit"]:
        raise RateLimited(int(usage["time_left"]))
    knowledge = get_knowledge()
    return assess(payload.answers, knowledge).to_dict()


# KNOWLEDGE
@router.get("/questions", response=QuestionsOut, auth=None, tags=["knowledge"])
@cacheable_knowledge
def list_questions(request: HttpRequest) -> dict[str, Any]:
    """The wizard's steps and their questions, in order, with each question's choices."""
    knowledge = get_knowledge()
    return {
        "knowledge_version": knowledge.version,
        "steps": [
            {
                "key": step.key,
                "title": step.title,
                "intro": step.intro,
                "questions": [
                    {
                        "key": question.key,
                        "text": question.text,
                        "help_text": question.help_text,
                        "kind": question.kind,
                        "required": question.required,
                        "choices": [
                            {"value": c.value, "label": c.label} for c in question.choices.values()
                        ],
                    }
                    for question in (knowledge.questions[key] for key in step.questions)
                ],
            }
            for step in knowledge.steps
        ],
    }


@router.get("/causes", response=list[CauseOut], auth=None, tags=["knowledge"])
@cacheable_knowledge
def list_causes(request: HttpRequest) -> list[Any]:
    """The published causes, in the knowledge base's order, with their remedies."""
    return sorted(get_knowledge().causes.values(), key=lambda c: (c.order, c.name))


@router.get(
    "/causes/{slug}",
    response={200: CauseDetailOut, 404: ErrorOut},
    auth=None,
    tags=["knowledge"],
)
@cacheable_knowledge
def get_cause(request: HttpRequest, slug: str) -> Cause:
    """One published cause, with its page's text (HTML) and sources."""
    cause: Cause = get_object_or_404(
        Cause.objects.published().prefetch_related("remedies", "sources"), slug=slug
    )
    return cause


@router.get("/faq", response=list[FaqOut], auth=None, tags=["knowledge"])
@cacheable_knowledge
def list_faq(request: HttpRequest) -> list[Faq]:
    """The published questions and answers (HTML)."""
    return list(Faq.objects.published().order_by("order", "pk"))


# EPISODES
def runner_episodes(request: HttpRequest) -> EpisodeQuerySet:
    return Episode.objects.for_user(runner(request))


def get_episode_for_user(request: HttpRequest, pk: int) -> Episode:
    """The runner's own episode; 404 for anyone else's, as on the site."""
    return get_object_or_404(runner_episodes(request).select_related("follow_up"), pk=pk)


@router.get(
    "/episodes",
    response={200: list[EpisodeOut], **OWNER_ERRORS},
    auth=READ,
    tags=["history"],
)
@paginate(PageNumberPagination, page_size=EPISODES_PER_PAGE)
def list_episodes(request: HttpRequest) -> EpisodeQuerySet:
    """The runner's episodes, newest run first, a page at a time."""
    return runner_episodes(request)


@router.get(
    "/episodes/{episode_id}",
    response={200: EpisodeDetailOut, **OWNER_ERRORS},
    auth=READ,
    tags=["history"],
)
def get_episode(request: HttpRequest, episode_id: int) -> Episode:
    """One of the runner's episodes: the answers, the result as shown, remedies, follow-up."""
    return get_episode_for_user(request, episode_id)


@router.post(
    "/episodes",
    response={201: EpisodeDetailOut, **WRITE_ERRORS},
    auth=WRITE,
    tags=["history"],
)
def create_episode(request: HttpRequest, payload: EpisodeIn) -> Status[Episode]:
    """Score the answers (the server does it, as for /assessments) and save the result
    with the run's details as an episode of the runner's history."""
    knowledge = get_knowledge()
    answers = validate_answers(payload.answers, knowledge)
    run = payload.run
    episode = episode_create(
        user=runner(request),
        answers=answers,
        result=assess(answers, knowledge),
        knowledge=knowledge,
        run_context=RunContext(
            run_date=run.run_date,
            distance_km=run.distance_km,
            duration=None
            if run.duration_minutes is None
            else timedelta(minutes=run.duration_minutes),
            heaviness=run.heaviness,
            legs=run.legs or "",
            notes=run.notes,
        ),
        token=payload.token or uuid4(),
    )
    return Status(201, episode)


@router.put(
    "/episodes/{episode_id}/follow-up",
    response={200: FollowUpOut, **WRITE_ERRORS},
    auth=WRITE,
    tags=["history"],
)
def put_follow_up(request: HttpRequest, episode_id: int, payload: FollowUpIn) -> Any:
    """How the runner's legs feel since trying the fixes; replaces an earlier follow-up."""
    episode = get_episode_for_user(request, episode_id)
    return follow_up_save(episode=episode, outcome=payload.outcome.value, note=payload.note)


# RUNS
@router.get("/runs", response={200: list[RunOut], **OWNER_ERRORS}, auth=READ, tags=["history"])
@paginate(PageNumberPagination, page_size=RUNS_PER_PAGE)
def list_runs(request: HttpRequest) -> RunQuerySet:
    """The runner's imported runs, newest first, a page at a time."""
    return Run.objects.for_user(runner(request))


@router.get("/runs/{run_id}", response={200: RunOut, **OWNER_ERRORS}, auth=READ, tags=["history"])
def get_run(request: HttpRequest, run_id: int) -> Run:
    """One of the runner's runs; 404 for anyone else's, as on the site."""
    run: Run = get_object_or_404(Run.objects.for_user(runner(request)), pk=run_id)
    return run


# INSIGHTS
@router.get("/insights", response={200: InsightsOut, **OWNER_ERRORS}, auth=READ, tags=["history"])
def get_insights(request: HttpRequest) -> dict[str, Any]:
    """What the insights page shows, as numbers: totals over the whole history, the rest
    over the latest episodes (window_count)."""
    found = build_insights(runner(request))
    return {
        "episode_count": found.episode_count,
        "window_count": found.window_count,
        "heaviness": [{"run_date": day, "heaviness": value} for day, value in found.points],
        "load_spikes": [
            {
                "episode_id": s.episode_id,
                "run_id": s.pk if s.is_run else None,
                "run_date": s.run_date,
                "distance_km": float(s.distance_km),
                "previous_longest_km": float(s.previous_longest_km),
                "percent": s.percent,
            }
            for s in found.spikes
            if s.episode_id is not None
        ],
        "training_load": training_load_data(found),
        "patterns": [
            {"factor": p.factor.key, "observation": p.observation, "detail": p.detail}
            for p in found.patterns
        ],
        "causes": found.causes,
        "remedies": found.remedies,
    }


def training_load_data(found: Insights) -> dict[str, Any] | None:
    load = found.load
    if load is None:
        return None
    ratio = load.ratio if load.enough else None
    return {
        "weeks": [
            {"week_start": w.start, "distance_m": w.metres, "runs": w.runs} for w in load.weeks
        ],
        "workload_ratio": None
        if ratio is None
        else {
            "acute_m": ratio.acute_metres,
            "chronic_weekly_m": ratio.chronic_weekly_metres,
            "ratio": ratio.ratio,
            "high": ratio.high,
        },
        "long_runs": [
            {
                "run_id": s.pk,
                "episode_id": s.episode_id,
                "run_date": s.run_date,
                "distance_km": float(s.distance_km),
                "previous_longest_km": float(s.previous_longest_km),
                "percent": s.percent,
            }
            for s in found.spikes
            if s.is_run
        ],
    }
