"""A runner's saved assessments (episodes), the fixes they tried and their follow-ups.

The result is stored as it was shown (a snapshot), so later edits to the knowledge base
never rewrite anyone's past. Tables keep the names they had before the domain was split
into apps (`legs_…`).
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils import timezone

from legs.assessment.engine import LIKELY, Result
from legs.knowledge.triage import Triage

KM_PER_MILE = Decimal("1.609344")
MILES = "mi"
LOAD_SPIKE_WINDOW_DAYS = 30
LOAD_SPIKE_RATIO = Decimal("1.1")
FOLLOW_UP_AFTER = timedelta(days=3)
# A reminder that could not go out in time (no worker, no cron for weeks) is not sent late.
REMINDER_TOO_LATE = timedelta(days=30)


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

    def reminder_due(self, now: datetime) -> EpisodeQuerySet:
        """Episodes whose follow-up reminder should go out at `now`: saved at least three
        days ago but less than REMINDER_TOO_LATE ago, for a run within that time too, with
        no follow-up and no reminder yet, for an active runner who has not switched
        reminders off. Never for a result that sent the runner to a doctor, now or soon
        under a serious rule (a clot or the heart still possible): it had no fixes to ask
        about."""
        too_late = now - REMINDER_TOO_LATE
        return (
            self.filter(
                follow_up__isnull=True,
                reminder_sent_at__isnull=True,
                created_at__lte=now - FOLLOW_UP_AFTER,
                created_at__gt=too_late,
                run_date__gte=too_late.date(),
                owner__is_active=True,
                owner__follow_up_reminders=True,
            )
            .exclude(triage__in=[level.value for level in Triage if level.stops])
            # Below urgent every warning is `soon`, and the engine puts a serious rule's
            # first (legs.assessment.engine.assess): the first warning says it all. (No
            # warning, or one from an answer, has no `serious` key.)
            .filter(
                models.Q(result__warnings__0__serious__isnull=True)
                | models.Q(result__warnings__0__serious=False)
            )
        )

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
    triage = models.CharField(max_length=20, choices=Triage.choices(), db_index=True)
    top_cause_slug = models.CharField(max_length=80, blank=True)
    top_cause_name = models.CharField(max_length=120, blank=True)
    knowledge_version = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    reminder_sent_at = models.DateTimeField(
        null=True,
        blank=True,
        editable=False,
        help_text="When the follow-up reminder went out (it goes out once, if at all).",
    )

    objects = EpisodeQuerySet.as_manager()

    class Meta:
        db_table = "legs_episode"
        ordering = ("-run_date", "-created_at", "-pk")
        indexes = [
            models.Index(fields=["owner", "-run_date", "-created_at"], name="episode_owner_date"),
            # The insights page counts a runner's episodes and scored episodes from this
            # index alone, without reading the rows (legs/history/insights.py).
            models.Index(fields=["owner", "heaviness"], name="episode_owner_heaviness"),
            # The history filter offers a cause since unpublished when it was a runner's top
            # cause: one look-up in this index, whatever the history's length (forms.py).
            models.Index(fields=["owner", "top_cause_slug"], name="episode_owner_top_cause"),
            # `send_reminders` reads only the episodes whose reminder has not gone out.
            models.Index(
                fields=["created_at"],
                condition=models.Q(reminder_sent_at__isnull=True),
                name="episode_reminder_unsent",
            ),
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
    def triage_level(self) -> Triage:
        return Triage(self.triage)

    @property
    def stops(self) -> bool:
        return self.triage_level.stops

    @property
    def triage_short(self) -> str:
        return self.triage_level.short

    def shown_result(self) -> Result:
        """The result as it was saved (ValueError if the stored JSON is damaged)."""
        return Result.from_dict(self.result)

    @property
    def serious(self) -> bool:
        """A serious rule fired: the result led with its warning (see Result.serious)."""
        try:
            return self.shown_result().serious
        except ValueError:
            return False

    @property
    def likely_cause_name(self) -> str:
        """The top cause's name when the result called it likely, else ""."""
        try:
            causes = self.shown_result().shown_causes
        except ValueError:
            return ""
        return causes[0].name if causes and causes[0].band == LIKELY else ""

    def saved_follow_up(self) -> FollowUp | None:
        try:
            return self.follow_up
        except FollowUp.DoesNotExist:
            return None

    def previous_longest_km(self) -> Decimal | None:
        """The longest run in the 30 days before this one: of the episodes logged, and of
        every run in the training log."""
        days = {
            "run_date__gte": self.run_date - timedelta(days=LOAD_SPIKE_WINDOW_DAYS),
            "run_date__lt": self.run_date,
        }
        episode_km: Decimal | None = (
            Episode.objects.filter(owner_id=self.owner_id, **days)
            .exclude(distance_km=None)
            .aggregate(longest=models.Max("distance_km"))["longest"]
        )
        run_m: int | None = Run.objects.filter(owner_id=self.owner_id, **days).aggregate(
            longest=models.Max("distance_m")
        )["longest"]
        found = [km for km in (episode_km, None if run_m is None else Decimal(run_m) / 1000) if km]
        return max(found, default=None)

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
        db_table = "legs_episodecause"
        ordering = ("rank",)
        constraints = [
            models.UniqueConstraint(fields=("episode", "slug"), name="unique_episode_cause"),
        ]

    def __str__(self) -> str:
        return f"{self.rank}. {self.name}"

    @classmethod
    def for_result(cls, episode: Episode, result: Result) -> list[EpisodeCause]:
        """The ranked causes of `result`, unsaved, for `episode`."""
        return [
            cls(episode=episode, slug=c.slug, name=c.name[:120], band=c.band, rank=rank)
            for rank, c in enumerate(result.causes, start=1)
        ]


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
        db_table = "legs_episoderemedy"
        ordering = ("pk",)
        verbose_name_plural = "episode remedies"

    def __str__(self) -> str:
        return self.title

    @classmethod
    def for_result(cls, episode: Episode, result: Result) -> list[EpisodeRemedy]:
        """The remedies a page shows with `result` (so the runner can tick the ones they
        try), unsaved, for `episode`."""
        return [
            cls(
                episode=episode,
                cause_slug=cause.slug,
                cause_name=cause.name[:120],
                position=position,
                title=remedy.title[:160],
                summary=remedy.summary[:300],
                kind=remedy.kind,
            )
            for cause in result.shown_causes
            for position, remedy in enumerate(cause.remedies)
        ]


class FollowUp(models.Model):
    """How the runner felt after trying the fixes; the latest answer replaces the previous."""

    episode = models.OneToOneField(Episode, on_delete=models.CASCADE, related_name="follow_up")
    outcome = models.CharField(max_length=10, choices=Outcome.choices)
    note = models.TextField(blank=True, max_length=2000)
    given_on = models.DateField(default=timezone.localdate)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "legs_followup"
        verbose_name = "follow-up"

    def __str__(self) -> str:
        return f"{self.get_outcome_display()} ({self.given_on:%d %b %Y})"


# RUNS: the runner's training log, imported from watch files or a Strava export.

# Two recordings of one run (a watch's file and Strava's copy of it) start within this
# much of each other; two different runs of one runner never do.
SAME_RUN_WITHIN = timedelta(minutes=2)


class RunSource(models.TextChoices):
    GPX = "gpx", "GPX file"
    FIT = "fit", "FIT file"
    TCX = "tcx", "TCX file"
    STRAVA = "strava", "Strava export"
    MANUAL = "manual", "Typed in"


def run_fingerprint(
    *, start_time: datetime | None, run_date: date, distance_m: int, moving_time_s: int
) -> str:
    """What makes a run the same run, whichever file it came from: its start, to the minute
    (UTC); without a start time, its date, distance (to 10 m) and moving time."""
    if start_time is not None:
        start = start_time.astimezone(UTC).replace(second=0, microsecond=0)
        return f"start:{start:%Y-%m-%dT%H:%M}Z"
    return f"day:{run_date.isoformat()}:{distance_m // 10 * 10}:{moving_time_s}"


class RunQuerySet(models.QuerySet["Run"]):
    def for_user(self, user: Any) -> RunQuerySet:
        """The runs `user` owns; nothing at all for anyone not logged in."""
        if not getattr(user, "is_authenticated", False):
            return self.none()
        return self.filter(owner=user)

    def starting_near(self, start_time: datetime) -> RunQuerySet:
        """Runs that started within SAME_RUN_WITHIN of `start_time`: the same run."""
        return self.filter(
            start_time__gte=start_time - SAME_RUN_WITHIN,
            start_time__lte=start_time + SAME_RUN_WITHIN,
        )


class Run(models.Model):
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="runs"
    )
    run_date = models.DateField("date of the run")
    start_time = models.DateTimeField(null=True, blank=True)
    distance_m = models.PositiveIntegerField("distance (m)")
    moving_time_s = models.PositiveIntegerField("moving time (s)")
    elevation_gain_m = models.PositiveIntegerField("elevation gain (m)", null=True, blank=True)
    average_heart_rate = models.PositiveSmallIntegerField(
        "average heart rate (bpm)", null=True, blank=True
    )
    source = models.CharField(max_length=10, choices=RunSource.choices)
    fingerprint = models.CharField(
        max_length=64,
        help_text="Start time to the minute (or date, distance and time): one run is stored once.",
    )
    strava_id = models.BigIntegerField("Strava activity id", null=True, blank=True)
    episode = models.ForeignKey(
        Episode,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="runs",
        help_text="The heavy-leg episode saved for this run, if any.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = RunQuerySet.as_manager()

    class Meta:
        ordering = ("-run_date", "-start_time", "-pk")
        indexes = [
            # The runs page, the weekly load and the longest-run comparisons.
            models.Index(fields=["owner", "-run_date", "-distance_m"], name="run_owner_date"),
            # The duplicate check: a run starting within two minutes of another.
            models.Index(fields=["owner", "start_time"], name="run_owner_start"),
        ]
        constraints = [
            models.UniqueConstraint(fields=("owner", "fingerprint"), name="unique_run_fingerprint"),
            models.UniqueConstraint(
                fields=("owner", "strava_id"),
                condition=models.Q(strava_id__isnull=False),
                name="unique_run_strava_id",
            ),
            models.CheckConstraint(
                condition=models.Q(distance_m__gt=0, distance_m__lte=1_000_000),
                name="run_distance_1m_to_1000km",
            ),
        ]

    def __str__(self) -> str:
        return f"Run of {self.run_date:%d %b %Y}"

    def get_absolute_url(self) -> str:
        return reverse("history:run_detail", kwargs={"pk": self.pk})

    @property
    def distance_km(self) -> Decimal:
        return Decimal(self.distance_m) / 1000

    def distance_in(self, unit: str) -> Decimal:
        return km_to(self.distance_km, unit)

    @property
    def moving_time_text(self) -> str:
        """“45:10” or “1:05:10”."""
        minutes, seconds = divmod(self.moving_time_s, 60)
        hours, minutes = divmod(minutes, 60)
        return f"{hours}:{minutes:02d}:{seconds:02d}" if hours else f"{minutes}:{seconds:02d}"

    def pace_in(self, unit: str) -> str:
        """Minutes per km (or mile), “5:32”; empty for a run without a moving time."""
        distance = float(self.distance_in(unit))
        if not self.moving_time_s or not distance:
            return ""
        seconds = round(self.moving_time_s / distance)
        return f"{seconds // 60}:{seconds % 60:02d}"


class ImportStatus(models.TextChoices):
    WAITING = "waiting", "Waiting to start"
    RUNNING = "running", "Importing"
    FINISHED = "finished", "Finished"
    FAILED = "failed", "Stopped by an error"


class ImportBatchQuerySet(models.QuerySet["ImportBatch"]):
    def for_user(self, user: Any) -> ImportBatchQuerySet:
        if not getattr(user, "is_authenticated", False):
            return self.none()
        return self.filter(owner=user)


class ImportBatch(models.Model):
    """One upload of run files, imported in the background; the page polls its counts."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="import_batches"
    )
    status = models.CharField(
        max_length=10, choices=ImportStatus.choices, default=ImportStatus.WAITING
    )
    total = models.PositiveIntegerField(default=0, help_text="Activities found so far.")
    done = models.PositiveIntegerField(default=0, help_text="Activities read so far.")
    imported = models.PositiveIntegerField(default=0)
    duplicates = models.PositiveIntegerField(default=0)
    skipped = models.PositiveIntegerField(default=0, help_text="Activities that are not runs.")
    errors = models.JSONField(
        default=list, blank=True, help_text="Files that could not be read: {file, problem}."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    progress_at = models.DateTimeField(
        null=True,
        blank=True,
        editable=False,
        help_text="When the import last wrote its counts: one that stops moving for "
        "TASKS_STALE_SECONDS is taken to be dead, and may be started again.",
    )
    finished_at = models.DateTimeField(null=True, blank=True)

    objects = ImportBatchQuerySet.as_manager()

    class Meta:
        ordering = ("-created_at", "-pk")
        verbose_name_plural = "import batches"

    def __str__(self) -> str:
        return f"Import of {self.created_at:%d %b %Y %H:%M}"

    def get_absolute_url(self) -> str:
        return reverse("history:import_status", kwargs={"pk": self.pk})

    @property
    def is_over(self) -> bool:
        return self.status in (ImportStatus.FINISHED, ImportStatus.FAILED)

    @property
    def percent(self) -> int:
        if self.is_over:
            return 100
        return int(100 * self.done / self.total) if self.total else 0


class ImportFile(models.Model):
    """An uploaded file waiting to be read. Kept in the database, so a worker on another
    machine or container reads it as the web server wrote it; deleted once read."""

    batch = models.ForeignKey(ImportBatch, on_delete=models.CASCADE, related_name="files")
    name = models.CharField(max_length=255)
    data = models.BinaryField()

    class Meta:
        ordering = ("pk",)

    def __str__(self) -> str:
        return self.name
