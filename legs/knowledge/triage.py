"""Triage levels: how soon a runner needs a doctor, and what to tell them.

The one definition of each level: its rank, whether it ends the questionnaire, its labels
and its advice. Editors pick a level for a warning sign, the engine reports one, and every
page words it from here. Plain Python (no Django), so the engine can use it.

It lives in the knowledge base because editors attach levels to answers and the public
warning-signs page shows each level's advice; the assessment and the history read it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


@dataclass(frozen=True, slots=True)
class Advice:
    # The page's headline for this level.
    heading: str
    # Why the page says so, for a result: "one of your answers…".
    why: str
    # What to do, in plain words; the result page and the warning-signs page both say it.
    action: str
    # A last word under the warnings (emergency and urgent only).
    after: str
    # Bootstrap alert class of the headline.
    css: str
    # When to see a doctor after all, under a result that lists causes.
    safety_net: str = ""


@dataclass(frozen=True, slots=True)
class _Level:
    rank: int
    label: str
    short: str
    advice: Advice


class Triage(StrEnum):
    EMERGENCY = "emergency"
    URGENT = "urgent"
    SOON = "soon"
    SELF_CARE = "self_care"

    @property
    def rank(self) -> int:
        """Seriousness, highest first: emergency 3 … self-care 0."""
        return _LEVELS[self].rank

    @property
    def stops(self) -> bool:
        """The runner needs help now: the questionnaire ends and no causes are listed."""
        return self in (Triage.EMERGENCY, Triage.URGENT)

    @property
    def label(self) -> str:
        return _LEVELS[self].label

    @property
    def short(self) -> str:
        """A few words for tables and badges."""
        return _LEVELS[self].short

    @property
    def advice(self) -> Advice:
        return _LEVELS[self].advice

    def result_advice(self, *, professional_check: bool) -> Advice:
        """The advice heading a result. With `professional_check` (a listed cause suggests
        seeing a doctor or another professional), self-care does not say that nothing needs
        a doctor."""
        if self is Triage.SELF_CARE and professional_check:
            return _SELF_CARE_WITH_CHECK
        return self.advice

    @classmethod
    def choices(cls) -> list[tuple[str, str]]:
        return [(level.value, level.label) for level in cls]

    @classmethod
    def warning_levels(cls) -> list[Triage]:
        """The levels a warning sign can have, most serious first."""
        return [level for level in cls if level is not cls.SELF_CARE]


_EMERGENCY_ACTION = (
    "Stop running. Call your emergency number (999, 112 or 911) or go to the nearest "
    "emergency department now. Do not drive yourself."
)
_SAFETY_NET = (
    "See a doctor if your legs still feel heavy after two weeks of easier running and more "
    "rest, if it keeps getting worse, or at once if you notice any of the warning signs."
)
_SELF_CARE_ACTION = (
    "Here are the likely causes of your heavy legs, with the answers that point to each, and "
    "what to try."
)
_LEVELS: dict[Triage, _Level] = {
    Triage.EMERGENCY: _Level(
        rank=3,
        label="Emergency: get help now",
        short="Emergency",
        advice=Advice(
            heading="Get emergency help now",
            why=(
                "One of your answers can be a sign of a serious problem that needs help "
                "straight away."
            ),
            action=_EMERGENCY_ACTION,
            after=(
                "If you can, ask someone to stay with you, and show this page to the people "
                "who help you."
            ),
            css="alert-danger",
        ),
    ),
    Triage.URGENT: _Level(
        rank=2,
        label="Urgent: see a doctor today",
        short="Doctor today",
        advice=Advice(
            heading="See a doctor today",
            why="One of your answers needs a doctor to check it today.",
            action=(
                "Stop running and get medical help today: a same-day doctor's appointment, an "
                "urgent care centre or a nurse line (111 in the UK)."
            ),
            after=(
                "If it gets worse, or you get chest pain or sudden breathlessness, call your "
                "emergency number (999, 112 or 911) straight away."
            ),
            css="alert-danger",
        ),
    ),
    Triage.SOON: _Level(
        rank=1,
        label="Soon: book a doctor's appointment",
        short="See a doctor soon",
        advice=Advice(
            heading="Book a doctor's appointment in the coming days",
            why="Some of your answers are worth a doctor's check. It is not an emergency.",
            action=(
                "Book an appointment with your doctor in the coming days. Until then keep runs "
                "easy, and stop if it gets worse."
            ),
            after="",
            css="alert-warning",
            safety_net=(
                "If it gets worse before your appointment, or you notice any of the warning "
                "signs, get medical help today."
            ),
        ),
    ),
    Triage.SELF_CARE: _Level(
        rank=0,
        label="Self-care",
        short="Self-care",
        advice=Advice(
            heading="No warning signs in your answers",
            why="Nothing you told us needs a doctor right now.",
            action=_SELF_CARE_ACTION,
            after="",
            css="alert-success",
            safety_net=_SAFETY_NET,
        ),
    ),
}
_SELF_CARE_WITH_CHECK = Advice(
    heading="No warning signs in your answers",
    why=(
        "Nothing you told us needs a doctor urgently, but at least one possible cause below "
        "is worth checking with a doctor or another professional."
    ),
    action=_SELF_CARE_ACTION,
    after="",
    css="alert-info",
    safety_net=_SAFETY_NET,
)
