"""The assessment engine: answers + a knowledge snapshot in, a triage and ranked causes out.

Plain Python with no database or request access, so the wizard, `manage.py diagnose`
and the history all score the same way, and the rules are easy to test.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence, Set
from dataclasses import dataclass, replace
from typing import Any

from legs.knowledge.snapshot import (
    MULTI,
    NONE_VALUE,
    SAFETY_STEP,
    ChoiceInfo,
    ConditionInfo,
    Knowledge,
    QuestionInfo,
    RemedyInfo,
    RuleInfo,
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
class Reason:
    question: str
    value: str
    text: str

    def to_dict(self) -> dict[str, str]:
        # Spelled out: dataclasses.asdict deep-copies each field, and a result with a dozen
        # causes took longer to turn into a dict than to score.
        return {"question": self.question, "value": self.value, "text": self.text}


@dataclass(frozen=True, slots=True)
class WarningSign:
    """A warning from one answer (`question`, `value`) or from a fired rule (`rule`, with
    the answers that fired it in `because`)."""

    question: str
    value: str
    level: Triage
    message: str
    rule: str = ""
    serious: bool = False
    because: tuple[Reason, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        if self.rule:
            return {
                "rule": self.rule,
                "level": self.level.value,
                "message": self.message,
                "serious": self.serious,
                "because": [r.to_dict() for r in self.because],
            }
        return {
            "question": self.question,
            "value": self.value,
            "level": self.level.value,
            "message": self.message,
        }

    @classmethod
    def from_dict(cls, data: object) -> WarningSign:
        record = _mapping(data, "warning")
        level = Triage(record["level"])
        if "rule" in record:
            serious = record.get("serious", False)
            if not isinstance(serious, bool):
                raise ValueError("not an assessment result: serious is not true or false")
            return cls(
                "",
                "",
                level,
                _text(record, "message"),
                rule=_text(record, "rule"),
                serious=serious,
                because=_reasons(record.get("because", [])),
            )
        return cls(
            _text(record, "question"), _text(record, "value"), level, _text(record, "message")
        )


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
    def serious(self) -> bool:
        """A serious rule fired at `soon`: the page leads with its warning and no cause is
        called likely, so nothing reads as "just your training"."""
        return not self.stops and any(w.serious for w in self.warnings)

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
            "warnings": [w.to_dict() for w in self.warnings],
            "causes": [
                {
                    "slug": c.slug,
                    "name": c.name,
                    "score": c.score,
                    "band": c.band,
                    "because": [r.to_dict() for r in c.because],
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
                WarningSign.from_dict(w) for w in _list(record.get("warnings", []), "warnings")
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


def _reasons(value: object) -> tuple[Reason, ...]:
    return tuple(
        Reason(_text(r, "question"), _text(r, "value"), _text(r, "text"))
        for r in _list(value, "because")
    )


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
        because=_reasons(cause.get("because", [])),
        remedies=tuple(
            RemedyInfo(_text(r, "title"), _text(r, "summary"), _text(r, "kind"))
            for r in _list(cause.get("remedies", []), "remedies")
        ),
    )


Answers = dict[str, str | list[str]]


def validate_answers(raw: object, knowledge: Knowledge, *, complete: bool = True) -> Answers:
    """Check answers against the question bank and return them in a clean form.

    Inactive questions are checked and then dropped (an editor may retire a question
    while old answers still name it); anything unknown or malformed is an error, and so is
    a required question left out (the warning signs: nobody gets a list of causes without
    being asked about them). `complete=False` is for answers given so far, page by page:
    only the required questions of the warning-signs step, always asked first, must be there.
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
    for key, question in knowledge.questions.items():
        if (
            question.required
            and question.active
            and question.choices
            and key not in raw
            and (complete or question.step == SAFETY_STEP)
        ):
            errors[key] = (
                "required: answer this question (the warning signs are always asked first)"
            )
    if errors:
        raise InvalidAnswers(errors)
    return clean


def _check_value(question: QuestionInfo, value: object) -> str | None:
    if question.kind == MULTI:
        if not isinstance(value, list):
            return "expected a list of choice values"
        for v in value:
            if not isinstance(v, str):
                return "expected a list of choice values"
        if not value:
            return "pick at least one value, or leave the question out"
        for v in value:
            if v not in question.choices:
                return f"unknown value {v!r}"
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


def _holds(condition: ConditionInfo, answers: Answers) -> tuple[tuple[str, str], ...]:
    """The answers that satisfy `condition`, or () when it does not hold."""
    given = answers.get(condition.question)
    if given is None:
        return ()
    if isinstance(given, str):
        if condition.at_least <= 1 and given in condition.values:
            return ((condition.question, given),)
        return ()
    hits = tuple((condition.question, v) for v in given if v in condition.values)
    return hits if hits and len(hits) >= condition.at_least else ()


def _fires(rule: RuleInfo, answers: Answers) -> frozenset[tuple[str, str]] | None:
    """The answers that fired `rule` (every group holds), or None when it does not fire."""
    matched: set[tuple[str, str]] = set()
    for group in rule.groups:
        held = False
        for condition in group:
            hits = _holds(condition, answers)
            if hits:
                held = True
                matched.update(hits)
        if not held:
            return None
    return frozenset(matched)


# Each fired rule with the answers that fired it.
FiredRule = tuple[RuleInfo, frozenset[tuple[str, str]]]


def _reasons_for(
    pairs: Set[tuple[str, str]], chosen: list[tuple[QuestionInfo, ChoiceInfo]]
) -> tuple[Reason, ...]:
    """`pairs` (question key, value) as reasons, in knowledge-base order."""
    return tuple(
        Reason(q.key, c.value, c.because or c.label) for q, c in chosen if (q.key, c.value) in pairs
    )


def assess(raw_answers: object, knowledge: Knowledge, *, complete: bool = True) -> Result:
    """Validate, triage and, only when it is safe to, rank the causes.

    Triage is the most serious level of any single answer or any fired rule: a rule only
    ever raises it. `complete=False`: see `validate_answers`.
    """
    answers = validate_answers(raw_answers, knowledge, complete=complete)
    chosen = _chosen(answers, knowledge)
    warnings = [
        WarningSign(q.key, c.value, Triage(c.triage), c.triage_message)
        for q, c in chosen
        if c.triage and Triage(c.triage).rank > 0
    ]
    fired: list[FiredRule] = []
    for rule in knowledge.rules:
        matched = _fires(rule, answers)
        if matched is None:
            continue
        fired.append((rule, matched))
        if rule.level and Triage(rule.level).rank > 0:
            warnings.append(
                WarningSign(
                    "",
                    "",
                    Triage(rule.level),
                    rule.message,
                    rule=rule.slug,
                    serious=rule.serious,
                    because=_reasons_for(matched, chosen),
                )
            )
    # Most serious first, serious rules first within a level; the sort is stable, so the
    # rest keep question order, then rule order.
    warnings.sort(key=lambda w: (-w.level.rank, not w.serious))
    triage = warnings[0].level if warnings else Triage.SELF_CARE
    if triage.stops:
        # Only what needs help now: no training tips beside a possible clot.
        return Result(triage, tuple(w for w in warnings if w.level.stops))
    serious = any(w.serious for w in warnings)
    return Result(triage, tuple(warnings), rank_causes(chosen, knowledge, fired, serious=serious))


def escalation_questions(answers: Answers, knowledge: Knowledge) -> tuple[str, ...]:
    """The unanswered questions whose answers could still raise the triage, in wizard order.

    For every rule above the triage the answers give: when each of its groups either holds
    already or names a question not yet answered, the unanswered questions of the groups
    that do not hold yet. And every unanswered question with an answer above that triage on
    its own (the seed keeps those among the warning signs on the first page, but an editor
    may put one on a later step). The wizard asks them before it stops on a help-now answer.
    """
    clean = validate_answers(answers, knowledge, complete=False)
    triage = assess(clean, knowledge, complete=False).triage
    wanted: set[str] = {
        key
        for key, question in knowledge.questions.items()
        if question.active
        and key not in clean
        and any(c.triage and Triage(c.triage).rank > triage.rank for c in question.choices.values())
    }
    for rule in knowledge.rules:
        if not rule.level or Triage(rule.level).rank <= triage.rank:
            continue
        open_questions: set[str] = set()
        for group in rule.groups:
            if any(_holds(condition, clean) for condition in group):
                continue
            unanswered = {
                condition.question
                for condition in group
                if condition.question not in clean and _is_active(condition.question, knowledge)
            }
            if not unanswered:
                # This group can no longer hold, so the rule can never fire.
                break
            open_questions |= unanswered
        else:
            wanted |= open_questions
    return tuple(key for key in knowledge.questions if key in wanted)


def _is_active(key: str, knowledge: Knowledge) -> bool:
    question = knowledge.questions.get(key)
    return question is not None and question.active


def rank_causes(
    chosen: list[tuple[QuestionInfo, ChoiceInfo]],
    knowledge: Knowledge,
    fired: Sequence[FiredRule] = (),
    *,
    serious: bool = False,
) -> tuple[RankedCause, ...]:
    """Add up the evidence for each cause; list the supported ones, best first.

    A cause is listed only when a specific answer or a fired rule points to it: general
    answers add to its score but never list it alone. Under a serious rule no cause is
    `likely`. Ties are broken by the editors' cause order, then by slug, so equal scores
    always come out the same way.
    """
    causes = knowledge.causes
    totals: dict[str, float] = {}
    # The answers that argue for each cause, as reasons (one per answer, shared).
    pointers: dict[str, list[Reason]] = {}
    # Answers behind a fired rule that argues for a cause.
    from_rules: dict[str, set[tuple[str, str]]] = {}
    specific: set[str] = set()
    for question, choice in chosen:
        reason = None
        for slug, weight, is_specific in choice.evidence:
            if slug in totals:
                totals[slug] += weight
            elif slug in causes:
                totals[slug] = weight
            else:
                continue
            if weight > 0:
                if reason is None:
                    reason = Reason(question.key, choice.value, choice.because or choice.label)
                if slug in pointers:
                    pointers[slug].append(reason)
                else:
                    pointers[slug] = [reason]
                if is_specific:
                    specific.add(slug)
    for rule, matched in fired:
        for slug, weight in rule.evidence:
            if slug not in causes:
                continue
            totals[slug] = totals.get(slug, 0.0) + weight
            if weight > 0:
                from_rules.setdefault(slug, set()).update(matched)
                specific.add(slug)
    # Rounded before ranking: weights have one decimal, and float sums such as
    # 0.1 + 0.2 must tie with 0.3 rather than depend on the order of addition.
    scores = {slug: round(total, 2) for slug, total in totals.items()}
    listed = sorted(
        (slug for slug, score in scores.items() if score >= MIN_LISTED_SCORE and slug in specific),
        key=lambda slug: (-scores[slug], causes[slug].order, slug),
    )
    if not listed:
        return ()
    top = scores[listed[0]]
    ranked = []
    for slug in listed:
        cause, score = causes[slug], scores[slug]
        strong = score >= LIKELY_SCORE and score >= LIKELY_SHARE * top
        band = LIKELY if strong and not serious else POSSIBLE
        reasons = pointers.get(slug, [])
        if slug in from_rules:
            pairs = from_rules[slug] | {(r.question, r.value) for r in reasons}
            because = _reasons_for(pairs, chosen)
        else:
            because = tuple(reasons)
        ranked.append(RankedCause(slug, cause.name, score, band, because, cause.remedies))
    return tuple(ranked)
