"""Knowledge base to and from JSON (seed files, staging → production moves)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models, transaction

from .models import Cause, Choice, Evidence, Faq, Question, Remedy, Source, Step

FORMAT = 1
SEED_DIR = Path(__file__).resolve().parent / "seed"
SEED_FILES = ("causes.json", "questions.json", "faq.json")


class KnowledgeFileError(ValueError):
    """A knowledge file that cannot be imported; the message names the place."""


def _num(value: Decimal) -> float | int:
    return int(value) if value == value.to_integral_value() else float(value)


def export_knowledge() -> dict[str, Any]:
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
                                "evidence": [
                                    {"cause": e.cause.slug, "weight": _num(e.weight)}
                                    for e in ch.evidence.all()
                                ],
                            }
                            for ch in q.choices.all()
                        ],
                    }
                    for q in s.questions.all()
                ],
            }
            for s in steps
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


class _Importer:
    """Writes one knowledge file. Existing rows are kept as the editors left them unless
    `update` is set; `replace` empties the knowledge base first."""

    def __init__(self, *, update: bool) -> None:
        self.update = update
        self.created = 0
        self.updated = 0
        self.skipped = 0

    # -- helpers -------------------------------------------------------------
    @staticmethod
    def _fail(where: str, problem: object) -> KnowledgeFileError:
        if isinstance(problem, ValidationError):
            if hasattr(problem, "error_dict"):
                problem = "; ".join(
                    f"{field}: {' '.join(str(m) for m in msgs)}"
                    for field, msgs in problem.message_dict.items()
                )
            else:
                problem = " ".join(problem.messages)
        return KnowledgeFileError(f"{where}: {problem}")

    @staticmethod
    def _items(data: dict[str, Any], key: str, where: str) -> list[dict[str, Any]]:
        items = data.get(key, [])
        if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
            raise KnowledgeFileError(f"{where}{key}: expected a list of objects")
        return items

    def _save(self, obj: models.Model, where: str, exclude: Iterable[str] = ()) -> None:
        try:
            obj.full_clean(exclude=list(exclude), validate_unique=False)
        except ValidationError as exc:
            raise self._fail(where, exc) from exc
        obj.save()

    def _upsert(
        self,
        model: type[models.Model],
        lookup: dict[str, Any],
        fields: dict[str, Any],
        where: str,
        exclude: Iterable[str] = (),
    ) -> tuple[Any, bool]:
        """Returns the row and whether its children should be (re)written."""
        obj = model._default_manager.filter(**lookup).first()
        if obj is not None and not self.update:
            self.skipped += 1
            return obj, False
        is_new = obj is None
        if obj is None:
            obj = model(**lookup)
        for name, value in fields.items():
            setattr(obj, name, value)
        self._save(obj, where, exclude)
        if is_new:
            self.created += 1
        else:
            self.updated += 1
        return obj, True

    @staticmethod
    def _get(item: dict[str, Any], key: str, where: str, default: Any = ...) -> Any:
        if key not in item:
            if default is ...:
                raise KnowledgeFileError(f"{where}: missing {key!r}")
            return default
        return item[key]

    # -- sections ------------------------------------------------------------
    def causes(self, data: dict[str, Any]) -> None:
        for i, item in enumerate(self._items(data, "causes", "")):
            where = f"causes[{i}]"
            reviewed_on = self._get(item, "reviewed_on", where, None)
            try:
                reviewed = dt.date.fromisoformat(reviewed_on) if reviewed_on else None
            except (TypeError, ValueError) as exc:
                raise self._fail(where, "reviewed_on must be a date like 2026-01-31") from exc
            cause, write_children = self._upsert(
                Cause,
                {"slug": self._get(item, "slug", where)},
                {
                    "name": self._get(item, "name", where),
                    "category": self._get(item, "category", where),
                    "summary": self._get(item, "summary", where),
                    "body": self._get(item, "body", where, ""),
                    "see_doctor": self._get(item, "see_doctor", where, ""),
                    "order": self._get(item, "order", where, (i + 1) * 10),
                    "published": self._get(item, "published", where, True),
                    "reviewed_by": self._get(item, "reviewed_by", where, "") or "",
                    "reviewed_on": reviewed,
                },
                where,
            )
            if not write_children:
                continue
            cause.sources.all().delete()
            for j, src in enumerate(self._items(item, "sources", f"{where}.")):
                self._save(
                    Source(
                        cause=cause,
                        title=self._get(src, "title", f"{where}.sources[{j}]"),
                        url=self._get(src, "url", f"{where}.sources[{j}]"),
                        order=j,
                    ),
                    f"{where}.sources[{j}]",
                )
            cause.remedies.all().delete()
            for j, rem in enumerate(self._items(item, "remedies", f"{where}.")):
                w = f"{where}.remedies[{j}]"
                self._save(
                    Remedy(
                        cause=cause,
                        title=self._get(rem, "title", w),
                        summary=self._get(rem, "summary", w, ""),
                        body=self._get(rem, "body", w, ""),
                        kind=self._get(rem, "kind", w),
                        order=j,
                    ),
                    w,
                )

    def steps(self, data: dict[str, Any]) -> None:
        causes = dict(Cause.objects.values_list("slug", "pk"))
        for i, item in enumerate(self._items(data, "steps", "")):
            where = f"steps[{i}]"
            step, _ = self._upsert(
                Step,
                {"key": self._get(item, "key", where)},
                {
                    "title": self._get(item, "title", where),
                    "intro": self._get(item, "intro", where, ""),
                    "order": self._get(item, "order", where, i + 1),
                },
                where,
            )
            for j, qitem in enumerate(self._items(item, "questions", f"{where}.")):
                self._question(step, qitem, j, f"{where}.questions[{j}]", causes)

    def _question(
        self, step: Step, item: dict[str, Any], j: int, where: str, causes: dict[str, int]
    ) -> None:
        question, write_children = self._upsert(
            Question,
            {"key": self._get(item, "key", where)},
            {
                "step": step,
                "text": self._get(item, "text", where),
                "help_text": self._get(item, "help_text", where, ""),
                "kind": self._get(item, "kind", where, "single"),
                "required": self._get(item, "required", where, False),
                "active": self._get(item, "active", where, True),
                "order": self._get(item, "order", where, j + 1),
            },
            where,
        )
        if not write_children:
            return
        keep: list[int] = []
        for k, citem in enumerate(self._items(item, "choices", f"{where}.")):
            w = f"{where}.choices[{k}]"
            choice = Choice.objects.filter(
                question=question, value=self._get(citem, "value", w)
            ).first()
            choice = choice or Choice(question=question, value=citem["value"])
            choice.label = self._get(citem, "label", w)
            choice.because = self._get(citem, "because", w, "")
            choice.triage = self._get(citem, "triage", w, "") or ""
            choice.triage_message = self._get(citem, "triage_message", w, "") or ""
            choice.order = k
            self._save(choice, w)
            keep.append(choice.pk)
            choice.evidence.all().delete()
            for m, eitem in enumerate(self._items(citem, "evidence", f"{w}.")):
                ew = f"{w}.evidence[{m}]"
                slug = self._get(eitem, "cause", ew)
                if slug not in causes:
                    raise KnowledgeFileError(f"{ew}: unknown cause {slug!r}")
                try:
                    weight = Decimal(str(self._get(eitem, "weight", ew)))
                except InvalidOperation as exc:
                    raise KnowledgeFileError(f"{ew}: weight must be a number") from exc
                self._save(Evidence(choice=choice, cause_id=causes[slug], weight=weight), ew)
        question.choices.exclude(pk__in=keep).delete()

    def faqs(self, data: dict[str, Any]) -> None:
        causes = dict(Cause.objects.values_list("slug", "pk"))
        for i, item in enumerate(self._items(data, "faqs", "")):
            where = f"faqs[{i}]"
            faq, write_children = self._upsert(
                Faq,
                {"slug": self._get(item, "slug", where)},
                {
                    "question": self._get(item, "question", where),
                    "answer": self._get(item, "answer", where),
                    "order": self._get(item, "order", where, i + 1),
                    "published": self._get(item, "published", where, True),
                },
                where,
            )
            if write_children:
                slugs = self._get(item, "causes", where, [])
                unknown = [s for s in slugs if s not in causes]
                if unknown:
                    raise KnowledgeFileError(f"{where}.causes: unknown cause {unknown[0]!r}")
                faq.causes.set([causes[s] for s in slugs])


def wipe_knowledge() -> None:
    Faq.objects.all().delete()
    Evidence.objects.all().delete()
    Choice.objects.all().delete()
    Question.objects.all().delete()
    Step.objects.all().delete()
    Cause.objects.all().delete()


@transaction.atomic
def import_knowledge(
    documents: Iterable[object], *, update: bool = False, replace: bool = False
) -> dict[str, int]:
    """Load knowledge documents in one transaction: all or nothing."""
    docs = list(documents)
    for n, doc in enumerate(docs):
        if not isinstance(doc, dict):
            raise KnowledgeFileError(f"document {n + 1}: expected a JSON object")
        if doc.get("format", FORMAT) != FORMAT:
            raise KnowledgeFileError(f"document {n + 1}: unsupported format {doc.get('format')!r}")
        extra = set(doc) - {"format", "causes", "steps", "faqs"}
        if extra:
            raise KnowledgeFileError(f"document {n + 1}: unexpected key {sorted(extra)[0]!r}")
    if replace:
        wipe_knowledge()
    importer = _Importer(update=update or replace)
    # Causes first: evidence and FAQ entries refer to them.
    for section in ("causes", "steps", "faqs"):
        for doc in docs:
            if section in doc:  # type: ignore[operator]
                getattr(importer, section)(doc)
    return {"created": importer.created, "updated": importer.updated, "skipped": importer.skipped}


def seed_documents() -> list[object]:
    import json

    return [json.loads((SEED_DIR / name).read_text(encoding="utf-8")) for name in SEED_FILES]
