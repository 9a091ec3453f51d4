"""Public knowledge-base pages: causes, FAQ and warning signs."""

from __future__ import annotations

from itertools import groupby
from typing import Any

from django.db.models import Prefetch, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe
from django.views.generic import DetailView, ListView

from .models import Category, Cause, Choice, Faq, Remedy, RemedyKind, TriageLevel


def _can_preview(request: HttpRequest) -> bool:
    return bool(request.user.is_authenticated and request.user.is_staff)


class CauseListView(ListView[Cause]):
    template_name = "legs/cause_list.html"
    context_object_name = "causes"
    http_method_names = ["get", "head", "options"]

    def get_queryset(self) -> QuerySet[Cause]:
        return Cause.objects.published().order_by("category", "order", "name")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        labels = dict(Category.choices)
        order = {value: n for n, value in enumerate(Category.values)}
        causes = sorted(context["causes"], key=lambda c: (order.get(c.category, 99), c.order))
        context["groups"] = [
            (labels.get(cat, cat), list(items))
            for cat, items in groupby(causes, lambda c: c.category)
        ]
        return context


class CauseDetailView(DetailView[Cause]):
    template_name = "legs/cause_detail.html"
    context_object_name = "cause"
    http_method_names = ["get", "head", "options"]

    def get_queryset(self) -> QuerySet[Cause]:
        queryset = Cause.objects.all() if _can_preview(self.request) else Cause.objects.published()
        return queryset.prefetch_related(
            "sources", Prefetch("faqs", Faq.objects.published().order_by("order"))
        )

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        kind_order = {value: n for n, value in enumerate(RemedyKind.values)}
        remedies = sorted(
            Remedy.objects.filter(cause=self.object),
            key=lambda r: (kind_order.get(r.kind, 99), r.order, r.pk),
        )
        labels = dict(RemedyKind.choices)
        context["remedy_groups"] = [
            (labels.get(kind, kind), list(items))
            for kind, items in groupby(remedies, lambda r: r.kind)
        ]
        return context


@require_safe
def faq(request: HttpRequest) -> HttpResponse:
    entries = (
        Faq.objects.all() if _can_preview(request) else Faq.objects.published()
    ).prefetch_related(Prefetch("causes", Cause.objects.published().order_by("order")))
    return render(request, "legs/faq.html", {"entries": entries})


@require_safe
def warning_signs(request: HttpRequest) -> HttpResponse:
    choices = (
        Choice.objects.exclude(triage="")
        .filter(question__active=True)
        .select_related("question")
        .order_by("question__step__order", "question__order", "order")
    )
    rank = {TriageLevel.EMERGENCY: 0, TriageLevel.URGENT: 1, TriageLevel.SOON: 2}
    labels = dict(TriageLevel.choices)
    ordered = sorted(choices, key=lambda c: rank.get(TriageLevel(c.triage), 9))
    groups = [
        (level, labels[level], list(items)) for level, items in groupby(ordered, lambda c: c.triage)
    ]
    return render(request, "legs/warning_signs.html", {"groups": groups})
