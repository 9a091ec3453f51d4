"""Admin for the knowledge base: the pages editors work in, and the rules report.

Every save, delete and bulk action here starts a new knowledge revision (see
KnowledgeModel), so the assessment scores with the edited rules straight away.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.urls import URLPattern, path
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from .models import (
    Cause,
    Choice,
    Evidence,
    Faq,
    KnowledgeRevision,
    Question,
    Remedy,
    Source,
    Step,
)


def short_text() -> forms.Textarea:
    """A two-line box for one-sentence fields that can run past the admin's narrow input."""
    return forms.Textarea(attrs={"rows": 2, "cols": 60, "class": "vLargeTextField"})


MARKDOWN_HELP = (
    "Markdown: leave a blank line between paragraphs, start list lines with “- ”, "
    "write **bold** and [link text](https://…). Scripts and HTML are removed."
)


# FORMS: help text for editors, without touching the database schema --------------------


class CauseForm(forms.ModelForm[Cause]):
    class Meta:
        model = Cause
        fields = (
            "slug",
            "name",
            "category",
            "summary",
            "body",
            "see_doctor",
            "order",
            "published",
            "reviewed_by",
            "reviewed_on",
        )
        help_texts = {
            "name": "Short, plain name shown as the page title, e.g. “Low iron”.",
            "category": "The group this cause is listed under on the causes page.",
            "summary": "One or two plain sentences (no Markdown), shown in lists, search "
            "results and assessment results.",
            "body": f"What it is, why legs feel heavy, how to recognise it. {MARKDOWN_HELP}",
            "see_doctor": f"When to see a doctor, in plain words. {MARKDOWN_HELP}",
            "order": "Position within its category; smaller numbers come first.",
            "published": "Unpublished causes are hidden from the public pages and the "
            "assessment. Staff can still preview the page.",
        }


class SourceForm(forms.ModelForm[Source]):
    class Meta:
        model = Source
        fields = ("cause", "title", "url", "order")
        help_texts = {
            "title": "Title of the article, guideline or study, as published.",
            "url": "Full web address, starting with https://",
            "order": "Smaller numbers come first.",
        }


class RemedyForm(forms.ModelForm[Remedy]):
    class Meta:
        model = Remedy
        fields = ("cause", "title", "kind", "order", "summary", "body")
        help_texts = {
            "kind": "When to do it. The cause page groups remedies by this: right now, "
            "next run, long term, then see a professional.",
            "body": f"The detail shown on the cause page. {MARKDOWN_HELP}",
            "order": "Position within the same kind; smaller numbers come first.",
        }


class StepForm(forms.ModelForm[Step]):
    class Meta:
        model = Step
        fields = ("key", "title", "intro", "order")
        help_texts = {"title": "Heading shown at the top of this page of the assessment."}


class QuestionForm(forms.ModelForm[Question]):
    class Meta:
        model = Question
        fields = ("step", "key", "text", "help_text", "kind", "required", "active", "order")
        help_texts = {
            "step": "The page of the assessment this question appears on.",
            "text": "The question as runners read it: plain words, one thing at a time.",
            "help_text": "Optional hint shown under the question.",
            "kind": "“Pick one” for a single answer; “Pick all that apply” for several. "
            "A pick-all question should have a “none” answer.",
            "order": "Position within the step; smaller numbers come first.",
        }
        widgets = {"text": short_text(), "help_text": short_text()}


class ChoiceForm(forms.ModelForm[Choice]):
    class Meta:
        model = Choice
        fields = ("question", "value", "label", "because", "order", "triage", "triage_message")
        help_texts = {
            "label": "The answer as runners read it.",
            "order": "Position in the list of answers; smaller numbers come first.",
        }
        widgets = {"label": short_text(), "because": short_text(), "triage_message": short_text()}


class EvidenceForm(forms.ModelForm[Evidence]):
    class Meta:
        model = Evidence
        fields = ("choice", "cause", "weight")
        help_texts = {
            "choice": "The answer that points to the cause. Type part of the question key "
            "or of the answer to search.",
            "cause": "The cause this answer points to (or away from, with a negative weight).",
        }


class FaqForm(forms.ModelForm[Faq]):
    class Meta:
        model = Faq
        fields = ("question", "slug", "answer", "order", "published", "causes")
        help_texts = {
            "slug": "The end of this answer's web address (…/faq/#slug). Other pages link to "
            "it: do not change it once published.",
            "question": "The question as a runner would ask it.",
            "answer": MARKDOWN_HELP,
            "order": "Position on the FAQ page; smaller numbers come first.",
            "published": "Unpublished answers are hidden from the public. Staff still see "
            "them on the FAQ page, marked as a preview.",
            "causes": "Causes this answer is about; their pages link back to it.",
        }


# SHARED PIECES ------------------------------------------------------------------------


def _set_published(
    modeladmin: admin.ModelAdmin[Any], request: HttpRequest, queryset: QuerySet[Any], value: bool
) -> None:
    """One UPDATE for the whole selection; it starts a new knowledge revision too."""
    extra: dict[str, Any] = {}
    if any(f.name == "updated_at" for f in queryset.model._meta.fields):
        extra["updated_at"] = timezone.now()
    count = queryset.update(published=value, **extra)
    opts = queryset.model._meta
    noun = opts.verbose_name if count == 1 else opts.verbose_name_plural
    verb = "published" if value else "unpublished (hidden from the public)"
    modeladmin.message_user(request, f"{count} {noun} {verb}.", messages.SUCCESS)


@admin.action(description="Publish the selected %(verbose_name_plural)s", permissions=["change"])
def publish(
    modeladmin: admin.ModelAdmin[Any], request: HttpRequest, queryset: QuerySet[Any]
) -> None:
    _set_published(modeladmin, request, queryset, True)


@admin.action(description="Unpublish the selected %(verbose_name_plural)s", permissions=["change"])
def unpublish(
    modeladmin: admin.ModelAdmin[Any], request: HttpRequest, queryset: QuerySet[Any]
) -> None:
    _set_published(modeladmin, request, queryset, False)


def count_of(rows: QuerySet[Any], parent: str) -> Coalesce:
    """Rows per parent as a subquery: unlike Count() over two joins, it never multiplies."""
    per_parent = (
        rows.filter(**{parent: OuterRef("pk")})
        .order_by()
        .values(parent)
        .annotate(total=Count("pk"))
        .values("total")
    )
    return Coalesce(Subquery(per_parent), 0)


def site_link(obj: Cause | Faq) -> str:
    return format_html('<a href="{}">View on site</a>', obj.get_absolute_url())


class WeightListFilter(admin.SimpleListFilter):
    title = "weight"
    parameter_name = "strength"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [
            ("strong", "Strong (6 or more)"),
            ("moderate", "Moderate (3 to 5.9)"),
            ("weak", "Weak (0 to 2.9)"),
            ("against", "Argues against (below 0)"),
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        ranges = {
            "strong": Q(weight__gte=6),
            "moderate": Q(weight__gte=3, weight__lt=6),
            "weak": Q(weight__gte=0, weight__lt=3),
            "against": Q(weight__lt=0),
        }
        value = self.value()
        return queryset.filter(ranges[value]) if value in ranges else queryset


class TriageListFilter(admin.SimpleListFilter):
    title = "triage level"
    parameter_name = "triage"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        levels = Choice._meta.get_field("triage").choices or []
        return [
            *((str(k), str(v)) for k, v in levels),
            ("any", "Any warning sign"),
            ("none", "Not a warning sign"),
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        value = self.value()
        if value == "any":
            return queryset.exclude(triage="")
        if value == "none":
            return queryset.filter(triage="")
        if value:
            return queryset.filter(triage=value)
        return queryset


# CAUSES --------------------------------------------------------------------------------


class RemedyInline(admin.StackedInline[Remedy, Cause]):
    model = Remedy
    form = RemedyForm
    extra = 0
    fields = (("title", "kind", "order"), "summary", "body")


class SourceInline(admin.TabularInline[Source, Cause]):
    model = Source
    form = SourceForm
    extra = 0
    fields = ("title", "url", "order")


class CauseEvidenceInline(admin.TabularInline[Evidence, Cause]):
    """Answers that point to this cause, strongest first."""

    model = Evidence
    form = EvidenceForm
    extra = 0
    fields = ("choice", "question_text", "weight")
    readonly_fields = ("question_text",)
    autocomplete_fields = ("choice",)
    verbose_name = "answer pointing to this cause"
    verbose_name_plural = "answers pointing to this cause (evidence)"

    def get_queryset(self, request: HttpRequest) -> QuerySet[Evidence]:
        return (
            super()
            .get_queryset(request)
            .select_related("choice__question", "cause")
            .order_by("-weight", "choice__question__key", "choice__value")
        )

    def formfield_for_foreignkey(
        self, db_field: Any, request: HttpRequest, **kwargs: Any
    ) -> forms.ModelChoiceField[Any] | None:
        if db_field.name == "choice":
            # The selected answer is shown as "question = value": fetch the question with it.
            kwargs["queryset"] = Choice.objects.select_related("question")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    @admin.display(description="question")
    def question_text(self, obj: Evidence) -> str:
        return obj.choice.question.text if obj.pk else "–"


@admin.register(Cause)
class CauseAdmin(admin.ModelAdmin[Cause]):
    form = CauseForm
    list_display = (
        "name",
        "category",
        "published",
        "order",
        "remedy_count",
        "pointing_answers",
        "reviewed_on",
        "on_site",
    )
    list_display_links = ("name",)
    list_filter = ("category", "published")
    search_fields = ("name", "slug", "summary")
    ordering = ("order", "name")
    prepopulated_fields = {"slug": ("name",)}
    actions = (publish, unpublish)
    inlines = (RemedyInline, SourceInline, CauseEvidenceInline)
    save_on_top = True
    readonly_fields = ("updated_at",)
    fieldsets = (
        (None, {"fields": ("name", "slug", "category", "summary", ("order", "published"))}),
        ("Page text", {"fields": ("body", "see_doctor")}),
        ("Review", {"fields": (("reviewed_by", "reviewed_on"), "updated_at")}),
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet[Cause]:
        return (
            super()
            .get_queryset(request)
            .annotate(
                remedy_total=count_of(Remedy.objects.all(), "cause"),
                pointing_total=count_of(Evidence.objects.filter(weight__gt=0), "cause"),
            )
        )

    def get_urls(self) -> list[URLPattern]:
        rules = path(
            "rules/",
            self.admin_site.admin_view(self.rules_view),
            name="knowledge_cause_rules",
        )
        return [rules, *super().get_urls()]

    @admin.display(description="remedies", ordering="remedy_total")
    def remedy_count(self, obj: Cause) -> int:
        return int(getattr(obj, "remedy_total", 0))

    @admin.display(description="answers for it", ordering="pointing_total")
    def pointing_answers(self, obj: Cause) -> int:
        return int(getattr(obj, "pointing_total", 0))

    @admin.display(description="page")
    def on_site(self, obj: Cause) -> str:
        return site_link(obj)

    def rules_view(self, request: HttpRequest) -> TemplateResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        context = {
            **self.admin_site.each_context(request),
            "title": "Assessment rules",
            "opts": self.opts,
            "report": build_rules_report(),
        }
        return TemplateResponse(request, "admin/knowledge/cause/rules_report.html", context)


# QUESTIONS AND ANSWERS -----------------------------------------------------------------


class ChoiceInline(admin.StackedInline[Choice, Question]):
    model = Choice
    form = ChoiceForm
    extra = 0
    fields = (
        ("value", "order"),
        "label",
        "because",
        ("triage", "triage_message"),
        "points_to",
    )
    readonly_fields = ("points_to",)
    show_change_link = True

    def get_queryset(self, request: HttpRequest) -> QuerySet[Choice]:
        evidence = Evidence.objects.select_related("cause").order_by("-weight")
        return (
            super()
            .get_queryset(request)
            .select_related("question")
            .prefetch_related(Prefetch("evidence", evidence))
        )

    @admin.display(description="points to (edit the answer to change)")
    def points_to(self, obj: Choice) -> str:
        if not obj.pk:
            return "–"
        rows = [(e.cause.slug, f"{e.weight:+}") for e in obj.evidence.all()]
        return format_html_join(", ", "{} ({})", rows) or "nothing"


class QuestionInline(admin.TabularInline[Question, Step]):
    model = Question
    form = QuestionForm
    extra = 0
    fields = ("key", "text", "kind", "required", "active", "order")
    show_change_link = True


@admin.register(Step)
class StepAdmin(admin.ModelAdmin[Step]):
    form = StepForm
    list_display = ("title", "key", "order", "question_count")
    search_fields = ("title", "key", "intro")
    ordering = ("order", "pk")
    inlines = (QuestionInline,)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Step]:
        return super().get_queryset(request).annotate(question_total=Count("questions"))

    @admin.display(description="questions", ordering="question_total")
    def question_count(self, obj: Step) -> int:
        return int(getattr(obj, "question_total", 0))


@admin.register(Question)
class QuestionAdmin(admin.ModelAdmin[Question]):
    form = QuestionForm
    list_display = ("key", "text", "step", "kind", "required", "active", "order", "answer_count")
    list_filter = ("step", "active", "kind", "required")
    list_select_related = ("step",)
    search_fields = ("key", "text", "help_text")
    ordering = ("step__order", "order", "pk")
    inlines = (ChoiceInline,)
    save_on_top = True
    fields = ("step", "key", "text", "help_text", "kind", ("required", "active"), "order")

    def get_queryset(self, request: HttpRequest) -> QuerySet[Question]:
        return super().get_queryset(request).annotate(choice_total=Count("choices"))

    @admin.display(description="answers", ordering="choice_total")
    def answer_count(self, obj: Question) -> int:
        return int(getattr(obj, "choice_total", 0))


class ChoiceEvidenceInline(admin.TabularInline[Evidence, Choice]):
    model = Evidence
    form = EvidenceForm
    extra = 1
    fields = ("cause", "weight")
    autocomplete_fields = ("cause",)
    verbose_name = "cause this answer points to"
    verbose_name_plural = "causes this answer points to (evidence)"

    def get_queryset(self, request: HttpRequest) -> QuerySet[Evidence]:
        return super().get_queryset(request).select_related("cause").order_by("-weight")


@admin.register(Choice)
class ChoiceAdmin(admin.ModelAdmin[Choice]):
    form = ChoiceForm
    list_display = ("value", "label", "question_key", "triage", "evidence_count")
    list_filter = (TriageListFilter, "question__step", "question__kind")
    list_select_related = ("question",)
    search_fields = ("value", "label", "question__key", "question__text")
    ordering = ("question__step__order", "question__order", "order", "pk")
    autocomplete_fields = ("question",)
    inlines = (ChoiceEvidenceInline,)
    fieldsets = (
        (None, {"fields": ("question", "value", "label", "because", "order")}),
        (
            "Warning sign",
            {
                "fields": ("triage", "triage_message"),
                "description": "Only for answers that need a doctor. The most serious level "
                "among a runner's answers decides the result; for emergency and urgent no "
                "causes are shown.",
            },
        ),
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet[Choice]:
        # The question is part of every choice's name (autocomplete, inlines, lists).
        return (
            super()
            .get_queryset(request)
            .select_related("question")
            .annotate(evidence_total=Count("evidence"))
        )

    @admin.display(description="question", ordering="question__key")
    def question_key(self, obj: Choice) -> str:
        return obj.question.key

    @admin.display(description="causes it points to", ordering="evidence_total")
    def evidence_count(self, obj: Choice) -> int:
        return int(getattr(obj, "evidence_total", 0))


@admin.register(Evidence)
class EvidenceAdmin(admin.ModelAdmin[Evidence]):
    form = EvidenceForm
    list_display = ("cause", "question_key", "choice_label", "weight")
    list_filter = ("cause", WeightListFilter, "choice__question__step")
    list_select_related = ("cause", "choice__question")
    search_fields = (
        "cause__name",
        "cause__slug",
        "choice__value",
        "choice__label",
        "choice__question__key",
    )
    ordering = ("cause__order", "-weight")
    autocomplete_fields = ("choice", "cause")

    @admin.display(description="question", ordering="choice__question__key")
    def question_key(self, obj: Evidence) -> str:
        return obj.choice.question.key

    @admin.display(description="answer", ordering="choice__label")
    def choice_label(self, obj: Evidence) -> str:
        return obj.choice.label


# FAQ, REMEDIES, REVISION ---------------------------------------------------------------


@admin.register(Faq)
class FaqAdmin(admin.ModelAdmin[Faq]):
    form = FaqForm
    list_display = ("question", "slug", "order", "published", "cause_count", "on_site")
    list_filter = ("published",)
    search_fields = ("question", "answer", "slug")
    ordering = ("order", "pk")
    prepopulated_fields = {"slug": ("question",)}
    filter_horizontal = ("causes",)
    actions = (publish, unpublish)
    fields = ("question", "slug", "answer", ("order", "published"), "causes")

    def get_queryset(self, request: HttpRequest) -> QuerySet[Faq]:
        return super().get_queryset(request).annotate(cause_total=Count("causes"))

    @admin.display(description="related causes", ordering="cause_total")
    def cause_count(self, obj: Faq) -> int:
        return int(getattr(obj, "cause_total", 0))

    @admin.display(description="page")
    def on_site(self, obj: Faq) -> str:
        return site_link(obj)


@admin.register(Remedy)
class RemedyAdmin(admin.ModelAdmin[Remedy]):
    form = RemedyForm
    list_display = ("title", "cause", "kind", "order")
    list_filter = ("kind", "cause__category")
    list_select_related = ("cause",)
    search_fields = ("title", "summary", "body", "cause__name")
    ordering = ("cause__order", "cause__name", "kind", "order")
    autocomplete_fields = ("cause",)


@admin.register(KnowledgeRevision)
class KnowledgeRevisionAdmin(admin.ModelAdmin[KnowledgeRevision]):
    """Read-only: shows when the knowledge base last changed."""

    list_display = ("number", "changed_at")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


# RULES REPORT --------------------------------------------------------------------------


@dataclass
class CauseRules:
    cause: Cause
    evidence: list[Evidence] = field(default_factory=list)

    @property
    def reachable(self) -> bool:
        return any(e.weight > 0 and e.choice.question.active for e in self.evidence)


@dataclass
class RulesReport:
    causes: list[CauseRules]
    unreachable: list[Cause]
    questions_pointing_nowhere: list[Question]
    inactive_evidence: list[Evidence]


def build_rules_report() -> RulesReport:
    """The engine's rules in one view, in three queries whatever the size."""
    causes = {c.pk: CauseRules(c) for c in Cause.objects.order_by("order", "name")}
    evidence = Evidence.objects.select_related("choice__question").order_by(
        "-weight", "choice__question__key", "choice__order"
    )
    inactive: list[Evidence] = []
    for row in evidence:
        rules = causes[row.cause_id]
        row.cause = rules.cause  # already loaded; spares a join
        rules.evidence.append(row)
        if not row.choice.question.active:
            inactive.append(row)
    answers_with_evidence = Evidence.objects.filter(choice__question=OuterRef("pk"))
    warning_answers = Choice.objects.filter(question=OuterRef("pk")).exclude(triage="")
    pointing_nowhere = (
        Question.objects.active()
        .filter(~Exists(answers_with_evidence), ~Exists(warning_answers))
        .select_related("step")
        .order_by("step__order", "order", "pk")
    )
    return RulesReport(
        causes=list(causes.values()),
        unreachable=[r.cause for r in causes.values() if not r.reachable],
        questions_pointing_nowhere=list(pointing_nowhere),
        inactive_evidence=sorted(inactive, key=lambda e: (e.choice.question.key, e.cause.name)),
    )
