"""What a page shows of a result: the result page, a saved episode and its print-out."""

from __future__ import annotations

from typing import Any

from legs.knowledge.models import RemedyKind

from .engine import Result


def result_context(result: Result) -> dict[str, Any]:
    """The template context of a result: its triage and advice, the warnings, and the causes
    a page shows (`Result.shown_causes`), each remedy with the label of its kind."""
    kind_labels = dict(RemedyKind.choices)
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
        }
        for cause in result.shown_causes
    ]
    return {
        "triage": result.triage,
        "advice": result.triage.advice,
        "warnings": result.warnings,
        "causes": causes,
        "more_causes": result.more_causes,
        "stops": result.stops,
        # A serious rule fired at soon: the page leads with its warning, no cause is likely.
        "serious": result.serious,
    }
