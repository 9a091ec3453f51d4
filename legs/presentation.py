"""Turn a stored result (the engine's JSON form) into what the result page shows."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .diagnosis import LEVEL_RANK, STOP_LEVELS
from .models import RemedyKind

TOP_REMEDIES = 3
SHOWN_CAUSES = 6

TRIAGE_TEXT: dict[str, dict[str, str]] = {
    "emergency": {
        "heading": "Get emergency help now",
        "lead": (
            "One of your answers can be a sign of a serious problem that needs help straight "
            "away. Stop running. Call your emergency number (999, 112 or 911) or go to the "
            "nearest emergency department. Do not drive yourself."
        ),
        "after": (
            "If you can, ask someone to stay with you, and show this page to the people who "
            "help you."
        ),
        "css": "alert-danger",
    },
    "urgent": {
        "heading": "See a doctor today",
        "lead": (
            "One of your answers needs a doctor to check it today. Stop running until you have "
            "been seen. Call your doctor for a same-day appointment, an urgent care centre or a "
            "nurse line (111 in the UK). If it gets worse, or you feel chest pain or sudden "
            "breathlessness, call your emergency number."
        ),
        "after": (
            "If it gets worse, or you get chest pain or sudden breathlessness, call your "
            "emergency number (999, 112 or 911) straight away."
        ),
        "css": "alert-danger",
    },
    "soon": {
        "heading": "Book a doctor's appointment in the coming days",
        "lead": (
            "Some of your answers are worth a doctor's check. It is not an emergency, but "
            "please book an appointment soon. Meanwhile, keep runs easy and stop if symptoms "
            "get worse. The possible causes below can help you talk it through."
        ),
        "after": "",
        "css": "alert-warning",
    },
    "self_care": {
        "heading": "No warning signs in your answers",
        "lead": (
            "Nothing you told us needs a doctor right now. Here are the likely causes of your "
            "heavy legs, with the answers that point to each, and what to try."
        ),
        "after": "",
        "css": "alert-success",
    },
}


def result_context(result: Mapping[str, Any]) -> dict[str, Any]:
    """The result page's context; ValueError when `result` is not an engine result."""
    triage = result.get("triage") if isinstance(result, Mapping) else None
    if triage not in LEVEL_RANK:
        raise ValueError(f"not an assessment result (triage {triage!r})")
    kind_labels = dict(RemedyKind.choices)
    stops = triage in STOP_LEVELS
    # The engine never ranks causes for emergency and urgent; the page makes sure of it.
    all_causes = [] if stops else list(result.get("causes", []))
    causes = [
        {
            **cause,
            "remedies": [
                {**r, "kind_label": kind_labels.get(r.get("kind", ""), "")}
                for r in cause.get("remedies", [])[:TOP_REMEDIES]
            ],
        }
        for cause in all_causes[:SHOWN_CAUSES]
    ]
    return {
        "triage": triage,
        "triage_text": TRIAGE_TEXT[triage],
        "warnings": result.get("warnings", []),
        "causes": causes,
        "more_causes": max(0, len(all_causes) - SHOWN_CAUSES),
        "stops": stops,
    }
