"""The immutable snapshot of the published knowledge base that the engine scores with.

Plain Python (no Django): `legs.knowledge.published` builds it from the database, and tests
can build it from the seed files without one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

SINGLE = "single"
MULTI = "multi"
# The value of "None of these" in a pick-all question: it cannot be ticked with another.
NONE_VALUE = "none"
# The warning-signs step: the wizard always asks it first.
SAFETY_STEP = "safety"


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
    """An immutable snapshot of the published knowledge base.

    `questions` is in wizard order (step, then question); choices keep their order.
    That order is the order reasons and warnings are reported in, whatever order the
    answers came in.
    """

    questions: Mapping[str, QuestionInfo]
    causes: Mapping[str, CauseInfo]
    version: int = 0
    steps: tuple[StepInfo, ...] = ()
