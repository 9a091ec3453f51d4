from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, ClassVar

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models, transaction
from django.db.models.functions import Now
from django.urls import reverse
from django.utils import timezone

from .markup import render_markdown

MIN_WEIGHT = Decimal("-10")
MAX_WEIGHT = Decimal("10")
NONE_VALUE = "none"


class TriageLevel(models.TextChoices):
    EMERGENCY = "emergency", "Emergency: get help now"
    URGENT = "urgent", "Urgent: see a doctor today"
    SOON = "soon", "Soon: book a doctor's appointment"
    SELF_CARE = "self_care", "Self-care"

    @classmethod
    def rank(cls, level: str) -> int:
        """Seriousness, highest first: emergency 3 … self_care 0."""
        return {cls.EMERGENCY: 3, cls.URGENT: 2, cls.SOON: 1}.get(cls(level), 0)


# None outside KnowledgeRevision.batch(); inside, whether a bump is waiting.
_batch_pending: ContextVar[bool | None] = ContextVar("knowledge_batch", default=None)
# How long a process trusts the revision it last read (KnowledgeRevision.recent). Within it
# the knowledge snapshot and the cached pages cost no query at all; an edit in another
# process reaches this one within the second, an edit in this process at once.
REVISION_TRUST_SECONDS = 1.0
_recent: tuple[float, int, str] = (float("-inf"), 0, "0")
_recent_lock = threading.Lock()
# Goes up with every forget, so that a read that began before an edit is not trusted after it.
_recent_generation = 0


class KnowledgeRevision(models.Model):
    """One row whose number goes up whenever an editor changes the knowledge base.

    The diagnosis snapshot is cached per revision, so every app server notices an
    edit with a single cheap query and nobody is scored with stale rules.
    """

    number = models.PositiveIntegerField(default=0)
    changed_at = models.DateTimeField(auto_now=True)

    class Meta:
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
    def recent(cls) -> tuple[int, str]:
        """current(), read at most once a second per process."""
        global _recent
        read_at, number, token = _recent
        now = time.monotonic()
        if now - read_at < REVISION_TRUST_SECONDS:
            return number, token
        generation = _recent_generation
        number, token = cls.current()
        with _recent_lock:
            if generation == _recent_generation:
                _recent = (now, number, token)
        return number, token

    @classmethod
    def forget_recent(cls) -> None:
        """Make the next recent() read the database (after an edit in this process)."""
        global _recent, _recent_generation
        with _recent_lock:
            _recent = (float("-inf"), 0, "0")
            _recent_generation += 1

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
        # Once now, so this process reads it at once, and again when the edit is committed,
        # so that a read in between cannot be trusted for a second after the commit.
        cls.forget_recent()
        transaction.on_commit(cls.forget_recent)


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
        ordering = ("order", "name")

    def __str__(self) -> str:
        return self.name

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.body_html = render_markdown(self.body)
        self.see_doctor_html = render_markdown(self.see_doctor)
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("legs:cause_detail", kwargs={"slug": self.slug})


class Source(KnowledgeModel):
    cause = models.ForeignKey(Cause, on_delete=models.CASCADE, related_name="sources")
    title = models.CharField(max_length=300)
    url = models.URLField("address", max_length=500)
    order = models.PositiveIntegerField(default=0)

    class Meta:
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
        choices=[(k, v) for k, v in TriageLevel.choices if k != TriageLevel.SELF_CARE],
        help_text="Leave empty unless this answer is a warning sign.",
    )
    triage_message = models.TextField(
        blank=True, help_text="What to do now, in plain words. Required when a triage level is set."
    )

    class Meta:
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


class Evidence(KnowledgeModel):
    choice = models.ForeignKey(Choice, on_delete=models.CASCADE, related_name="evidence")
    cause = models.ForeignKey(Cause, on_delete=models.CASCADE, related_name="evidence")
    weight = models.DecimalField(
        max_digits=4,
        decimal_places=1,
        validators=[MinValueValidator(MIN_WEIGHT), MaxValueValidator(MAX_WEIGHT)],
        help_text="How strongly this answer points to the cause, from −10 (argues against) "
        "to 10 (strong sign). 6 or more alone makes a cause “likely”.",
    )

    class Meta:
        verbose_name_plural = "evidence"
        ordering = ("cause__order", "-weight")
        constraints = [
            models.UniqueConstraint(fields=("choice", "cause"), name="unique_evidence"),
            models.CheckConstraint(
                condition=models.Q(weight__gte=MIN_WEIGHT, weight__lte=MAX_WEIGHT),
                name="evidence_weight_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.choice} → {self.cause.slug} ({self.weight})"


class Faq(KnowledgeModel):
    slug = models.SlugField(unique=True, max_length=80, help_text="Anchor on the FAQ page.")
    question = models.CharField(max_length=300)
    answer = models.TextField(help_text="Markdown.")
    answer_html = models.TextField(blank=True, editable=False)
    order = models.PositiveIntegerField(default=100)
    published = models.BooleanField(default=True)
    causes = models.ManyToManyField(Cause, blank=True, related_name="faqs")

    class Meta:
        ordering = ("order", "pk")
        verbose_name = "FAQ entry"
        verbose_name_plural = "FAQ entries"

    def __str__(self) -> str:
        return self.question

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.answer_html = render_markdown(self.answer)
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("legs:faq") + f"#{self.slug}"


# EPISODE HISTORY
# A runner's saved assessments. The result is stored as it was shown (a snapshot), so later
# edits to the knowledge base never rewrite anyone's past.

KM_PER_MILE = Decimal("1.609344")
MILES = "mi"
LOAD_SPIKE_WINDOW_DAYS = 30
LOAD_SPIKE_RATIO = Decimal("1.1")
FOLLOW_UP_AFTER = timedelta(days=3)
TRIAGE_SHORT = {
    "emergency": "Emergency",
    "urgent": "Doctor today",
    "soon": "See a doctor soon",
    "self_care": "Self-care",
}


def km_from(value: Decimal, unit: str) -> Decimal:
    """A distance typed in `unit` (km or mi), in kilometres as stored."""
    km = value * KM_PER_MILE if unit == MILES else value
    return km.quantize(Decimal("0.001"), rounding=ROUND_HALF_UP)


def km_to(value_km: Decimal, unit: str) -> Decimal:
    """A stored distance in kilometres, shown in `unit` with two decimals."""
    value = value_km / KM_PER_MILE if unit == MILES else value_km
    return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def latest_today() -> date:
    """Today's date somewhere on Earth. The server runs on UTC, and a runner at UTC+14
    logging this morning's run must not be told the date is in the future."""
    return (timezone.now() + timedelta(hours=14)).date()


def validate_not_future(value: date) -> None:
    if value > latest_today():
        raise ValidationError("The date of the run cannot be in the future.", code="future")


def load_spike_percent(distance_km: Decimal, previous_longest_km: Decimal | None) -> int | None:
    """How much longer (in %) a run was than the longest of the previous 30 days, when it
    was more than 10% longer; None when it was not, or when nothing earlier was logged."""
    if not previous_longest_km or distance_km <= previous_longest_km * LOAD_SPIKE_RATIO:
        return None
    return int((distance_km / previous_longest_km - 1) * 100)


class LegsAffected(models.TextChoices):
    BOTH = "both", "Both legs"
    LEFT = "left", "Left leg"
    RIGHT = "right", "Right leg"
    ONE = "one", "One leg (either side)"


class Outcome(models.TextChoices):
    BETTER = "better", "Better"
    SAME = "same", "About the same"
    WORSE = "worse", "Worse"


class EpisodeQuerySet(models.QuerySet["Episode"]):
    def for_user(self, user: Any) -> EpisodeQuerySet:
        """The episodes `user` owns; nothing at all for anyone not logged in."""
        if not getattr(user, "is_authenticated", False):
            return self.none()
        return self.filter(owner=user)

    def needing_follow_up(self) -> EpisodeQuerySet:
        """Saved more than three days ago, and no follow-up given yet."""
        return self.filter(follow_up__isnull=True, created_at__lte=timezone.now() - FOLLOW_UP_AFTER)

    def with_cause(self, slug: str) -> EpisodeQuerySet:
        return self.filter(causes__slug=slug)


class Episode(models.Model):
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="episodes"
    )
    token = models.UUIDField(
        default=uuid.uuid4,
        editable=False,
        help_text="One-time key sent with the save form, so a double submit saves only once.",
    )
    run_date = models.DateField(
        "date of the run", default=timezone.localdate, validators=[validate_not_future]
    )
    distance_km = models.DecimalField(
        "distance (km)",
        max_digits=7,
        decimal_places=3,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0.01")), MaxValueValidator(Decimal("1000"))],
    )
    duration = models.DurationField(null=True, blank=True)
    heaviness = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(10)],
        help_text="How heavy the legs felt, from 1 (barely) to 10 (could hardly run).",
    )
    legs = models.CharField("which legs", max_length=5, choices=LegsAffected.choices, blank=True)
    notes = models.TextField(blank=True, max_length=2000)
    answers = models.JSONField(default=dict, blank=True, help_text="The answers as given.")
    answer_labels = models.JSONField(
        default=list,
        blank=True,
        help_text="The questions and answers as they were worded when saved.",
    )
    result = models.JSONField(
        default=dict, help_text="The result as it was shown: triage, warnings, causes, remedies."
    )
    triage = models.CharField(max_length=20, choices=TriageLevel.choices, db_index=True)
    top_cause_slug = models.CharField(max_length=80, blank=True)
    top_cause_name = models.CharField(max_length=120, blank=True)
    knowledge_version = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = EpisodeQuerySet.as_manager()

    class Meta:
        ordering = ("-run_date", "-created_at", "-pk")
        indexes = [
            models.Index(fields=["owner", "-run_date", "-created_at"], name="episode_owner_date"),
        ]
        constraints = [
            models.UniqueConstraint(fields=("owner", "token"), name="unique_episode_token"),
            models.CheckConstraint(
                condition=models.Q(heaviness__isnull=True)
                | models.Q(heaviness__gte=1, heaviness__lte=10),
                name="episode_heaviness_1_to_10",
            ),
            models.CheckConstraint(
                condition=models.Q(distance_km__isnull=True) | models.Q(distance_km__gt=0),
                name="episode_distance_positive",
            ),
        ]

    def __str__(self) -> str:
        return f"Episode of {self.run_date:%d %b %Y}"

    def get_absolute_url(self) -> str:
        return reverse("history:detail", kwargs={"pk": self.pk})

    def distance_in(self, unit: str) -> Decimal | None:
        return None if self.distance_km is None else km_to(self.distance_km, unit)

    @property
    def duration_text(self) -> str:
        """“45 min” or “1 h 05 min”."""
        if self.duration is None:
            return ""
        minutes = round(self.duration.total_seconds() / 60)
        hours, minutes = divmod(minutes, 60)
        return f"{hours} h {minutes:02d} min" if hours else f"{minutes} min"

    @property
    def stops(self) -> bool:
        return self.triage in (TriageLevel.EMERGENCY, TriageLevel.URGENT)

    @property
    def triage_short(self) -> str:
        return TRIAGE_SHORT.get(self.triage, self.triage)

    def saved_follow_up(self) -> FollowUp | None:
        try:
            return self.follow_up
        except FollowUp.DoesNotExist:
            return None

    def previous_longest_km(self) -> Decimal | None:
        """The longest run logged in the 30 days before this one."""
        longest: Decimal | None = (
            Episode.objects.filter(
                owner_id=self.owner_id,
                run_date__gte=self.run_date - timedelta(days=LOAD_SPIKE_WINDOW_DAYS),
                run_date__lt=self.run_date,
            )
            .exclude(distance_km=None)
            .aggregate(longest=models.Max("distance_km"))["longest"]
        )
        return longest

    def load_spike(self) -> int | None:
        if self.distance_km is None:
            return None
        return load_spike_percent(self.distance_km, self.previous_longest_km())


class EpisodeCause(models.Model):
    """One ranked cause of a saved result, so history can be filtered and counted by cause."""

    episode = models.ForeignKey(Episode, on_delete=models.CASCADE, related_name="causes")
    slug = models.CharField(max_length=80, db_index=True)
    name = models.CharField(max_length=120)
    band = models.CharField(max_length=20)
    rank = models.PositiveSmallIntegerField(help_text="1 is the top cause.")

    class Meta:
        ordering = ("rank",)
        constraints = [
            models.UniqueConstraint(fields=("episode", "slug"), name="unique_episode_cause"),
        ]

    def __str__(self) -> str:
        return f"{self.rank}. {self.name}"


class EpisodeRemedy(models.Model):
    """A remedy shown with a saved result; the runner ticks the ones they tried."""

    episode = models.ForeignKey(Episode, on_delete=models.CASCADE, related_name="remedies")
    cause_slug = models.CharField(max_length=80)
    cause_name = models.CharField(max_length=120)
    position = models.PositiveSmallIntegerField(help_text="Order under its cause, from 0.")
    title = models.CharField(max_length=160)
    summary = models.CharField(max_length=300, blank=True)
    kind = models.CharField(max_length=20, blank=True)
    tried = models.BooleanField(default=False)

    class Meta:
        ordering = ("pk",)
        verbose_name_plural = "episode remedies"

    def __str__(self) -> str:
        return self.title


class FollowUp(models.Model):
    """How the runner felt after trying the fixes; the latest answer replaces the previous."""

    episode = models.OneToOneField(Episode, on_delete=models.CASCADE, related_name="follow_up")
    outcome = models.CharField(max_length=10, choices=Outcome.choices)
    note = models.TextField(blank=True, max_length=2000)
    given_on = models.DateField(default=timezone.localdate)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "follow-up"

    def __str__(self) -> str:
        return f"{self.get_outcome_display()} ({self.given_on:%d %b %Y})"
