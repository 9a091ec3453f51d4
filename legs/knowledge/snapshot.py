"""The immutable snapshot of the published knowledge base that the engine scores with.

Plain Python (no Django): `legs.knowledge.published` builds it from the database, and tests
can build it from the seed files without one.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import NamedTuple

SINGLE = "single"
MULTI = "multi"
# The value of "None of these" in a pick-all question: it cannot be ticked with another.
NONE_VALUE = "none"
# The warning-signs step: the wizard always asks it first.
SAFETY_STEP = "safety"


class EvidenceInfo(NamedTuple):
    """How an answer points to a cause. A general answer (`specific` False) adds to a cause
    that a specific answer or a fired rule points to, but never lists it alone."""

    cause: str
    weight: float
    specific: bool = True


@dataclass(frozen=True, slots=True)
class ChoiceInfo:
    value: str
    label: str
    because: str
    triage: str = ""
    triage_message: str = ""
    evidence: tuple[EvidenceInfo, ...] = ()


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
class ConditionInfo:
    """Holds when at least `at_least` of the answered values are in `values`; a skipped
    question never holds."""

    question: str
    values: frozenset[str]
    at_least: int = 1


@dataclass(frozen=True, slots=True)
class RuleInfo:
    """Fires when every group holds; a group holds when any one of its conditions does."""

    slug: str
    name: str
    groups: tuple[tuple[ConditionInfo, ...], ...]
    level: str = ""
    message: str = ""
    serious: bool = False
    evidence: tuple[tuple[str, float], ...] = ()


class RuleDraft(NamedTuple):
    """A rule as stored (database rows or a seed file), before it is checked against the
    questions: `conditions` are (group, question key, values, at_least)."""

    slug: str
    name: str
    level: str
    message: str
    serious: bool
    active: bool
    conditions: tuple[tuple[int, str, tuple[str, ...], int], ...]
    evidence: tuple[tuple[str, float], ...]


def rule_problem(draft: RuleDraft, questions: Mapping[str, QuestionInfo]) -> str:
    """Why a stored rule cannot be applied (shown in the rules report), or "" when it can."""
    if not draft.conditions:
        return "it has no conditions"
    for _, key, values, _ in draft.conditions:
        question = questions.get(key)
        if question is None:
            return f"its condition names the unknown question {key!r}"
        if not question.active:
            return f"its condition names the inactive question {key!r}"
        unknown = [v for v in values if v not in question.choices]
        if unknown:
            return f"its condition on {key!r} names the deleted or unknown answer {unknown[0]!r}"
    return ""


def never_fires(draft: RuleDraft, questions: Mapping[str, QuestionInfo]) -> str:
    """Why a rule the engine applies can still never fire, or "" (for the rules report).

    Finds the mistakes an editor can make in the admin: a group whose every condition is
    impossible (no answers listed, more answers needed than listed, several answers to a
    pick-one question, several alongside "none"), and two groups that need different
    answers to the same pick-one question (or "none" and another answer to a pick-all one).
    """
    groups: dict[int, list[tuple[str, frozenset[str], int]]] = {}
    for group, key, values, at_least in draft.conditions:
        groups.setdefault(group, []).append((key, frozenset(values), at_least))
    for n, (_, conditions) in enumerate(sorted(groups.items()), start=1):
        problems = [
            _impossible(questions[key], values, at_least) for key, values, at_least in conditions
        ]
        if all(problems):
            return f"condition {n}: {problems[0]}"
    # Groups that each name one question only: the answers that question must have.
    needs: dict[str, list[frozenset[str]]] = {}
    for conditions in groups.values():
        keys = {key for key, _, _ in conditions}
        if len(keys) == 1:
            key = next(iter(keys))
            needs.setdefault(key, []).append(frozenset().union(*(v for _, v, _ in conditions)))
    for key, wanted in needs.items():
        if len(wanted) < 2:
            continue
        question = questions[key]
        if question.kind != MULTI and not frozenset.intersection(*wanted):
            return f"it needs two different answers to the pick-one question {key!r}"
        only_none = [w for w in wanted if w == {NONE_VALUE}]
        if question.kind == MULTI and only_none and any(NONE_VALUE not in w for w in wanted):
            return f"it needs {NONE_VALUE!r} and another answer to the question {key!r}"
    return ""


def _impossible(question: QuestionInfo, values: frozenset[str], at_least: int) -> str:
    if not values:
        return f"it lists no answers to {question.key!r}"
    if at_least > 1 and question.kind != MULTI:
        return f"it needs {at_least} answers to the pick-one question {question.key!r}"
    # "none" cannot be ticked with anything else.
    most = 1 if values == {NONE_VALUE} else len(values - {NONE_VALUE})
    if at_least > most:
        return f"it needs {at_least} of only {most} possible answers to {question.key!r}"
    return ""


def applicable_groups(
    draft: RuleDraft, questions: Mapping[str, QuestionInfo]
) -> tuple[tuple[ConditionInfo, ...], ...] | None:
    """The rule's groups without what no runner can answer now (an unknown or inactive
    question, a deleted answer), or None when a group is left with nothing, so the rule
    can never fire.

    Leaving those out changes nothing about when the rule fires (an answer nobody can give
    never satisfies a condition), and keeps the rest of a safety rule working: retiring one
    question of a clot rule's "any of" group must not switch the whole rule off. The rules
    report still flags each of them.
    """
    if not draft.conditions:
        return None
    groups: dict[int, list[ConditionInfo]] = {}
    for group, key, values, at_least in draft.conditions:
        conditions = groups.setdefault(group, [])
        question = questions.get(key)
        if question is None or not question.active:
            continue
        answerable = frozenset(v for v in values if v in question.choices)
        if answerable and at_least <= len(answerable):
            conditions.append(ConditionInfo(key, answerable, at_least))
    built = tuple(tuple(conditions) for _, conditions in sorted(groups.items()))
    return built if all(built) else None


def build_rules(
    drafts: Iterable[RuleDraft], questions: Mapping[str, QuestionInfo], causes: Iterable[str]
) -> tuple[RuleInfo, ...]:
    """The rules the engine applies: the active ones that can still fire (see
    `applicable_groups`). Evidence for a cause missing from the snapshot (unpublished) is
    dropped."""
    known = set(causes)
    rules = []
    for draft in drafts:
        groups = applicable_groups(draft, questions)
        if not draft.active or groups is None:
            continue
        rules.append(
            RuleInfo(
                draft.slug,
                draft.name,
                groups,
                draft.level,
                draft.message,
                draft.serious,
                tuple(sorted((slug, weight) for slug, weight in draft.evidence if slug in known)),
            )
        )
    return tuple(rules)


@dataclass(frozen=True, slots=True)
class Knowledge:
    """An immutable snapshot of the published knowledge base.

    `questions` is in wizard order (step, then question); choices keep their order.
    That order is the order reasons and warnings are reported in, whatever order the
    answers came in.
    """

    questions: Mapping[str, QuestionInfo]
    causes: Mapping[str, CauseInfo]
    version: int = 0
    steps: tuple[StepInfo, ...] = ()
    rules: tuple[RuleInfo, ...] = ()
