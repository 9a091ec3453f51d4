"""The knowledge base editors keep: causes, remedies, sources, questions, choices, FAQ.

Every table keeps the name it had before the domain was split into apps (`legs_…`), so
existing databases move to this layout without copying a row.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from decimal import Decimal
from typing import Any, ClassVar

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models.functions import Now
from django.urls import reverse

from .markup import render_markdown
from .triage import Triage

MIN_WEIGHT = Decimal("-10")
MAX_WEIGHT = Decimal("10")


# None outside KnowledgeRevision.batch(); inside, whether a bump is waiting.
_batch_pending: ContextVar[bool | None] = ContextVar("knowledge_batch", default=None)


class KnowledgeRevision(models.Model):
    """One row whose number goes up whenever an editor changes the knowledge base.

    The engine's snapshot, public pages and page fragments are cached per revision, so
    every app server notices an edit with a single cheap query and nobody is scored with
    stale rules.
    """

    number = models.PositiveIntegerField(default=0)
    changed_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "legs_knowledgerevision"
        verbose_name = "knowledge-base revision"

    def __str__(self) -> str:
        return f"revision {self.number}"

    @classmethod
    def current(cls) -> tuple[int, str]:
        """The revision number and a token that changes with every edit (cache key)."""
        row = cls.objects.filter(pk=1).values_list("number", "changed_at").first()
        if row is None:
            return 0, "0"
        return row[0], f"{row[0]}-{row[1].timestamp()}"

    @classmethod
    @contextmanager
    def batch(cls) -> Iterator[None]:
        """Many edits, one new revision (bulk imports): bumps inside are counted once."""
        token = _batch_pending.set(False)
        try:
            yield
        finally:
            pending = _batch_pending.get()
            _batch_pending.reset(token)
        if pending:
            cls.bump()

    @classmethod
    def bump(cls) -> None:
        if _batch_pending.get() is not None:
            _batch_pending.set(True)
            return
        # Inside the editor's transaction: a rolled-back edit rolls the bump back too.
        updated = cls.objects.filter(pk=1).update(number=models.F("number") + 1, changed_at=Now())
        if not updated:
            cls.objects.get_or_create(pk=1, defaults={"number": 1})


class KnowledgeQuerySet(models.QuerySet[Any]):
    """Bulk changes (admin actions, bulk deletes) start a new revision too."""

    def update(self, **kwargs: Any) -> int:
        count = super().update(**kwargs)
        if count:
            KnowledgeRevision.bump()
        return count

    def delete(self) -> tuple[int, dict[str, int]]:
        result = super().delete()
        if result[0]:
            KnowledgeRevision.bump()
        return result

    def published(self) -> KnowledgeQuerySet:
        return self.filter(published=True)

    def active(self) -> KnowledgeQuerySet:
        return self.filter(active=True)


class KnowledgeModel(models.Model):
    """Base for editable knowledge rows: any save or delete starts a new revision."""

    objects: ClassVar[KnowledgeQuerySet] = KnowledgeQuerySet.as_manager()  # type: ignore[assignment]

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        super().save(*args, **kwargs)
        KnowledgeRevision.bump()

    def delete(self, *args: Any, **kwargs: Any) -> tuple[int, dict[str, int]]:
        result = super().delete(*args, **kwargs)
        KnowledgeRevision.bump()
        return result


class Category(models.TextChoices):
    TRAINING = "training", "Training"
    FUEL_HYDRATION = "fuel_hydration", "Fuel and hydration"
    RECOVERY = "recovery", "Recovery"
    EQUIPMENT_FORM = "equipment_form", "Equipment and form"
    MEDICAL = "medical", "Medical"


class Cause(KnowledgeModel):
    slug = models.SlugField(
        unique=True,
        max_length=80,
        help_text="Stable identifier used in web addresses and by the assessment. "
        "Do not rename the slugs that came with the site: add a new cause instead.",
    )
    name = models.CharField(max_length=120, help_text="Short, plain name, e.g. “Low iron”.")
    category = models.CharField(max_length=20, choices=Category.choices)
    summary = models.TextField(
        max_length=600, help_text="One or two plain sentences shown in lists and results."
    )
    body = models.TextField(
        blank=True, help_text="Markdown. What it is, why legs feel heavy, how to recognise it."
    )
    body_html = models.TextField(blank=True, editable=False)
    see_doctor = models.TextField(
        "when to see a doctor",
        blank=True,
        help_text="Markdown. When to see a doctor, in plain words; include any warning sign.",
    )
    see_doctor_html = models.TextField(blank=True, editable=False)
    order = models.PositiveIntegerField(default=100, help_text="Smaller numbers come first.")
    published = models.BooleanField(
        default=True, help_text="Unpublished causes are hidden from the public and the assessment."
    )
    reviewed_by = models.CharField(
        max_length=120, blank=True, help_text="Who last checked this page, e.g. a physiotherapist."
    )
    reviewed_on = models.DateField(null=True, blank=True, help_text="When it was last checked.")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "legs_cause"
        ordering = ("order", "name")

    def __str__(self) -> str:
        return self.name

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.body_html = render_markdown(self.body)
        self.see_doctor_html = render_markdown(self.see_doctor)
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("knowledge:cause_detail", kwargs={"slug": self.slug})


class Source(KnowledgeModel):
    cause = models.ForeignKey(Cause, on_delete=models.CASCADE, related_name="sources")
    title = models.CharField(max_length=300)
    url = models.URLField("address", max_length=500)
    order = models.PositiveIntegerField(default=0)

    class Meta:
        db_table = "legs_source"
        ordering = ("order", "pk")

    def __str__(self) -> str:
        return self.title


class RemedyKind(models.TextChoices):
    NOW = "now", "Right now"
    NEXT_RUN = "next_run", "Next run"
    LONG_TERM = "long_term", "Long term"
    PROFESSIONAL = "professional", "See a professional"


class Remedy(KnowledgeModel):
    cause = models.ForeignKey(Cause, on_delete=models.CASCADE, related_name="remedies")
    title = models.CharField(
        max_length=160, help_text="Short instruction, e.g. “Warm up for 10 minutes”."
    )
    summary = models.CharField(
        max_length=300, blank=True, help_text="One plain sentence shown in assessment results."
    )
    body = models.TextField(blank=True, help_text="Markdown. The detail shown on the cause page.")
    body_html = models.TextField(blank=True, editable=False)
    kind = models.CharField(max_length=20, choices=RemedyKind.choices, default=RemedyKind.NEXT_RUN)
    order = models.PositiveIntegerField(default=0)

    class Meta:
        db_table = "legs_remedy"
        ordering = ("order", "pk")
        verbose_name_plural = "remedies"

    def __str__(self) -> str:
        return self.title

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.body_html = render_markdown(self.body)
        super().save(*args, **kwargs)


class Step(KnowledgeModel):
    key = models.SlugField(unique=True, max_length=40, help_text="Stable identifier of the step.")
    title = models.CharField(max_length=120)
    intro = models.TextField(blank=True, help_text="Plain text shown above the questions.")
    order = models.PositiveIntegerField(
        default=100, help_text="Wizard order. The warning-signs step must stay first."
    )

    class Meta:
        db_table = "legs_step"
        ordering = ("order", "pk")

    def __str__(self) -> str:
        return self.title


class QuestionKind(models.TextChoices):
    SINGLE = "single", "Pick one"
    MULTI = "multi", "Pick all that apply"


class Question(KnowledgeModel):
    step = models.ForeignKey(Step, on_delete=models.PROTECT, related_name="questions")
    key = models.SlugField(
        unique=True,
        max_length=60,
        help_text="Stable identifier used in saved answers. Never rename an existing key.",
    )
    text = models.CharField(max_length=300)
    help_text = models.CharField(max_length=500, blank=True)
    kind = models.CharField(
        max_length=10, choices=QuestionKind.choices, default=QuestionKind.SINGLE
    )
    required = models.BooleanField(
        default=False, help_text="Runners must answer required questions before moving on."
    )
    order = models.PositiveIntegerField(default=100)
    active = models.BooleanField(
        default=True, help_text="Inactive questions are not asked and are ignored in answers."
    )

    class Meta:
        db_table = "legs_question"
        ordering = ("step__order", "order", "pk")

    def __str__(self) -> str:
        return self.key


class Choice(KnowledgeModel):
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="choices")
    value = models.SlugField(
        max_length=60,
        help_text="Stable identifier saved with answers. In a pick-all question, "
        "the value “none” cannot be combined with other answers.",
    )
    label = models.CharField(max_length=300)
    because = models.CharField(
        max_length=300,
        blank=True,
        help_text="How this answer reads after “Because you said …”, e.g. “you skip the warm-up”.",
    )
    order = models.PositiveIntegerField(default=0)
    triage = models.CharField(
        "triage level",
        max_length=20,
        blank=True,
        choices=[(level.value, level.label) for level in Triage.warning_levels()],
        help_text="Leave empty unless this answer is a warning sign.",
    )
    triage_message = models.TextField(
        blank=True, help_text="What to do now, in plain words. Required when a triage level is set."
    )

    class Meta:
        db_table = "legs_choice"
        ordering = ("order", "pk")
        constraints = [
            models.UniqueConstraint(fields=("question", "value"), name="unique_choice_value"),
            models.CheckConstraint(
                condition=models.Q(triage="") | ~models.Q(triage_message=""),
                name="triage_needs_message",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.question.key} = {self.value}"

    def clean(self) -> None:
        if self.triage and not self.triage_message.strip():
            raise ValidationError(
                {"triage_message": "Say what the runner should do when this warning sign is given."}
            )
        if self.triage_message.strip() and not self.triage:
            raise ValidationError({"triage": "Pick a triage level for this message, or clear it."})


def weight_field(help_text: str) -> models.DecimalField[Decimal, Decimal]:
    """How strongly something points to a cause: −10 … 10, one decimal."""
    return models.DecimalField(
        max_digits=4,
        decimal_places=1,
        validators=[MinValueValidator(MIN_WEIGHT), MaxValueValidator(MAX_WEIGHT)],
        help_text=help_text,
    )


def weight_range(name: str) -> models.CheckConstraint:
    """The database's own check of the weight range, for rows written without validation."""
    return models.CheckConstraint(
        condition=models.Q(weight__gte=MIN_WEIGHT, weight__lte=MAX_WEIGHT), name=name
    )


class Evidence(KnowledgeModel):
    choice = models.ForeignKey(Choice, on_delete=models.CASCADE, related_name="evidence")
    cause = models.ForeignKey(Cause, on_delete=models.CASCADE, related_name="evidence")
    weight = weight_field(
        "How strongly this answer points to the cause, from −10 (argues against) "
        "to 10 (strong sign). 6 or more alone makes a cause “likely”."
    )
    specific = models.BooleanField(
        default=True,
        help_text="Untick for a general answer (“heavy for the whole run”, “sore muscles”): "
        "it adds to a cause that a specific answer already points to, but never makes the "
        "assessment suggest the cause on its own.",
    )

    class Meta:
        db_table = "legs_evidence"
        verbose_name_plural = "evidence"
        ordering = ("cause__order", "-weight")
        constraints = [
            models.UniqueConstraint(fields=("choice", "cause"), name="unique_evidence"),
            weight_range("evidence_weight_range"),
        ]

    def __str__(self) -> str:
        return f"{self.choice} → {self.cause.slug} ({self.weight})"


class Rule(KnowledgeModel):
    """Answers that mean more together than one at a time (a clot risk and one heavy leg).

    A rule fires when every group of its conditions holds; it can raise the triage level,
    mark the result serious and add evidence for causes. It never lowers the triage.
    """

    slug = models.SlugField(
        unique=True,
        max_length=80,
        help_text="Stable identifier, reported with the warning. Do not rename the rules that "
        "came with the site.",
    )
    name = models.CharField(
        max_length=160, help_text="Short name for editors, e.g. “Possible clot”."
    )
    level = models.CharField(
        "triage level",
        max_length=20,
        blank=True,
        choices=[(level.value, level.label) for level in Triage.warning_levels()],
        help_text="How soon the runner needs a doctor when the rule fires. Leave empty for a "
        "rule that only adds evidence.",
    )
    message = models.TextField(
        blank=True,
        help_text="What to do, in plain words, shown as the warning. Required with a level.",
    )
    serious = models.BooleanField(
        default=False,
        help_text="At “soon”, the result leads with this warning and no cause is called "
        "“likely”: use it when a clot or the heart is still possible.",
    )
    order = models.PositiveIntegerField(default=100, help_text="Smaller numbers come first.")
    active = models.BooleanField(default=True, help_text="Inactive rules are never applied.")
    note = models.TextField(
        blank=True, help_text="For editors: the clinical intent in one or two sentences."
    )

    class Meta:
        db_table = "legs_rule"
        ordering = ("order", "slug")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(level="") | ~models.Q(message=""),
                name="rule_level_needs_message",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.level and not self.message.strip():
            raise ValidationError(
                {"message": "Say what the runner should do when this rule fires."}
            )
        if self.message.strip() and not self.level:
            raise ValidationError({"level": "Pick a triage level for this message, or clear it."})
        if self.serious and not self.level:
            raise ValidationError({"serious": "A serious rule needs a triage level and a message."})


class RuleCondition(KnowledgeModel):
    rule = models.ForeignKey(Rule, on_delete=models.CASCADE, related_name="conditions")
    group = models.PositiveSmallIntegerField(
        default=1,
        help_text="Conditions with the same group number are alternatives (any one is "
        "enough); every group must hold for the rule to fire.",
    )
    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="rule_conditions")
    values = models.JSONField(
        default=list,
        help_text="The answers (choice values) that satisfy this condition.",
    )
    at_least = models.PositiveSmallIntegerField(
        default=1,
        validators=[MinValueValidator(1)],
        help_text="For a pick-all question: how many of these answers must be ticked.",
    )

    class Meta:
        db_table = "legs_rulecondition"
        ordering = ("group", "pk")

    def __str__(self) -> str:
        values = ", ".join(str(v) for v in self.values) if isinstance(self.values, list) else ""
        return f"{self.question.key} in ({values})"

    def clean(self) -> None:
        if not isinstance(self.values, list) or not all(isinstance(v, str) for v in self.values):
            raise ValidationError({"values": "Give a list of answer values."})
        if not self.values:
            raise ValidationError({"values": "Pick at least one answer."})
        if self.question_id is None:
            return
        known = set(self.question.choices.values_list("value", flat=True))
        unknown = [v for v in self.values if v not in known]
        if unknown:
            raise ValidationError(
                {"values": f"“{unknown[0]}” is not an answer to the question {self.question.key}."}
            )
        if self.at_least > 1 and self.question.kind != QuestionKind.MULTI:
            raise ValidationError(
                {"at_least": "Only a pick-all question can need more than one answer."}
            )
        if self.at_least > len(set(self.values)):
            raise ValidationError(
                {"at_least": f"Only {len(set(self.values))} answers are listed; lower this."}
            )


class RuleEvidence(KnowledgeModel):
    rule = models.ForeignKey(Rule, on_delete=models.CASCADE, related_name="evidence")
    cause = models.ForeignKey(Cause, on_delete=models.CASCADE, related_name="rule_evidence")
    weight = weight_field(
        "How strongly the combination points to the cause, from −10 to 10. It counts as "
        "specific: a fired rule can make the assessment suggest the cause."
    )

    class Meta:
        db_table = "legs_ruleevidence"
        verbose_name_plural = "rule evidence"
        ordering = ("-weight", "pk")
        constraints = [
            models.UniqueConstraint(fields=("rule", "cause"), name="unique_rule_evidence"),
            weight_range("rule_evidence_weight_range"),
        ]

    def __str__(self) -> str:
        return f"{self.rule.slug} → {self.cause.slug} ({self.weight})"


class Faq(KnowledgeModel):
    slug = models.SlugField(unique=True, max_length=80, help_text="Anchor on the FAQ page.")
    question = models.CharField(max_length=300)
    answer = models.TextField(help_text="Markdown.")
    answer_html = models.TextField(blank=True, editable=False)
    order = models.PositiveIntegerField(default=100)
    published = models.BooleanField(default=True)
    causes = models.ManyToManyField(Cause, blank=True, related_name="faqs")

    class Meta:
        db_table = "legs_faq"
        ordering = ("order", "pk")
        verbose_name = "FAQ entry"
        verbose_name_plural = "FAQ entries"

    def __str__(self) -> str:
        return self.question

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.answer_html = render_markdown(self.answer)
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("knowledge:faq") + f"#{self.slug}"
