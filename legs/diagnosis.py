"""The diagnosis engine: answers + a knowledge snapshot in, a triage and ranked causes out.

Plain Python with no database or request access, so the wizard, `manage.py diagnose`
and the history all score the same way, and the rules are easy to test.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

EMERGENCY = "emergency"
URGENT = "urgent"
SOON = "soon"
SELF_CARE = "self_care"
LEVEL_RANK = {EMERGENCY: 3, URGENT: 2, SOON: 1, SELF_CARE: 0}
STOP_LEVELS = frozenset({EMERGENCY, URGENT})
NONE_VALUE = "none"
SINGLE = "single"
MULTI = "multi"

# A cause is "likely" when its evidence adds up to this much and it is at least
# LIKELY_SHARE of the best score; any other supported cause is "possible".
LIKELY_SCORE = 6.0
LIKELY_SHARE = 0.5
# Totals below this are noise from general answers ("heavy for the whole run") and are
# not listed: a cause needs at least one real pointer to be worth a runner's attention.
MIN_LISTED_SCORE = 1.0


@dataclass(frozen=True, slots=True)
class ChoiceInfo:
    value: str
    label: str
    because: str
    triage: str = ""
    triage_message: str = ""
    evidence: tuple[tuple[str, float], ...] = ()


@dataclass(frozen=True, slots=True)
class QuestionInfo:
    key: str
    text: str
    kind: str
    step: str
    choices: Mapping[str, ChoiceInfo]
    active: bool = True
    help_text: str = ""
    required: bool = False


@dataclass(frozen=True, slots=True)
class StepInfo:
    key: str
    title: str
    intro: str
    questions: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class RemedyInfo:
    title: str
    summary: str
    kind: str


@dataclass(frozen=True, slots=True)
class CauseInfo:
    slug: str
    name: str
    summary: str
    order: int
    remedies: tuple[RemedyInfo, ...] = ()


@dataclass(frozen=True, slots=True)
class Knowledge:
    """An immutable snapshot of the published knowledge base."""

    questions: Mapping[str, QuestionInfo]
    causes: Mapping[str, CauseInfo]
    version: int = 0
    steps: tuple[StepInfo, ...] = ()


class InvalidAnswers(ValueError):
    """Answers that do not fit the question bank; `errors` maps each key to its problem."""

    def __init__(self, errors: Mapping[str, str]) -> None:
        self.errors = dict(errors)
        super().__init__("; ".join(f"{key}: {problem}" for key, problem in self.errors.items()))


@dataclass(frozen=True, slots=True)
class Warning:
    question: str
    value: str
    level: str
    message: str


@dataclass(frozen=True, slots=True)
class Reason:
    question: str
    value: str
    text: str


@dataclass(frozen=True, slots=True)
class RankedCause:
    slug: str
    name: str
    score: float
    band: str
    because: tuple[Reason, ...]
    remedies: tuple[RemedyInfo, ...]


@dataclass(frozen=True, slots=True)
class Result:
    triage: str
    warnings: tuple[Warning, ...] = ()
    causes: tuple[RankedCause, ...] = field(default_factory=tuple)

    @property
    def stops(self) -> bool:
        """True when the runner needs help now and must not be shown a cause list."""
        return self.triage in STOP_LEVELS

    def to_dict(self) -> dict[str, Any]:
        return {
            "triage": self.triage,
            "warnings": [asdict(w) for w in self.warnings],
            "causes": [
                {
                    "slug": c.slug,
                    "name": c.name,
                    "score": c.score,
                    "band": c.band,
                    "because": [asdict(r) for r in c.because],
                    "remedies": [
                        {"title": r.title, "summary": r.summary, "kind": r.kind} for r in c.remedies
                    ],
                }
                for c in self.causes
            ],
        }


Answers = dict[str, str | list[str]]


def validate_answers(raw: object, knowledge: Knowledge) -> Answers:
    """Check answers against the question bank and return them in a clean form.

    Inactive questions are accepted and dropped (an editor may retire a question
    while old answers still name it); anything unknown or malformed is an error.
    """
    if not isinstance(raw, Mapping):
        raise InvalidAnswers({"answers": "must be a JSON object of question keys to values"})
    errors: dict[str, str] = {}
    clean: Answers = {}
    for key, value in raw.items():
        if not isinstance(key, str):
            errors[str(key)] = "question keys must be strings"
            continue
        question = knowledge.questions.get(key)
        if question is None:
            errors[key] = "unknown question"
            continue
        problem = _check_value(question, value)
        if problem:
            errors[key] = problem
        elif question.active:
            clean[key] = list(dict.fromkeys(value)) if isinstance(value, list) else value
    if errors:
        raise InvalidAnswers(errors)
    return clean


def _check_value(question: QuestionInfo, value: object) -> str | None:
    if question.kind == MULTI:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            return "expected a list of choice values"
        if not value:
            return "pick at least one value, or leave the question out"
        unknown = [v for v in value if v not in question.choices]
        if unknown:
            return f"unknown value {unknown[0]!r}"
        if NONE_VALUE in value and len(set(value)) > 1:
            return "'none' cannot be combined with other values"
        return None
    if not isinstance(value, str):
        return "expected a single choice value (a string)"
    if value not in question.choices:
        return f"unknown value {value!r}"
    return None


def _chosen(answers: Answers, knowledge: Knowledge) -> list[tuple[QuestionInfo, ChoiceInfo]]:
    pairs: list[tuple[QuestionInfo, ChoiceInfo]] = []
    for key, value in answers.items():
        question = knowledge.questions[key]
        for v in value if isinstance(value, list) else [value]:
            pairs.append((question, question.choices[v]))
    return pairs


def assess(raw_answers: object, knowledge: Knowledge) -> Result:
    """Validate, triage and, when it is safe to, rank the causes."""
    answers = validate_answers(raw_answers, knowledge)
    chosen = _chosen(answers, knowledge)

    warnings = tuple(
        sorted(
            (
                Warning(q.key, c.value, c.triage, c.triage_message)
                for q, c in chosen
                if c.triage in LEVEL_RANK and c.triage != SELF_CARE
            ),
            key=lambda w: -LEVEL_RANK[w.level],
        )
    )
    triage = warnings[0].level if warnings else SELF_CARE
    if triage in STOP_LEVELS:
        # Only the warnings that need help now: no training tips beside a possible clot.
        return Result(triage, tuple(w for w in warnings if w.level in STOP_LEVELS), ())
    return Result(triage, warnings, rank_causes(chosen, knowledge))


def rank_causes(
    chosen: list[tuple[QuestionInfo, ChoiceInfo]], knowledge: Knowledge
) -> tuple[RankedCause, ...]:
    scores: dict[str, float] = {}
    reasons: dict[str, list[Reason]] = {}
    for question, choice in chosen:
        for slug, weight in choice.evidence:
            if slug not in knowledge.causes:
                continue
            scores[slug] = scores.get(slug, 0.0) + weight
            if weight > 0:
                reasons.setdefault(slug, []).append(
                    Reason(question.key, choice.value, choice.because or choice.label)
                )
    supported = [s for s, score in scores.items() if score >= MIN_LISTED_SCORE and reasons.get(s)]
    supported.sort(key=lambda s: (-scores[s], knowledge.causes[s].order, s))
    if not supported:
        return ()
    top = scores[supported[0]]
    ranked = []
    for slug in supported:
        cause = knowledge.causes[slug]
        score = round(scores[slug], 2)
        band = "likely" if score >= LIKELY_SCORE and score >= LIKELY_SHARE * top else "possible"
        ranked.append(
            RankedCause(slug, cause.name, score, band, tuple(reasons[slug]), cause.remedies)
        )
    return tuple(ranked)
