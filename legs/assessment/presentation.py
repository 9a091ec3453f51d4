"""What a page shows of a result: the result page, a saved episode and its print-out."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from legs.knowledge.models import RemedyKind
from legs.knowledge.snapshot import Knowledge

from .engine import Answers, RankedCause, Result
from .plan import TIME_LABELS, build_plan, in_time_order


def needs_professional_check(causes: tuple[RankedCause, ...]) -> bool:
    """Whether a cause a page lists suggests seeing a doctor or another professional."""
    return any(
        remedy.kind == RemedyKind.PROFESSIONAL for cause in causes for remedy in cause.remedies
    )


def result_context(result: Result) -> dict[str, Any]:
    """The template context of a result: its triage and advice, the warnings, a short plan,
    and the causes a page shows (`Result.shown_causes`), each remedy with the label of its
    kind. `remedies` keep the stored order (a saved episode's ticks follow it); `fixes` are
    the same remedies in time order, for reading."""
    kind_labels = dict(RemedyKind.choices)
    shown = result.shown_causes
    professional_check = needs_professional_check(shown)
    advice = result.triage.result_advice(professional_check=professional_check)
    causes = [
        {
            "slug": cause.slug,
            "name": cause.name,
            "band": cause.band,
            "score": cause.score,
            "because": cause.because,
            "remedies": [
                {
                    "title": remedy.title,
                    "summary": remedy.summary,
                    "kind": remedy.kind,
                    "kind_label": kind_labels.get(remedy.kind, ""),
                }
                for remedy in cause.remedies
            ],
            "fixes": [
                {
                    "title": remedy.title,
                    "summary": remedy.summary,
                    "kind": remedy.kind,
                    "when": TIME_LABELS.get(remedy.kind, ""),
                }
                for remedy in in_time_order(cause.remedies)
            ],
        }
        for cause in shown
    ]
    return {
        "triage": result.triage,
        "advice": advice,
        "professional_check": professional_check,
        "warnings": result.warnings,
        # While a serious warning is open, nothing may read as "it's just your training".
        "plan": () if result.serious else build_plan(shown),
        "causes": causes,
        "more_causes": result.more_causes,
        "stops": result.stops,
        # A serious rule fired at soon: the page leads with its warning, no cause is likely.
        "serious": result.serious,
    }


@dataclass(frozen=True, slots=True)
class AnsweredQuestion:
    key: str
    question: str
    # The labels of the chosen answers (several for a pick-all question).
    answers: tuple[str, ...]
    # The id of the question on its wizard step: formtools prefixes each step's fields with
    # the step's key.
    field_id: str


@dataclass(frozen=True, slots=True)
class StepAnswers:
    key: str
    title: str
    answered: tuple[AnsweredQuestion, ...]
    # How many of the step's questions were left unanswered.
    skipped: int


def answer_summary(
    answers: Answers, knowledge: Knowledge, *, all_steps: bool = True
) -> tuple[StepAnswers, ...]:
    """The runner's answers step by step, in wizard order, worded as the questions were.

    A question an editor has since removed is left out. Without `all_steps`, steps with no
    answer are left out too (the questionnaire stopped before them).
    """
    summary = []
    for step in knowledge.steps:
        answered = []
        for key in step.questions:
            question = knowledge.questions.get(key)
            value = answers.get(key)
            if question is None or not value:
                continue
            chosen = [value] if isinstance(value, str) else value
            labels = tuple(c.label for v, c in question.choices.items() if v in chosen)
            if labels:
                answered.append(
                    AnsweredQuestion(key, question.text, labels, f"id_{step.key}-{key}")
                )
        if answered or all_steps:
            summary.append(
                StepAnswers(
                    step.key, step.title, tuple(answered), len(step.questions) - len(answered)
                )
            )
    return tuple(summary)


def result_page_context(result: Result, answers: Answers, knowledge: Knowledge) -> dict[str, Any]:
    """Everything the result page shows: the result, and the answers it came from."""
    return {
        **result_context(result),
        "answer_steps": answer_summary(answers, knowledge, all_steps=not result.stops),
    }
