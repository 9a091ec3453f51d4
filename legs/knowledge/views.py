"""Public knowledge-base pages: causes, FAQ and warning signs.

Unpublished causes and FAQ entries are hidden from the public (a 404 for a cause page)
and shown to staff with a preview notice, so editors can check a page before publishing.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import partial
from itertools import groupby
from typing import Any

from django.db.models import Prefetch, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe
from django.views.generic import DetailView, ListView

from .models import (
    Category,
    Cause,
    Choice,
    Faq,
    KnowledgeRevision,
    Question,
    Remedy,
    RemedyKind,
)
from .triage import Triage


def can_preview(request: HttpRequest) -> bool:
    return bool(request.user.is_authenticated and request.user.is_staff)


class CauseListView(ListView[Cause]):
    template_name = "knowledge/cause_list.html"
    context_object_name = "causes"
    http_method_names = ["get", "head", "options"]

    def get_queryset(self) -> QuerySet[Cause]:
        return Cause.objects.published().only("slug", "name", "category", "summary", "order")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        # The cards are kept as a page fragment per revision of the knowledge base; the
        # template calls `groups` (and so reads the causes) only when drawing them anew.
        context["knowledge_revision"] = KnowledgeRevision.current()[1]
        context["groups"] = partial(group_by_category, context["causes"])
        return context


def group_by_category(causes: Iterable[Cause]) -> list[tuple[str, str, list[Cause]]]:
    """Causes by category, in the categories' order, then the editors' order."""
    labels = dict(Category.choices)
    rank = {value: n for n, value in enumerate(Category.values)}
    ordered = sorted(causes, key=lambda c: (rank.get(c.category, 99), c.order, c.name))
    return [
        (category, labels.get(category, category), list(items))
        for category, items in groupby(ordered, lambda c: c.category)
    ]


class CauseDetailView(DetailView[Cause]):
    template_name = "knowledge/cause_detail.html"
    context_object_name = "cause"
    http_method_names = ["get", "head", "options"]

    def get_queryset(self) -> QuerySet[Cause]:
        queryset = Cause.objects.all() if can_preview(self.request) else Cause.objects.published()
        return queryset.prefetch_related(
            "sources",
            Prefetch("remedies", Remedy.objects.order_by("order", "pk")),
            Prefetch("faqs", Faq.objects.published().order_by("order", "pk")),
        )

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        rank = {value: n for n, value in enumerate(RemedyKind.values)}
        labels = dict(RemedyKind.choices)
        # sorted() is stable: within a kind the editor's order is kept.
        remedies = sorted(self.object.remedies.all(), key=lambda r: rank.get(r.kind, 99))
        context["remedy_groups"] = [
            (labels.get(kind, kind), list(items))
            for kind, items in groupby(remedies, lambda r: r.kind)
        ]
        return context


@require_safe
def faq(request: HttpRequest) -> HttpResponse:
    entries = (
        (Faq.objects.all() if can_preview(request) else Faq.objects.published())
        .order_by("order", "pk")
        .prefetch_related(Prefetch("causes", Cause.objects.published().order_by("order", "name")))
    )
    return render(request, "knowledge/faq.html", {"entries": entries})


@dataclass
class QuestionSigns:
    question: Question
    choices: list[Choice] = field(default_factory=list)


@dataclass
class LevelSigns:
    level: str
    label: str
    advice: str
    questions: list[QuestionSigns] = field(default_factory=list)


def warning_sign_levels() -> list[LevelSigns]:
    """Every answer that triggers a warning, most serious level first, by question."""
    choices = (
        Choice.objects.exclude(triage="")
        .filter(question__active=True)
        .select_related("question")
        .order_by("question__step__order", "question__order", "question__pk", "order", "pk")
    )
    levels: dict[str, LevelSigns] = {
        level: LevelSigns(level, level.label, level.advice.action)
        for level in Triage.warning_levels()
    }
    for choice in choices:
        level = levels.get(choice.triage)
        if level is None:
            continue
        if not level.questions or level.questions[-1].question.pk != choice.question_id:
            level.questions.append(QuestionSigns(choice.question))
        level.questions[-1].choices.append(choice)
    return [level for level in levels.values() if level.questions]


@require_safe
def warning_signs(request: HttpRequest) -> HttpResponse:
    return render(request, "knowledge/warning_signs.html", {"levels": warning_sign_levels()})
