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
from django.forms.models import BaseInlineFormSet
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
    Rule,
    RuleCondition,
    RuleEvidence,
    Source,
    Step,
)
from .snapshot import (
    ChoiceInfo,
    QuestionInfo,
    RuleDraft,
    applicable_groups,
    never_fires,
    rule_problem,
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
        fields = ("choice", "cause", "weight", "specific")
        help_texts = {
            "choice": "The answer that points to the cause. Type part of the question key "
            "or of the answer to search.",
            "cause": "The cause this answer points to (or away from, with a negative weight).",
        }


class RuleForm(forms.ModelForm[Rule]):
    class Meta:
        model = Rule
        fields = ("name", "slug", "level", "message", "serious", "order", "active", "note")
        help_texts = {
            "level": "How soon the runner needs a doctor when every condition below holds. "
            "A rule only ever raises the result's level, never lowers it.",
        }
        widgets = {"message": short_text(), "note": short_text()}


class ValuesField(forms.CharField):
    """A list of answer values typed as “one, both”; a stored list is shown the same way."""

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, list):
            return ", ".join(str(v) for v in value)
        return value

    def to_python(self, value: Any) -> list[str]:  # type: ignore[override]
        if isinstance(value, list):
            return [str(v) for v in value]
        text = super().to_python(value) or ""
        return list(dict.fromkeys(v for v in text.replace(",", " ").split() if v))

    def has_changed(self, initial: Any, data: Any) -> bool:
        return self.to_python(initial or []) != self.to_python(data)


class RuleConditionForm(forms.ModelForm[RuleCondition]):
    values = ValuesField(
        label="answers",
        help_text="The answer values that satisfy the condition, separated by commas, e.g. "
        "“recent_long_travel_or_surgery, previous_clot”.",
    )

    class Meta:
        model = RuleCondition
        fields = ("group", "question", "values", "at_least")


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
    fields = ("choice", "question_text", "weight", "specific")
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
        rows = [
            (e.cause.slug, f"{e.weight:+}", "" if e.specific else ", general")
            for e in obj.evidence.all()
        ]
        return format_html_join(", ", "{} ({}{})", rows) or "nothing"


class QuestionInline(admin.TabularInline[Question, Step]):
    """The step's questions, for their wording and order. What changes an assessment (key,
    kind, required, active; adding or deleting a question) is done on the question's own
    page, where the editors' safety net previews it (legs/assessment/admin.py)."""

    model = Question
    form = QuestionForm
    extra = 0
    fields = ("key", "text", "kind", "required", "active", "order")
    readonly_fields = ("key", "kind", "required", "active")
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: Step | None = None) -> bool:
        return False


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
    fields = ("cause", "weight", "specific")
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
    list_display = ("cause", "question_key", "choice_label", "weight", "specific")
    list_filter = ("cause", WeightListFilter, "specific", "choice__question__step")
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


# RULES OVER SEVERAL ANSWERS ------------------------------------------------------------


class RuleConditionInline(admin.TabularInline[RuleCondition, Rule]):
    model = RuleCondition
    form = RuleConditionForm
    extra = 1
    min_num = 1
    fields = ("group", "question", "values", "at_least", "answers_to_pick")
    readonly_fields = ("answers_to_pick",)
    autocomplete_fields = ("question",)
    verbose_name = "condition"
    verbose_name_plural = (
        "conditions (the same group number: any one is enough; every group must hold)"
    )

    def get_formset(
        self, request: HttpRequest, obj: Rule | None = None, **kwargs: Any
    ) -> type[BaseInlineFormSet[RuleCondition, Rule, Any]]:
        # A rule without conditions would never fire: the page says so instead of saving.
        return super().get_formset(request, obj, validate_min=True, **kwargs)

    def get_queryset(self, request: HttpRequest) -> QuerySet[RuleCondition]:
        return (
            super()
            .get_queryset(request)
            .select_related("question")
            .prefetch_related(Prefetch("question__choices", Choice.objects.order_by("order", "pk")))
        )

    @admin.display(description="answers of the question")
    def answers_to_pick(self, obj: RuleCondition) -> str:
        if not obj.pk:
            return "–"
        return ", ".join(c.value for c in obj.question.choices.all()) or "none"


class RuleEvidenceInline(admin.TabularInline[RuleEvidence, Rule]):
    model = RuleEvidence
    extra = 0
    fields = ("cause", "weight")
    autocomplete_fields = ("cause",)
    verbose_name = "cause the combination points to"
    verbose_name_plural = "causes the combination points to (evidence)"

    def get_queryset(self, request: HttpRequest) -> QuerySet[RuleEvidence]:
        return super().get_queryset(request).select_related("cause")


@admin.register(Rule)
class RuleAdmin(admin.ModelAdmin[Rule]):
    form = RuleForm
    list_display = ("name", "slug", "level", "serious", "active", "order", "condition_count")
    list_filter = ("level", "serious", "active")
    search_fields = ("name", "slug", "message", "note")
    ordering = ("order", "slug")
    prepopulated_fields = {"slug": ("name",)}
    inlines = (RuleConditionInline, RuleEvidenceInline)
    save_on_top = True
    fieldsets = (
        (None, {"fields": ("name", "slug", ("order", "active"), "note")}),
        (
            "When it fires",
            {
                "fields": ("level", "message", "serious"),
                "description": "The rule fires when every condition group below holds. Its "
                "warning is shown with the answers that fired it; for emergency and urgent no "
                "causes are shown. The rules report lists what fires each rule.",
            },
        ),
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet[Rule]:
        return super().get_queryset(request).annotate(condition_total=Count("conditions"))

    @admin.display(description="conditions", ordering="condition_total")
    def condition_count(self, obj: Rule) -> int:
        return int(getattr(obj, "condition_total", 0))


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
    # A rule the engine applies points to this cause.
    from_rules: bool = False

    @property
    def reachable(self) -> bool:
        return self.from_rules or any(
            e.weight > 0 and e.specific and e.choice.question.active for e in self.evidence
        )


@dataclass
class ConditionRow:
    condition: RuleCondition
    # (value, label or "" when the question has no such answer)
    answers: list[tuple[str, str]]


@dataclass
class RuleRow:
    rule: Rule
    groups: list[list[ConditionRow]]
    # Why the assessment skips it (a group left with nothing a runner can answer), or "".
    skipped: str = ""
    # What of it the assessment leaves out while applying the rest (an inactive question,
    # a deleted answer), or "".
    ignored: str = ""
    # Why it can never fire although it is applied, or "".
    never: str = ""

    @property
    def applied(self) -> bool:
        return self.rule.active and not self.skipped


@dataclass
class RulesReport:
    causes: list[CauseRules]
    unreachable: list[Cause]
    questions_pointing_nowhere: list[Question]
    inactive_evidence: list[Evidence]
    rules: list[RuleRow] = field(default_factory=list)

    @property
    def rule_problems(self) -> list[RuleRow]:
        return [r for r in self.rules if r.rule.active and (r.skipped or r.ignored or r.never)]


def build_rule_rows() -> list[RuleRow]:
    """Every rule with its conditions in words, and what keeps it from firing, in four
    queries: rules, their conditions with questions, their evidence, the questions' answers."""
    rules = list(
        Rule.objects.prefetch_related(
            Prefetch(
                "conditions",
                RuleCondition.objects.select_related("question").order_by("group", "pk"),
            ),
            Prefetch("evidence", RuleEvidence.objects.select_related("cause")),
        ).order_by("order", "slug")
    )
    named = {c.question for rule in rules for c in rule.conditions.all()}
    labels: dict[int, dict[str, str]] = {q.pk: {} for q in named}
    for question_id, value, label in Choice.objects.filter(question__in=named).values_list(
        "question_id", "value", "label"
    ):
        labels[question_id][value] = label
    questions = {
        q.key: QuestionInfo(
            q.key,
            q.text,
            q.kind,
            "",
            {v: ChoiceInfo(v, label, "") for v, label in labels[q.pk].items()},
            q.active,
        )
        for q in named
    }
    rows = []
    for rule in rules:
        groups: dict[int, list[ConditionRow]] = {}
        conditions = []
        for condition in rule.conditions.all():
            values = condition.values if isinstance(condition.values, list) else []
            known = labels[condition.question_id]
            answers = [(str(v), known.get(str(v), "")) for v in values]
            groups.setdefault(condition.group, []).append(ConditionRow(condition, answers))
            conditions.append(
                (
                    condition.group,
                    condition.question.key,
                    tuple(map(str, values)),
                    condition.at_least,
                )
            )
        draft = RuleDraft(
            rule.slug, rule.name, rule.level, rule.message, rule.serious, rule.active,
            tuple(conditions), (),
        )  # fmt: skip
        problem = rule_problem(draft, questions)
        applied = applicable_groups(draft, questions) is not None
        # A rule with a problem is not checked further: its conditions may name questions
        # that no longer exist.
        never = "" if problem else never_fires(draft, questions)
        rows.append(
            RuleRow(
                rule,
                [g for _, g in sorted(groups.items())],
                skipped="" if applied else problem,
                ignored=problem if applied else "",
                never=never,
            )
        )
    return rows


def build_rules_report() -> RulesReport:
    """The engine's rules in one view, in seven queries whatever the size."""
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
    rule_rows = build_rule_rows()
    for rule_row in rule_rows:
        if rule_row.applied and not rule_row.never:
            for rule_evidence in rule_row.rule.evidence.all():
                if rule_evidence.weight > 0:
                    causes[rule_evidence.cause_id].from_rules = True
    answers_with_evidence = Evidence.objects.filter(choice__question=OuterRef("pk"))
    warning_answers = Choice.objects.filter(question=OuterRef("pk")).exclude(triage="")
    in_rules = RuleCondition.objects.filter(question=OuterRef("pk"))
    pointing_nowhere = (
        Question.objects.active()
        .filter(~Exists(answers_with_evidence), ~Exists(warning_answers), ~Exists(in_rules))
        .select_related("step")
        .order_by("step__order", "order", "pk")
    )
    return RulesReport(
        causes=list(causes.values()),
        unreachable=[r.cause for r in causes.values() if not r.reachable],
        questions_pointing_nowhere=list(pointing_nowhere),
        inactive_evidence=sorted(inactive, key=lambda e: (e.choice.question.key, e.cause.name)),
        rules=rule_rows,
    )
