"""A result's short plan: a few actions for today, the next run and this month.

Drawn from the remedies of the top causes, best cause first, so that a runner sees what to
do before reading why. Seeing a professional is left to the causes and the safety net: a
plan item is something the runner can just do.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from legs.knowledge.models import RemedyKind
from legs.knowledge.snapshot import RemedyInfo

from .engine import RankedCause

# The plan's time labels, in time order; a kind not listed here stays out of the plan.
PLAN_SLOTS: dict[str, str] = {
    RemedyKind.NOW: "Today",
    RemedyKind.NEXT_RUN: "Next run",
    RemedyKind.LONG_TERM: "This month",
}
# The same words beside each remedy of a cause, so both read alike and in the same order.
TIME_LABELS: dict[str, str] = {**PLAN_SLOTS, RemedyKind.PROFESSIONAL: "See a professional"}
PLAN_SIZE = 3
# The plan comes from this many of the top causes: further down, the evidence is thin.
PLAN_CAUSES = 3


@dataclass(frozen=True, slots=True)
class PlanAction:
    when: str
    kind: str
    title: str
    summary: str
    cause_slug: str
    cause_name: str


def build_plan(
    causes: Sequence[RankedCause], *, size: int = PLAN_SIZE, from_causes: int = PLAN_CAUSES
) -> tuple[PlanAction, ...]:
    """At most `size` different actions from the remedies of the first `from_causes` causes,
    in time order (today, next run, this month).

    Each time slot first gets the best cause's action for it; slots left empty are then
    filled with the next best actions, so a result whose causes offer only long-term fixes
    still gets a plan. An action that repeats one already chosen ("Rest or run easy" after
    "Rest or run very easy today") is left out.
    """
    candidates = [
        (cause, remedy)
        for cause in causes[:from_causes]
        for remedy in cause.remedies
        if remedy.kind in PLAN_SLOTS
    ]
    chosen: list[tuple[RankedCause, RemedyInfo]] = []
    filled: set[str] = set()
    for first_pass in (True, False):
        for cause, remedy in candidates:
            if len(chosen) >= size:
                break
            if first_pass and remedy.kind in filled:
                continue
            if any(same_action(remedy, other) for _, other in chosen):
                continue
            chosen.append((cause, remedy))
            filled.add(remedy.kind)
    order = list(PLAN_SLOTS)
    # A stable sort: within one slot, the better cause's action stays first.
    chosen.sort(key=lambda pair: order.index(pair[1].kind))
    return tuple(
        PlanAction(
            when=PLAN_SLOTS[remedy.kind],
            kind=remedy.kind,
            title=remedy.title,
            summary=remedy.summary,
            cause_slug=cause.slug,
            cause_name=cause.name,
        )
        for cause, remedy in chosen
    )


def in_time_order(remedies: Iterable[RemedyInfo]) -> list[RemedyInfo]:
    """Remedies ordered today, next run, this month, then a professional; the editors'
    order within each."""
    order = list(TIME_LABELS)
    return sorted(remedies, key=lambda r: order.index(r.kind) if r.kind in order else len(order))


# Words that do not change what an action asks for.
_FILLER = frozenset(
    {
        "a", "about", "an", "and", "as", "at", "be", "by", "do", "for", "from", "get", "go",
        "if", "in", "into", "it", "its", "keep", "of", "on", "or", "so", "some", "than",
        "that", "the", "then", "this", "to", "today", "today's", "up", "very", "with", "you",
        "your", "run", "runs", "running",
    }
)  # fmt: skip
# Words that ask for the same thing: an easier day.
_EASY_WORDS = frozenset(
    {"easy", "easier", "ease", "gentle", "gently", "light", "lighter", "rest", "short", "shorter"}
)
_EASY = "easy"


def _action_words(title: str) -> frozenset[str]:
    words = set()
    for word in re.findall(r"[a-z0-9']+", title.lower()):
        if word in _FILLER:
            continue
        if word in _EASY_WORDS:
            word = _EASY
        elif len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
            word = word[:-1]
        words.add(word)
    return frozenset(words)


def same_action(first: RemedyInfo, second: RemedyInfo) -> bool:
    """Whether two remedies ask the runner for the same thing.

    The same title; the same words once filler is dropped ("Rest or run easy", "Keep
    today's run short and easy"); all of one's two or more words among the other's; mostly
    the same words; or, for the same time, both an easier day ("Rest or run very easy
    today", "Go easy after a bad night").
    """
    if first.title.strip().casefold() == second.title.strip().casefold():
        return True
    a, b = _action_words(first.title), _action_words(second.title)
    if not a or not b:
        return False
    smaller, larger = sorted((a, b), key=len)
    if smaller == larger or (len(smaller) >= 2 and smaller <= larger):
        return True
    if len(a & b) / len(a | b) >= 0.5:
        return True
    return first.kind == second.kind and _EASY in a and _EASY in b
