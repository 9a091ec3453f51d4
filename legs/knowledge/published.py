"""The published knowledge base as the snapshot the engine scores with: built, cached, renewed."""

from __future__ import annotations

import threading
from collections import defaultdict

from .models import (
    Cause,
    Choice,
    Evidence,
    KnowledgeRevision,
    Question,
    Remedy,
    RuleCondition,
    RuleEvidence,
    Step,
)
from .snapshot import (
    SAFETY_STEP,
    CauseInfo,
    ChoiceInfo,
    EvidenceInfo,
    Knowledge,
    QuestionInfo,
    RemedyInfo,
    RuleDraft,
    StepInfo,
    build_rules,
)

_local_lock = threading.Lock()
_local: dict[str, Knowledge] = {}


def load_knowledge(version: int = 0) -> Knowledge:
    """Read the published knowledge base in seven queries (steps come with the questions,
    rules with their conditions)."""
    # 1. published causes
    causes = {
        c.pk: c for c in Cause.objects.published().only("pk", "slug", "name", "summary", "order")
    }
    # 2. their remedies
    remedies: dict[int, list[RemedyInfo]] = defaultdict(list)
    for r in Remedy.objects.filter(cause__published=True).order_by("cause_id", "order", "pk"):
        remedies[r.cause_id].append(RemedyInfo(r.title, r.summary, r.kind))
    # 3. evidence pointing to them
    evidence: dict[int, list[EvidenceInfo]] = defaultdict(list)
    for choice_id, slug, weight, specific in Evidence.objects.filter(
        cause__published=True
    ).values_list("choice_id", "cause__slug", "weight", "specific"):
        evidence[choice_id].append(EvidenceInfo(slug, float(weight), specific))
    # 4. every choice
    choices: dict[int, dict[str, ChoiceInfo]] = defaultdict(dict)
    for ch in Choice.objects.order_by("question_id", "order", "pk"):
        choices[ch.question_id][ch.value] = ChoiceInfo(
            ch.value,
            ch.label,
            ch.because,
            ch.triage,
            ch.triage_message,
            tuple(sorted(evidence.get(ch.pk, []))),
        )
    # 5. every question with its step, in wizard order
    questions: dict[str, QuestionInfo] = {}
    steps: dict[int, tuple[Step, list[str]]] = {}
    for q in Question.objects.select_related("step").order_by(
        "step__order", "step_id", "order", "pk"
    ):
        questions[q.key] = QuestionInfo(
            q.key,
            q.text,
            q.kind,
            q.step.key,
            choices.get(q.pk, {}),
            q.active,
            q.help_text,
            q.required,
        )
        if q.active and choices.get(q.pk):
            steps.setdefault(q.step_id, (q.step, []))[1].append(q.key)
    cause_infos = {
        c.slug: CauseInfo(c.slug, c.name, c.summary, c.order, tuple(remedies.get(pk, [])))
        for pk, c in causes.items()
    }
    step_infos = [
        StepInfo(step.key, step.title, step.intro, tuple(keys)) for step, keys in steps.values()
    ]
    # The warning signs come first whatever order an editor gives the steps: nobody
    # should answer questions about shoes before being told to call for help.
    step_infos.sort(key=lambda s: s.key != SAFETY_STEP)
    return Knowledge(
        steps=tuple(step_infos),
        questions=questions,
        causes=cause_infos,
        version=version,
        rules=build_rules(rule_drafts(), questions, cause_infos),
    )


def rule_drafts(*, active_only: bool = True) -> list[RuleDraft]:
    """Every (active) rule as stored, in the editors' order, in two queries: the conditions
    with their rule and question, then the evidence. A rule without conditions never fires
    and is not read."""
    conditions = RuleCondition.objects.select_related("rule", "question").order_by(
        "rule__order", "rule__slug", "rule_id", "group", "pk"
    )
    if active_only:
        conditions = conditions.filter(rule__active=True)
    evidence: dict[int, list[tuple[str, float]]] = defaultdict(list)
    for rule_id, slug, weight in RuleEvidence.objects.filter(cause__published=True).values_list(
        "rule_id", "cause__slug", "weight"
    ):
        evidence[rule_id].append((slug, float(weight)))
    drafts: dict[int, RuleDraft] = {}
    for condition in conditions:
        rule = condition.rule
        draft = drafts.get(rule.pk) or RuleDraft(
            rule.slug,
            rule.name,
            rule.level,
            rule.message,
            rule.serious,
            rule.active,
            (),
            tuple(evidence.get(rule.pk, ())),
        )
        values = condition.values if isinstance(condition.values, list) else []
        drafts[rule.pk] = draft._replace(
            conditions=(
                *draft.conditions,
                (
                    condition.group,
                    condition.question.key,
                    tuple(map(str, values)),
                    condition.at_least,
                ),
            )
        )
    return list(drafts.values())


def get_knowledge() -> Knowledge:
    """The current snapshot: one query to read the revision, seven more after an edit.

    Each process keeps the snapshot of the current revision in memory. An editor's save
    bumps the revision, so the next request everywhere scores with the edited knowledge base.
    """
    number, token = KnowledgeRevision.current()
    knowledge = _local.get(token)
    if knowledge is not None:
        return knowledge
    knowledge = load_knowledge(number)
    with _local_lock:
        _local.clear()
        _local[token] = knowledge
    return knowledge


def clear_local_cache() -> None:
    with _local_lock:
        _local.clear()
