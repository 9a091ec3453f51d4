"""Knowledge base to and from JSON (seed files, staging → production moves).

The format is described in seed/FORMAT.md and its shape in seed/schema.json (JSON Schema).
Rows are matched on their stable identifiers (cause slug, step key, question key, choice
value, FAQ slug), never on database ids, so a file moves cleanly between sites.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
from collections.abc import Iterable
from decimal import Decimal
from pathlib import Path
from typing import Any, cast

from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models import ProtectedError, RestrictedError
from jsonschema import Draft202012Validator
from jsonschema import ValidationError as SchemaViolation
from jsonschema.exceptions import best_match

from .models import (
    Cause,
    Choice,
    Evidence,
    Faq,
    KnowledgeRevision,
    Question,
    QuestionKind,
    Remedy,
    Rule,
    RuleCondition,
    RuleEvidence,
    Source,
    Step,
)

FORMAT = 1
SEED_DIR = Path(__file__).resolve().parent / "seed"
SEED_FILES = ("causes.json", "questions.json", "rules.json", "faq.json")
# In writing order: rules name questions, evidence and FAQ entries name causes.
SECTIONS = ("causes", "steps", "rules", "faqs")
SCHEMA_FILE = SEED_DIR / "schema.json"

# The identifier shown beside an item's position in messages, by the list it is in.
ID_KEYS = {
    "causes": "slug",
    "steps": "key",
    "questions": "key",
    "choices": "value",
    "rules": "slug",
    "faqs": "slug",
}
TYPE_NAMES = {
    "object": "a JSON object",
    "array": "a list",
    "string": "text",
    "integer": "a whole number",
    "number": "a number",
    "boolean": "true or false",
    "null": "null",
}


class KnowledgeFileError(ValueError):
    """A knowledge file that cannot be imported; the message names the place."""


@functools.cache
def schema_validator() -> Draft202012Validator:
    """The JSON Schema of a knowledge file (seed/schema.json), read once."""
    schema = json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))
    return Draft202012Validator(schema)


def _num(value: Decimal) -> float | int:
    return int(value) if value == value.to_integral_value() else float(value)


def export_knowledge() -> dict[str, Any]:
    """The whole knowledge base, published or not, in a stable order (diff-friendly)."""
    causes = Cause.objects.prefetch_related("sources", "remedies").order_by("order", "slug")
    steps = Step.objects.prefetch_related(
        models.Prefetch("questions", Question.objects.order_by("order", "pk")),
        models.Prefetch(
            "questions__choices",
            Choice.objects.order_by("order", "pk").prefetch_related(
                models.Prefetch(
                    "evidence", Evidence.objects.select_related("cause").order_by("cause__slug")
                )
            ),
        ),
    ).order_by("order", "pk")
    faqs = Faq.objects.prefetch_related("causes").order_by("order", "pk")
    rules = Rule.objects.prefetch_related(
        models.Prefetch(
            "conditions",
            RuleCondition.objects.select_related("question").order_by("group", "pk"),
        ),
        models.Prefetch(
            "evidence", RuleEvidence.objects.select_related("cause").order_by("cause__slug")
        ),
    ).order_by("order", "slug")
    return {
        "format": FORMAT,
        "causes": [
            {
                "slug": c.slug,
                "name": c.name,
                "category": c.category,
                "summary": c.summary,
                "body": c.body,
                "see_doctor": c.see_doctor,
                "order": c.order,
                "published": c.published,
                "reviewed_by": c.reviewed_by,
                "reviewed_on": c.reviewed_on.isoformat() if c.reviewed_on else None,
                "sources": [{"title": s.title, "url": s.url} for s in c.sources.all()],
                "remedies": [
                    {"title": r.title, "summary": r.summary, "body": r.body, "kind": r.kind}
                    for r in c.remedies.all()
                ],
            }
            for c in causes
        ],
        "steps": [
            {
                "key": s.key,
                "title": s.title,
                "intro": s.intro,
                "order": s.order,
                "questions": [
                    {
                        "key": q.key,
                        "text": q.text,
                        "help_text": q.help_text,
                        "kind": q.kind,
                        "required": q.required,
                        "active": q.active,
                        "order": q.order,
                        "choices": [
                            {
                                "value": ch.value,
                                "label": ch.label,
                                "because": ch.because,
                                "triage": ch.triage,
                                "triage_message": ch.triage_message,
                                "evidence": [_evidence(e) for e in ch.evidence.all()],
                            }
                            for ch in q.choices.all()
                        ],
                    }
                    for q in s.questions.all()
                ],
            }
            for s in steps
        ],
        "rules": [
            {
                "slug": r.slug,
                "name": r.name,
                "level": r.level,
                "message": r.message,
                "serious": r.serious,
                "order": r.order,
                "active": r.active,
                "note": r.note,
                "conditions": _export_conditions(r.conditions.all()),
                "evidence": [
                    {"cause": e.cause.slug, "weight": _num(e.weight)} for e in r.evidence.all()
                ],
            }
            for r in rules
        ],
        "faqs": [
            {
                "slug": f.slug,
                "question": f.question,
                "answer": f.answer,
                "order": f.order,
                "published": f.published,
                "causes": sorted(c.slug for c in f.causes.all()),
            }
            for f in faqs
        ],
    }


def _evidence(evidence: Evidence) -> dict[str, Any]:
    item: dict[str, Any] = {"cause": evidence.cause.slug, "weight": _num(evidence.weight)}
    if not evidence.specific:
        item["specific"] = False
    return item


def _condition(condition: RuleCondition) -> dict[str, Any]:
    item: dict[str, Any] = {"question": condition.question.key, "values": condition.values}
    if condition.at_least != 1:
        item["at_least"] = condition.at_least
    return item


def _export_conditions(conditions: Iterable[RuleCondition]) -> list[dict[str, Any]]:
    """One item per group: a plain condition, or {"any": [...]} for alternatives."""
    groups: dict[int, list[dict[str, Any]]] = {}
    for condition in conditions:
        groups.setdefault(condition.group, []).append(_condition(condition))
    return [items[0] if len(items) == 1 else {"any": items} for _, items in sorted(groups.items())]


def rule_conditions(item: dict[str, Any]) -> list[tuple[int, dict[str, Any], str]]:
    """A file rule's conditions as (group number, condition, place in the item)."""
    found: list[tuple[int, dict[str, Any], str]] = []
    for g, entry in enumerate(item.get("conditions", []), start=1):
        if "any" in entry:
            found.extend(
                (g, c, f"conditions[{g - 1}].any[{k}]") for k, c in enumerate(entry["any"])
            )
        else:
            found.append((g, entry, f"conditions[{g - 1}]"))
    return found


def _place(path: str, item: dict[str, Any], id_key: str) -> str:
    """`steps[0] (safety)`: the position in the file and, when present, the identifier."""
    ident = item.get(id_key)
    return f"{path} ({ident})" if isinstance(ident, str) and ident else path


def _schema_place(doc: object, path: Iterable[str | int]) -> str:
    """A schema error's path written the way the other messages write it:
    `steps[1] (symptoms).questions[0] (legs).choices[2] (one).evidence[0].weight`."""
    where, node, section = "", doc, ""
    for part in path:
        node = node[part]  # type: ignore[index]
        if isinstance(part, str):
            section = part
            where = f"{where}.{part}" if where else part
        elif isinstance(node, dict):
            where = _place(f"{where}[{part}]", node, ID_KEYS.get(section, ""))
        else:
            where = f"{where}[{part}]"
    return where


def _schema_problem(doc: object, error: SchemaViolation, n: int) -> str:
    where = _schema_place(doc, error.absolute_path) or f"document {n}"
    match error.validator:
        case "const" if list(error.absolute_path) == ["format"]:
            return (
                f"document {n}: unsupported format {error.instance!r} "
                f"(this site reads format {FORMAT})"
            )
        case "additionalProperties":
            unknown = sorted(set(error.instance) - set(error.schema.get("properties", {})))
            return f"{where}: unexpected key {unknown[0]!r}"
        case "required":
            missing = next(key for key in error.validator_value if key not in error.instance)
            return f"{where}: missing {missing!r}"
        case "type":
            expected = error.validator_value
            names = [expected] if isinstance(expected, str) else expected
            return f"{where}: expected {' or '.join(TYPE_NAMES.get(t, t) for t in names)}"
        case "minLength" | "minItems":
            return f"{where}: must not be empty"
        case "minimum":
            return f"{where}: must be at least {error.validator_value}"
        case _:
            return f"{where}: {error.message}"


def _check_unique(seen: dict[str, str], ident: str, where: str, what: str) -> None:
    if ident in seen:
        raise KnowledgeFileError(f"{where}: {what} {ident!r} already appears at {seen[ident]}")
    seen[ident] = where


def check_structure(docs: list[object]) -> list[dict[str, Any]]:
    """Shape checks over every document before anything is written.

    The schema refuses unknown keys rather than ignoring them, so a typo in a hand-edited
    file ("sumary") is reported instead of silently dropping the text. What a schema cannot
    say (identifiers unique across documents and lists) is checked here afterwards.
    """
    for n, doc in enumerate(docs, start=1):
        error = best_match(schema_validator().iter_errors(doc))
        if error is not None:
            raise KnowledgeFileError(_schema_problem(doc, error, n))
    checked = cast(list[dict[str, Any]], docs)
    causes: dict[str, str] = {}
    steps: dict[str, str] = {}
    questions: dict[str, str] = {}
    faqs: dict[str, str] = {}
    rules: dict[str, str] = {}
    for doc in checked:
        for i, cause in enumerate(doc.get("causes", [])):
            where = _place(f"causes[{i}]", cause, "slug")
            _check_unique(causes, cause["slug"], where, "cause slug")
        for i, step in enumerate(doc.get("steps", [])):
            where = _place(f"steps[{i}]", step, "key")
            _check_unique(steps, step["key"], where, "step key")
            for j, question in enumerate(step.get("questions", [])):
                qwhere = _place(f"{where}.questions[{j}]", question, "key")
                _check_unique(questions, question["key"], qwhere, "question key")
                values: dict[str, str] = {}
                for k, choice in enumerate(question.get("choices", [])):
                    cwhere = _place(f"{qwhere}.choices[{k}]", choice, "value")
                    _check_unique(values, choice["value"], cwhere, "choice value")
                    slugs: dict[str, str] = {}
                    for m, evidence in enumerate(choice.get("evidence", [])):
                        ewhere = f"{cwhere}.evidence[{m}]"
                        _check_unique(slugs, evidence["cause"], ewhere, "evidence for cause")
        for i, faq in enumerate(doc.get("faqs", [])):
            where = _place(f"faqs[{i}]", faq, "slug")
            _check_unique(faqs, faq["slug"], where, "FAQ slug")
        for i, rule in enumerate(doc.get("rules", [])):
            where = _place(f"rules[{i}]", rule, "slug")
            _check_unique(rules, rule["slug"], where, "rule slug")
            slugs = {}
            for m, evidence in enumerate(rule.get("evidence", [])):
                _check_unique(
                    slugs, evidence["cause"], f"{where}.evidence[{m}]", "evidence for cause"
                )
    return checked


def _weight(raw: float, where: str) -> Decimal:
    # The schema has made it a JSON number; Python's json still reads NaN and Infinity.
    weight = Decimal(str(raw))
    if not weight.is_finite():
        raise KnowledgeFileError(f"{where}: weight must be a number from -10 to 10")
    return weight


def _date(raw: object, where: str) -> dt.date | None:
    if raw is None or raw == "":
        return None
    try:
        if isinstance(raw, str):
            return dt.date.fromisoformat(raw)
    except ValueError:
        pass
    raise KnowledgeFileError(f"{where}: reviewed_on must be a date like 2026-01-31")


# One function per row type turns a checked item into an unsaved model instance; the
# validation pass and the writer both use them, so they can never disagree.
CAUSE_FIELDS = (
    "name", "category", "summary", "body", "see_doctor", "order", "published",
    "reviewed_by", "reviewed_on",
)  # fmt: skip
STEP_FIELDS = ("title", "intro", "order")
QUESTION_FIELDS = ("text", "help_text", "kind", "required", "active", "order")
CHOICE_FIELDS = ("label", "because", "triage", "triage_message", "order")
FAQ_FIELDS = ("question", "answer", "order", "published")
RULE_FIELDS = ("name", "level", "message", "serious", "order", "active", "note")


def _cause(item: dict[str, Any], i: int, where: str) -> Cause:
    return Cause(
        slug=item["slug"],
        name=item["name"],
        category=item["category"],
        summary=item["summary"],
        body=item.get("body", ""),
        see_doctor=item.get("see_doctor", ""),
        order=item.get("order", (i + 1) * 10),
        published=item.get("published", True),
        reviewed_by=item.get("reviewed_by") or "",
        reviewed_on=_date(item.get("reviewed_on"), where),
    )


def _source(item: dict[str, Any], j: int) -> Source:
    return Source(title=item["title"], url=item["url"], order=j)


def _remedy(item: dict[str, Any], j: int) -> Remedy:
    return Remedy(
        title=item["title"],
        summary=item.get("summary", ""),
        body=item.get("body", ""),
        kind=item["kind"],
        order=j,
    )


def _step(item: dict[str, Any], i: int) -> Step:
    return Step(
        key=item["key"],
        title=item["title"],
        intro=item.get("intro", ""),
        order=item.get("order", i + 1),
    )


def _question(item: dict[str, Any], j: int) -> Question:
    return Question(
        key=item["key"],
        text=item["text"],
        help_text=item.get("help_text", ""),
        kind=item.get("kind", "single"),
        required=item.get("required", False),
        active=item.get("active", True),
        order=item.get("order", j + 1),
    )


def _choice(item: dict[str, Any], k: int) -> Choice:
    return Choice(
        value=item["value"],
        label=item["label"],
        because=item.get("because", ""),
        triage=item.get("triage") or "",
        triage_message=item.get("triage_message") or "",
        order=k,
    )


def _rule(item: dict[str, Any], i: int) -> Rule:
    return Rule(
        slug=item["slug"],
        name=item["name"],
        level=item.get("level") or "",
        message=item.get("message") or "",
        serious=item.get("serious", False),
        order=item.get("order", (i + 1) * 10),
        active=item.get("active", True),
        note=item.get("note", ""),
    )


def _faq(item: dict[str, Any], i: int) -> Faq:
    return Faq(
        slug=item["slug"],
        question=item["question"],
        answer=item["answer"],
        order=item.get("order", i + 1),
        published=item.get("published", True),
    )


def _problem(where: str, problem: ValidationError) -> KnowledgeFileError:
    if hasattr(problem, "error_dict"):
        text = "; ".join(
            f"{name}: {' '.join(str(m) for m in msgs)}"
            for name, msgs in problem.message_dict.items()
        )
    else:
        text = " ".join(problem.messages)
    return KnowledgeFileError(f"{where}: {text}")


def _valid(obj: models.Model, where: str, parent: str = "") -> None:
    """Field and model checks that need no other row (the parent is not set yet)."""
    try:
        obj.full_clean(
            exclude=[parent] if parent else None, validate_unique=False, validate_constraints=False
        )
    except ValidationError as exc:
        raise _problem(where, exc) from exc


def validate_rows(docs: list[dict[str, Any]], *, replace: bool, update: bool = False) -> None:
    """Every row of every document is checked, including the rows an import without
    --update would leave alone: a bad file is refused whatever the mode."""
    file_causes = {c["slug"] for doc in docs for c in doc.get("causes", [])}
    known = (
        file_causes if replace else file_causes | set(Cause.objects.values_list("slug", flat=True))
    )
    for doc in docs:
        for i, item in enumerate(doc.get("causes", [])):
            where = _place(f"causes[{i}]", item, "slug")
            _valid(_cause(item, i, where), where)
            for j, src in enumerate(item.get("sources", [])):
                _valid(_source(src, j), f"{where}.sources[{j}]", "cause")
            for j, rem in enumerate(item.get("remedies", [])):
                _valid(_remedy(rem, j), f"{where}.remedies[{j}]", "cause")
        for i, item in enumerate(doc.get("steps", [])):
            where = _place(f"steps[{i}]", item, "key")
            _valid(_step(item, i), where)
            for j, qitem in enumerate(item.get("questions", [])):
                qwhere = _place(f"{where}.questions[{j}]", qitem, "key")
                _valid(_question(qitem, j), qwhere, "step")
                for k, citem in enumerate(qitem.get("choices", [])):
                    cwhere = _place(f"{qwhere}.choices[{k}]", citem, "value")
                    _valid(_choice(citem, k), cwhere, "question")
                    for m, eitem in enumerate(citem.get("evidence", [])):
                        ewhere = f"{cwhere}.evidence[{m}]"
                        if eitem["cause"] not in known:
                            raise KnowledgeFileError(f"{ewhere}: unknown cause {eitem['cause']!r}")
                        _valid_weight(Evidence, eitem["weight"], ewhere)
        for i, item in enumerate(doc.get("faqs", [])):
            where = _place(f"faqs[{i}]", item, "slug")
            _valid(_faq(item, i), where)
            unknown = [s for s in item.get("causes", []) if s not in known]
            if unknown:
                raise KnowledgeFileError(f"{where}.causes: unknown cause {unknown[0]!r}")
    if any(doc.get("rules") for doc in docs):
        _validate_rules(docs, known, _questions_after_import(docs, replace=replace, update=update))


def _valid_weight(model: type[Evidence | RuleEvidence], raw: float, where: str) -> None:
    evidence = model(weight=_weight(raw, where))
    try:
        evidence.clean_fields(exclude=[f.name for f in model._meta.fields if f.name != "weight"])
    except ValidationError as exc:
        raise _problem(where, exc) from exc


def _questions_after_import(
    docs: list[dict[str, Any]], *, replace: bool, update: bool
) -> dict[str, tuple[str, set[str]]]:
    """Each question's kind and answer values as they will be once the files are written:
    the file's version where it is written, the database's where it is kept."""
    questions: dict[str, tuple[str, set[str]]] = {}
    if not replace:
        values: dict[str, set[str]] = {}
        for key, value in Choice.objects.values_list("question__key", "value"):
            values.setdefault(key, set()).add(value)
        for key, kind in Question.objects.values_list("key", "kind"):
            questions[key] = (kind, values.get(key, set()))
    for doc in docs:
        for step in doc.get("steps", []):
            for item in step.get("questions", []):
                if replace or update or item["key"] not in questions:
                    file_values = {c["value"] for c in item.get("choices", [])}
                    questions[item["key"]] = (item.get("kind", "single"), file_values)
    return questions


def _validate_rules(
    docs: list[dict[str, Any]], causes: set[str], questions: dict[str, tuple[str, set[str]]]
) -> None:
    """The same checks as the rule's admin page: level and message, known questions and
    answers, `at_least` only where it can be met."""
    for doc in docs:
        for i, item in enumerate(doc.get("rules", [])):
            where = _place(f"rules[{i}]", item, "slug")
            _valid(_rule(item, i), where)
            if not item.get("conditions"):
                raise KnowledgeFileError(f"{where}.conditions: a rule needs at least one condition")
            for _, condition, place in rule_conditions(item):
                cwhere = f"{where}.{place}"
                key = condition["question"]
                if key not in questions:
                    raise KnowledgeFileError(f"{cwhere}: unknown question {key!r}")
                kind, values = questions[key]
                unknown = [v for v in condition["values"] if v not in values]
                if unknown:
                    raise KnowledgeFileError(
                        f"{cwhere}: {unknown[0]!r} is not an answer to the question {key!r}"
                    )
                at_least = condition.get("at_least", 1)
                if at_least > 1 and kind != QuestionKind.MULTI:
                    raise KnowledgeFileError(
                        f"{cwhere}: at_least above 1 needs a pick-all question; {key!r} is pick-one"
                    )
                if at_least > len(set(condition["values"])):
                    raise KnowledgeFileError(
                        f"{cwhere}: at_least is {at_least} but only "
                        f"{len(set(condition['values']))} values are listed"
                    )
            for m, eitem in enumerate(item.get("evidence", [])):
                ewhere = f"{where}.evidence[{m}]"
                if eitem["cause"] not in causes:
                    raise KnowledgeFileError(f"{ewhere}: unknown cause {eitem['cause']!r}")
                _valid_weight(RuleEvidence, eitem["weight"], ewhere)


class _Writer:
    """Writes validated documents. Existing rows are kept as the editors left them unless
    `update` is set; their child rows (remedies, sources, choices, evidence) then follow
    the file exactly."""

    def __init__(self, *, update: bool) -> None:
        self.update = update
        self.created = 0
        self.updated = 0
        self.skipped = 0

    @staticmethod
    def _save(obj: models.Model) -> None:
        # Every row was checked by validate_rows (built by the same functions) and the
        # file's identifiers for duplicates; the parents were just saved. A conflict that
        # still slips through ends as an IntegrityError, reported by import_knowledge.
        obj.save()

    def _upsert[M: models.Model](
        self, new: M, lookup: str, fields: tuple[str, ...], where: str, **parents: Any
    ) -> tuple[M, bool]:
        """The stored row, and whether it (and so its children) was written."""
        model = type(new)
        obj = model._default_manager.filter(**{lookup: getattr(new, lookup)}).first()
        if obj is not None and not self.update:
            self.skipped += 1
            return obj, False
        if obj is None:
            obj = new
            self.created += 1
        else:
            for name in fields:
                setattr(obj, name, getattr(new, name))
            self.updated += 1
        for name, parent in parents.items():
            setattr(obj, name, parent)
        self._save(obj)
        return obj, True

    def causes(self, doc: dict[str, Any]) -> None:
        for i, item in enumerate(doc.get("causes", [])):
            where = _place(f"causes[{i}]", item, "slug")
            cause, written = self._upsert(_cause(item, i, where), "slug", CAUSE_FIELDS, where)
            if not written:
                continue
            Source.objects.filter(cause=cause).delete()
            for j, src in enumerate(item.get("sources", [])):
                source = _source(src, j)
                source.cause = cause
                self._save(source)
            Remedy.objects.filter(cause=cause).delete()
            for j, rem in enumerate(item.get("remedies", [])):
                remedy = _remedy(rem, j)
                remedy.cause = cause
                self._save(remedy)

    def steps(self, doc: dict[str, Any]) -> None:
        cause_ids = dict(Cause.objects.values_list("slug", "pk"))
        for i, item in enumerate(doc.get("steps", [])):
            where = _place(f"steps[{i}]", item, "key")
            step, _ = self._upsert(_step(item, i), "key", STEP_FIELDS, where)
            for j, qitem in enumerate(item.get("questions", [])):
                qwhere = _place(f"{where}.questions[{j}]", qitem, "key")
                question, written = self._upsert(
                    _question(qitem, j), "key", QUESTION_FIELDS, qwhere, step=step
                )
                if written:
                    self._choices(question, qitem, qwhere, cause_ids)

    def _choices(
        self, question: Question, item: dict[str, Any], where: str, cause_ids: dict[str, int]
    ) -> None:
        existing = {c.value: c for c in Choice.objects.filter(question=question)}
        Evidence.objects.filter(choice__question=question).delete()
        evidence: list[Evidence] = []
        keep: list[int] = []
        for k, citem in enumerate(item.get("choices", [])):
            cwhere = _place(f"{where}.choices[{k}]", citem, "value")
            new = _choice(citem, k)
            choice = existing.get(new.value, new)
            for name in CHOICE_FIELDS:
                setattr(choice, name, getattr(new, name))
            choice.question = question
            self._save(choice)
            keep.append(choice.pk)
            evidence.extend(
                Evidence(
                    choice=choice,
                    cause_id=cause_ids[eitem["cause"]],
                    weight=_weight(eitem["weight"], f"{cwhere}.evidence[{m}]"),
                    specific=eitem.get("specific", True),
                )
                for m, eitem in enumerate(citem.get("evidence", []))
            )
        # One INSERT per question; bulk_create skips save(), so the import bumps the
        # knowledge revision itself at the end.
        Evidence.objects.bulk_create(evidence)
        Choice.objects.filter(question=question).exclude(pk__in=keep).delete()

    def rules(self, doc: dict[str, Any]) -> None:
        cause_ids = dict(Cause.objects.values_list("slug", "pk"))
        question_ids = dict(Question.objects.values_list("key", "pk"))
        for i, item in enumerate(doc.get("rules", [])):
            where = _place(f"rules[{i}]", item, "slug")
            rule, written = self._upsert(_rule(item, i), "slug", RULE_FIELDS, where)
            if not written:
                continue
            RuleCondition.objects.filter(rule=rule).delete()
            RuleEvidence.objects.filter(rule=rule).delete()
            # bulk_create skips save(): the import bumps the knowledge revision at the end.
            RuleCondition.objects.bulk_create(
                RuleCondition(
                    rule=rule,
                    group=group,
                    question_id=question_ids[condition["question"]],
                    values=condition["values"],
                    at_least=condition.get("at_least", 1),
                )
                for group, condition, _ in rule_conditions(item)
            )
            RuleEvidence.objects.bulk_create(
                RuleEvidence(
                    rule=rule,
                    cause_id=cause_ids[eitem["cause"]],
                    weight=_weight(eitem["weight"], f"{where}.evidence[{m}]"),
                )
                for m, eitem in enumerate(item.get("evidence", []))
            )

    def faqs(self, doc: dict[str, Any]) -> None:
        cause_ids = dict(Cause.objects.values_list("slug", "pk"))
        for i, item in enumerate(doc.get("faqs", [])):
            where = _place(f"faqs[{i}]", item, "slug")
            faq, written = self._upsert(_faq(item, i), "slug", FAQ_FIELDS, where)
            if written:
                faq.causes.set([cause_ids[s] for s in item.get("causes", [])])


def wipe_knowledge() -> None:
    """Delete every knowledge row (remedies, sources and evidence go with their parents)."""
    Faq.objects.all().delete()
    # Rules first: their conditions keep the questions they name from being deleted.
    Rule.objects.all().delete()
    Evidence.objects.all().delete()
    Choice.objects.all().delete()
    Question.objects.all().delete()
    Step.objects.all().delete()
    Cause.objects.all().delete()


def import_knowledge(
    documents: Iterable[object], *, update: bool = False, replace: bool = False
) -> dict[str, int]:
    """Load knowledge documents in one transaction: all or nothing.

    Default: add what is missing, keep existing rows as editors left them.
    `update`: overwrite rows that match. `replace`: empty the knowledge base first.
    """
    docs = check_structure(list(documents))
    validate_rows(docs, replace=replace, update=update)
    writer = _Writer(update=update or replace)
    try:
        with transaction.atomic(), KnowledgeRevision.batch():
            if replace:
                wipe_knowledge()
            # Causes first: evidence and FAQ entries refer to them.
            for section in SECTIONS:
                for doc in docs:
                    if section in doc:
                        getattr(writer, section)(doc)
            if writer.created or writer.updated:
                KnowledgeRevision.bump()
    except (ProtectedError, RestrictedError) as exc:
        raise KnowledgeFileError(
            f"the knowledge base cannot be replaced while other records use it: {exc.args[0]}"
        ) from exc
    except IntegrityError as exc:
        raise KnowledgeFileError(f"the file conflicts with the database: {exc}") from exc
    return {"created": writer.created, "updated": writer.updated, "skipped": writer.skipped}


def seed_documents() -> list[object]:
    return [json.loads((SEED_DIR / name).read_text(encoding="utf-8")) for name in SEED_FILES]
