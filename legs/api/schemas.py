"""What the API takes and gives, as typed schemas: the OpenAPI document is drawn from them.

Every input forbids keys it does not know, so a typo is a 422 naming the key instead of a
field silently left out. Outputs mirror the product's own forms of the data: a result is
`Result.to_dict()`, the JSON `manage.py diagnose` prints.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from ninja import Field, Schema
from pydantic import BaseModel, ConfigDict

from legs.history.models import Episode, FollowUp, LegsAffected, Outcome, Run, RunSource


class Input(Schema):
    model_config = ConfigDict(extra="forbid")


class ErrorOut(Schema):
    detail: str = Field(description="What went wrong, in a sentence.")
    errors: dict[str, str] | None = Field(
        None, description="For invalid input: each offending key (dotted path) and its problem."
    )


# ASSESSMENT
class AssessmentIn(Input):
    answers: dict[str, Any] = Field(
        description=(
            "Question keys (GET /questions) to a choice value, or a list of values for a "
            "pick-all question. Required questions (the warning signs) must be answered; "
            "other questions left out count as unanswered."
        ),
        examples=[{"warning_signs": ["none"], "timing": "whole_run"}],
    )


class Plain(BaseModel):
    """An output built from plain data (a dict such as `Result.to_dict()`, or a dataclass).

    ninja's Schema reads every field of every nested object through its Django attribute
    getter, made for model instances; plain pydantic validation reads them directly.
    """

    model_config = ConfigDict(from_attributes=True)


class ReasonOut(Plain):
    question: str
    value: str
    text: str


class AnswerWarningOut(Plain):
    """A warning sign given by one answer."""

    question: str
    value: str
    level: str
    message: str


class RuleWarningOut(Plain):
    """A warning from a rule that several answers together fired."""

    rule: str = Field(description="The rule's stable identifier.")
    level: str
    message: str
    serious: bool = Field(
        description="At soon: the page leads with this warning and no cause is likely."
    )
    because: list[ReasonOut] = Field(description="The answers that fired the rule.")


class RemedyOut(Plain):
    title: str
    summary: str
    kind: str


class RankedCauseOut(Plain):
    slug: str
    name: str
    score: float
    band: str
    because: list[ReasonOut]
    remedies: list[RemedyOut]


class ResultOut(Plain):
    """The same JSON as `manage.py diagnose`."""

    triage: str = Field(description="self_care … emergency; see the warning-signs page.")
    warnings: list[AnswerWarningOut | RuleWarningOut] = Field(
        description="Most serious first; within a level, serious rule warnings first."
    )
    causes: list[RankedCauseOut] = Field(description="Empty when the runner needs help now.")


# KNOWLEDGE
class ChoiceOut(Schema):
    value: str
    label: str


class QuestionOut(Schema):
    key: str
    text: str
    help_text: str
    kind: str = Field(description="single (one value) or multi (a list of values).")
    required: bool
    choices: list[ChoiceOut]


class StepOut(Schema):
    key: str
    title: str
    intro: str
    questions: list[QuestionOut]


class QuestionsOut(Schema):
    knowledge_version: int
    steps: list[StepOut]


class CauseOut(Schema):
    slug: str
    name: str
    summary: str
    remedies: list[RemedyOut]


class SourceOut(Schema):
    title: str
    url: str


class CauseDetailOut(CauseOut):
    category: str
    body_html: str
    see_doctor_html: str
    sources: list[SourceOut]


class FaqOut(Schema):
    slug: str
    question: str
    answer_html: str


# EPISODES
class RunIn(Input):
    run_date: date
    distance_km: Decimal | None = Field(None, description="Kilometres, 0.01 to 1000.")
    duration_minutes: int | None = Field(None, ge=1, le=24 * 60)
    heaviness: int | None = Field(None, description="1 (barely) to 10 (could hardly run).")
    legs: LegsAffected | None = None
    # The model's TextField does not check its length on save; the site's form does.
    notes: str = Field("", max_length=2000)


class EpisodeIn(Input):
    answers: dict[str, Any] = Field(description="As for POST /assessments: the server scores them.")
    run: RunIn
    token: uuid.UUID | None = Field(
        None,
        description=(
            "Optional idempotency key: sending the same key again returns the episode saved "
            "the first time instead of a second one."
        ),
    )


class FollowUpIn(Input):
    outcome: Outcome
    note: str = Field("", max_length=2000)


class FollowUpOut(Schema):
    outcome: str
    note: str
    given_on: date


class EpisodeOut(Schema):
    id: int
    run_date: date
    distance_km: float | None
    duration_minutes: float | None
    heaviness: int | None
    legs: str
    notes: str
    triage: str
    top_cause_slug: str
    top_cause_name: str
    created_at: datetime
    url: str = Field(description="The episode's page on the site.")

    @staticmethod
    def resolve_distance_km(obj: Episode) -> float | None:
        return None if obj.distance_km is None else float(obj.distance_km)

    @staticmethod
    def resolve_duration_minutes(obj: Episode) -> float | None:
        return None if obj.duration is None else round(obj.duration.total_seconds() / 60, 1)

    @staticmethod
    def resolve_url(obj: Episode) -> str:
        return obj.get_absolute_url()


class AnswerWordsOut(Schema):
    question: str
    text: str
    answer: str


class EpisodeRemedyOut(Schema):
    id: int
    cause_slug: str
    title: str
    summary: str
    kind: str
    tried: bool


class EpisodeDetailOut(EpisodeOut):
    answers: dict[str, str | list[str]]
    answers_in_words: list[AnswerWordsOut]
    result: ResultOut
    remedies: list[EpisodeRemedyOut]
    follow_up: FollowUpOut | None
    knowledge_version: int

    @staticmethod
    def resolve_answers_in_words(obj: Episode) -> Any:
        return obj.answer_labels

    @staticmethod
    def resolve_result(obj: Episode) -> dict[str, Any]:
        return obj.shown_result().to_dict()

    @staticmethod
    def resolve_follow_up(obj: Episode) -> FollowUp | None:
        return obj.saved_follow_up()


# RUNS
class RunOut(Schema):
    id: int
    run_date: date
    start_time: datetime | None
    distance_m: int
    moving_time_s: int = Field(description="Seconds of moving time.")
    elevation_gain_m: int | None
    average_heart_rate: int | None = Field(description="Beats per minute, when recorded.")
    source: RunSource
    strava_id: int | None = Field(description="The Strava activity, for a Strava export.")
    episode_id: int | None = Field(description="The heavy-leg episode saved for this run.")
    url: str = Field(description="The run's page on the site.")

    @staticmethod
    def resolve_url(obj: Run) -> str:
        return obj.get_absolute_url()


# INSIGHTS
class WeekOut(Schema):
    week_start: date = Field(description="A Monday; the last week is the current one so far.")
    distance_m: int
    runs: int


class WorkloadRatioOut(Schema):
    acute_m: int = Field(description="The last 7 days.")
    chronic_weekly_m: float = Field(description="The average week of the last 28 days.")
    ratio: float = Field(description="acute over chronic: a rough guide, not a prediction.")
    high: bool = Field(description="Above 1.5: a sudden jump.")


class LongRunOut(Schema):
    run_id: int
    episode_id: int | None
    run_date: date
    distance_km: float
    previous_longest_km: float
    percent: int


class TrainingLoadOut(Schema):
    weeks: list[WeekOut] = Field(description="The last 12 calendar weeks, oldest first.")
    workload_ratio: WorkloadRatioOut | None = Field(
        description="Only with runs in at least 3 of the last 5 weeks."
    )
    long_runs: list[LongRunOut] = Field(
        description="Runs of the last year more than 10% longer than the longest of the 30 "
        "days before them."
    )


class HeavinessPointOut(Schema):
    run_date: date
    heaviness: int


class LoadSpikeOut(Schema):
    episode_id: int
    run_id: int | None = Field(None, description="The imported run, when it is one.")
    run_date: date
    distance_km: float
    previous_longest_km: float
    percent: int


class PatternOut(Schema):
    factor: str
    observation: str
    detail: str


class CauseCountOut(Schema):
    slug: str
    name: str
    top: int
    likely: int
    total: int


class RemedyReportOut(Schema):
    title: str
    cause_name: str
    tried: int
    followed_up: int
    better: int


class InsightsOut(Schema):
    episode_count: int = Field(description="The whole history.")
    window_count: int = Field(description="How many of the latest episodes the rest is from.")
    heaviness: list[HeavinessPointOut]
    load_spikes: list[LoadSpikeOut]
    patterns: list[PatternOut]
    causes: list[CauseCountOut]
    remedies: list[RemedyReportOut]
    training_load: TrainingLoadOut | None = Field(
        description="From the runner's imported runs; null without any."
    )
