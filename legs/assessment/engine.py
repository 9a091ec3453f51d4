"""The assessment engine: answers + a knowledge snapshot in, a triage and ranked causes out.

Plain Python with no database or request access, so the wizard, `manage.py diagnose`
and the history all score the same way, and the rules are easy to test.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from legs.knowledge.snapshot import (
    MULTI,
    NONE_VALUE,
    ChoiceInfo,
    Knowledge,
    QuestionInfo,
    RemedyInfo,
)
from legs.knowledge.triage import Triage

LIKELY = "likely"
POSSIBLE = "possible"
BANDS = (LIKELY, POSSIBLE)
# A cause is "likely" when its evidence adds up to this much and it is at least
# LIKELY_SHARE of the best score; any other listed cause is "possible".
LIKELY_SCORE = 6.0
LIKELY_SHARE = 0.5
# Totals below this are noise from general answers ("heavy for the whole run") and are
# not listed: a cause needs at least one real pointer to be worth a runner's attention.
MIN_LISTED_SCORE = 1.0
# What a page shows of a result (the result page, a saved episode, its print-out): the top
# causes, each with its first few remedies. Saving keeps exactly these remedies to tick.
SHOWN_CAUSES = 6
SHOWN_REMEDIES = 3


class InvalidAnswers(ValueError):
    """Answers that do not fit the question bank; `errors` maps each key to its problem."""

    def __init__(self, errors: Mapping[str, str]) -> None:
        self.errors = dict(errors)
        super().__init__("; ".join(f"{key}: {problem}" for key, problem in self.errors.items()))


@dataclass(frozen=True, slots=True)
class WarningSign:
    question: str
    value: str
    level: Triage
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
    triage: Triage
    warnings: tuple[WarningSign, ...] = ()
    causes: tuple[RankedCause, ...] = ()

    @property
    def stops(self) -> bool:
        """True when the runner needs help now and must not be shown a cause list."""
        return self.triage.stops

    @property
    def shown_causes(self) -> tuple[RankedCause, ...]:
        """The causes a page shows, each with the remedies it shows; none when the runner
        needs help now, whatever a stored result says."""
        if self.stops:
            return ()
        return tuple(
            replace(cause, remedies=cause.remedies[:SHOWN_REMEDIES])
            for cause in self.causes[:SHOWN_CAUSES]
        )

    @property
    def more_causes(self) -> int:
        """How many listed causes a page leaves out."""
        return 0 if self.stops else max(0, len(self.causes) - SHOWN_CAUSES)

    def to_dict(self) -> dict[str, Any]:
        """The JSON form printed by `manage.py diagnose`, kept in the session and with a
        saved episode."""
        return {
            "triage": self.triage.value,
            "warnings": [
                {
                    "question": w.question,
                    "value": w.value,
                    "level": w.level.value,
                    "message": w.message,
                }
                for w in self.warnings
            ],
            "causes": [
                {
                    "slug": c.slug,
                    "name": c.name,
                    "score": c.score,
                    "band": c.band,
                    # Spelled out: dataclasses.asdict deep-copies each field, and a result
                    # with a dozen causes took longer to turn into a dict than to score.
                    "because": [
                        {"question": r.question, "value": r.value, "text": r.text}
                        for r in c.because
                    ],
                    "remedies": [
                        {"title": r.title, "summary": r.summary, "kind": r.kind} for r in c.remedies
                    ],
                }
                for c in self.causes
            ],
        }

    @classmethod
    def from_dict(cls, data: object) -> Result:
        """A result from its `to_dict()` form; ValueError naming the problem when `data` is
        not one (a damaged session, a hand-edited file)."""
        record = _mapping(data, "result")
        try:
            triage = Triage(record["triage"])
            warnings = tuple(
                WarningSign(
                    question=_text(w, "question"),
                    value=_text(w, "value"),
                    level=Triage(_mapping(w, "warning")["level"]),
                    message=_text(w, "message"),
                )
                for w in _list(record.get("warnings", []), "warnings")
            )
            causes = tuple(_cause(c) for c in _list(record.get("causes", []), "causes"))
        except KeyError as exc:
            raise ValueError(f"not an assessment result: {exc.args[0]!r} is missing") from exc
        return cls(triage, warnings, causes)


def _mapping(value: object, what: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise ValueError(f"not an assessment result: {what} is not an object")
    return value


def _list(value: object, what: str) -> Sequence[Any]:
    if not isinstance(value, list):
        raise ValueError(f"not an assessment result: {what} is not a list")
    return value


def _text(value: object, key: str) -> str:
    text = _mapping(value, key)[key]
    if not isinstance(text, str):
        raise ValueError(f"not an assessment result: {key} is not text")
    return text


def _cause(value: object) -> RankedCause:
    cause = _mapping(value, "cause")
    score = cause["score"]
    if isinstance(score, bool) or not isinstance(score, int | float):
        raise ValueError("not an assessment result: score is not a number")
    band = _text(cause, "band")
    if band not in BANDS:
        raise ValueError(f"not an assessment result: unknown band {band!r}")
    return RankedCause(
        slug=_text(cause, "slug"),
        name=_text(cause, "name"),
        score=float(score),
        band=band,
        because=tuple(
            Reason(_text(r, "question"), _text(r, "value"), _text(r, "text"))
            for r in _list(cause.get("because", []), "because")
        ),
        remedies=tuple(
            RemedyInfo(_text(r, "title"), _text(r, "summary"), _text(r, "kind"))
            for r in _list(cause.get("remedies", []), "remedies")
        ),
    )


Answers = dict[str, str | list[str]]


def validate_answers(raw: object, knowledge: Knowledge) -> Answers:
    """Check answers against the question bank and return them in a clean form.

    Inactive questions are checked and then dropped (an editor may retire a question
    while old answers still name it); anything unknown or malformed is an error.
    """
    if not isinstance(raw, Mapping):
        raise InvalidAnswers({"answers": "must be a JSON object of question keys to values"})
    errors: dict[str, str] = {}
    clean: Answers = {}
    for key, value in raw.items():
        if not isinstance(key, str):
            errors[repr(key)] = "question keys must be strings"
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
    """The picked choices in knowledge-base order, so the output never depends on key order."""
    pairs: list[tuple[QuestionInfo, ChoiceInfo]] = []
    for key, question in knowledge.questions.items():
        value = answers.get(key)
        if value is None:
            continue
        if isinstance(value, str):
            pairs.append((question, question.choices[value]))
        else:
            pairs.extend((question, c) for v, c in question.choices.items() if v in value)
    return pairs


def assess(raw_answers: object, knowledge: Knowledge) -> Result:
    """Validate, triage and, only when it is safe to, rank the causes."""
    chosen = _chosen(validate_answers(raw_answers, knowledge), knowledge)
    warnings = sorted(
        (
            WarningSign(q.key, c.value, Triage(c.triage), c.triage_message)
            for q, c in chosen
            if c.triage and Triage(c.triage).rank > 0
        ),
        # Most serious first; the sort is stable, so equal levels keep question order.
        key=lambda w: -w.level.rank,
    )
    triage = warnings[0].level if warnings else Triage.SELF_CARE
    if triage.stops:
        # Only what needs help now: no training tips beside a possible clot.
        return Result(triage, tuple(w for w in warnings if w.level.stops))
    return Result(triage, tuple(warnings), rank_causes(chosen, knowledge))


def rank_causes(
    chosen: list[tuple[QuestionInfo, ChoiceInfo]], knowledge: Knowledge
) -> tuple[RankedCause, ...]:
    """Add up the evidence for each cause; list the supported ones, best first.

    Ties are broken by the editors' cause order, then by slug, so equal scores always
    come out the same way.
    """
    causes = knowledge.causes
    totals: dict[str, float] = {}
    # The answers that argue for each cause; turned into reasons only for listed causes.
    pointers: dict[str, list[tuple[QuestionInfo, ChoiceInfo]]] = {}
    for question, choice in chosen:
        for slug, weight in choice.evidence:
            if slug not in causes:
                continue
            totals[slug] = totals.get(slug, 0.0) + weight
            if weight > 0:
                pointers.setdefault(slug, []).append((question, choice))
    # Rounded before ranking: weights have one decimal, and float sums such as
    # 0.1 + 0.2 must tie with 0.3 rather than depend on the order of addition.
    scores = {slug: round(total, 2) for slug, total in totals.items()}
    listed = sorted(
        (slug for slug, score in scores.items() if score >= MIN_LISTED_SCORE and slug in pointers),
        key=lambda slug: (-scores[slug], causes[slug].order, slug),
    )
    if not listed:
        return ()
    top = scores[listed[0]]
    ranked = []
    for slug in listed:
        cause, score = causes[slug], scores[slug]
        band = LIKELY if score >= LIKELY_SCORE and score >= LIKELY_SHARE * top else POSSIBLE
        because = tuple(Reason(q.key, c.value, c.because or c.label) for q, c in pointers[slug])
        ranked.append(RankedCause(slug, cause.name, score, band, because, cause.remedies))
    return tuple(ranked)
