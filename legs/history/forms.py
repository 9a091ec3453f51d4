"""Forms of the episode history: run context, the follow-up (fixes tried and how the legs
feel), filters."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from accounts.models import DistanceUnit, User
from legs.knowledge.models import Cause
from legs.knowledge.triage import Triage

from .imports import UPLOAD_EXTENSIONS
from .models import (
    Episode,
    EpisodeCause,
    EpisodeQuerySet,
    EpisodeRemedy,
    FollowUp,
    LegsAffected,
    Outcome,
    km_from,
    validate_not_future,
)
from .services import RunContext

DATE_WIDGET_FORMAT = "%Y-%m-%d"
DATE_ERRORS = {"invalid": "Enter a real date, for example 2026-03-14 or 14/03/2026."}
MAX_DURATION = timedelta(hours=48)
DURATION_PATTERN = re.compile(
    r"^(?:(?P<hours>\d{1,2}):(?P<minutes>\d{2})(?::(?P<seconds>\d{2}))?|(?P<only>\d{1,4}))$"
)
HEAVINESS_WORDS = {1: "barely noticeable", 5: "clearly heavy", 10: "could hardly run"}


def date_widget() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"}, format=DATE_WIDGET_FORMAT)


class DurationInputField(forms.Field):
    """Minutes (“45”), hours and minutes (“1:05”) or hours, minutes and seconds (“1:05:30”)."""

    default_error_messages = {
        "invalid": "Enter minutes (45) or hours and minutes (1:05).",
        "too_long": "That is longer than 48 hours. Enter the time of this one run.",
    }

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, timedelta):
            minutes = round(value.total_seconds() / 60)
            return f"{minutes // 60}:{minutes % 60:02d}"
        return value

    def to_python(self, value: Any) -> timedelta | None:
        text = str(value or "").strip().replace(" ", "")[:20]
        if not text:
            return None
        match = DURATION_PATTERN.match(text)
        if match is None:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        if match["only"] is not None:
            duration = timedelta(minutes=int(match["only"]))
        else:
            if int(match["minutes"]) > 59 or int(match["seconds"] or 0) > 59:
                raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
            duration = timedelta(
                hours=int(match["hours"]),
                minutes=int(match["minutes"]),
                seconds=int(match["seconds"] or 0),
            )
        if duration <= timedelta(0):
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        if duration > MAX_DURATION:
            raise forms.ValidationError(self.error_messages["too_long"], code="too_long")
        return duration


def heaviness_choices() -> list[tuple[str | int, str]]:
    choices: list[tuple[str | int, str]] = [("", "Not recorded")]
    for n in range(1, 11):
        words = HEAVINESS_WORDS.get(n)
        choices.append((n, f"{n} – {words}" if words else str(n)))
    return choices


class RunContextForm(forms.Form):
    run_date = forms.DateField(
        label="Date of the run",
        widget=date_widget(),
        error_messages={**DATE_ERRORS, "required": "Enter the date of the run."},
    )
    distance = forms.DecimalField(
        label="Distance",
        required=False,
        min_value=Decimal("0.01"),
        max_value=Decimal("600"),
        max_digits=6,
        decimal_places=2,
        widget=forms.NumberInput(attrs={"step": "0.01", "inputmode": "decimal"}),
        error_messages={
            "invalid": "Enter the distance as a number, for example 8.5.",
            "max_decimal_places": "Use at most two decimals, for example 8.25.",
        },
    )
    unit = forms.ChoiceField(label="Unit", choices=DistanceUnit.choices)
    duration = DurationInputField(
        label="Time running",
        required=False,
        help_text="Minutes (45) or hours:minutes (1:05).",
        widget=forms.TextInput(attrs={"maxlength": 10, "autocomplete": "off"}),
    )
    heaviness = forms.TypedChoiceField(
        label="How heavy did your legs feel?",
        required=False,
        coerce=int,
        empty_value=None,
        choices=heaviness_choices,
    )
    legs = forms.ChoiceField(
        label="Which legs",
        required=False,
        choices=[("", "Not recorded"), *LegsAffected.choices],
    )
    notes = forms.CharField(
        label="Notes",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Anything you want to remember: route, weather, how the day went.",
    )

    field_order = ("run_date", "distance", "unit", "duration", "heaviness", "legs", "notes")

    def clean_run_date(self) -> date:
        value: date = self.cleaned_data["run_date"]
        validate_not_future(value)
        return value

    def run_context(self) -> RunContext:
        data = self.cleaned_data
        distance: Decimal | None = data.get("distance")
        return RunContext(
            run_date=data["run_date"],
            distance_km=None if distance is None else km_from(distance, data["unit"]),
            duration=data.get("duration"),
            heaviness=data.get("heaviness"),
            legs=data.get("legs") or "",
            notes=data.get("notes") or "",
        )

    @staticmethod
    def initial_for(episode: Episode, unit: str) -> dict[str, Any]:
        return {
            "run_date": episode.run_date,
            "distance": episode.distance_in(unit),
            "unit": unit,
            "duration": episode.duration,
            "heaviness": episode.heaviness,
            "legs": episode.legs,
            "notes": episode.notes,
        }


RUN_CONTEXT_FIELDS = tuple(RunContextForm.base_fields)


class SaveEpisodeForm(RunContextForm):
    token = forms.UUIDField(widget=forms.HiddenInput)

    @staticmethod
    def initial_for_result(
        *, token: str, unit: str, answers: dict[str, Any], pending: dict[str, str] | None
    ) -> dict[str, Any]:
        legs = answers.get("legs")
        initial: dict[str, Any] = {
            "token": token,
            "unit": unit,
            "run_date": timezone.localdate(),
            "legs": legs if legs in (LegsAffected.BOTH, LegsAffected.ONE) else "",
        }
        # Details typed before logging in come back exactly as they were typed.
        initial.update(pending or {})
        return initial


class FollowUpForm(forms.Form):
    """The episode page's one form: the fixes the runner tried, and how their legs feel now.

    Both are saved together, so ticking a fix never loses a follow-up being written, nor the
    other way round. How the legs feel is optional until there is something to say; once
    given, it is shown ticked and saved again with any change to the fixes.
    """

    tried = forms.TypedMultipleChoiceField(
        label="Fixes you tried",
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
        error_messages={"invalid_choice": "Tick only fixes shown with this episode."},
    )
    outcome = forms.ChoiceField(
        label="Since trying the fixes, your legs feel",
        required=False,
        choices=Outcome.choices,
        widget=forms.RadioSelect,
        error_messages={"invalid_choice": "Pick better, about the same or worse."},
    )
    note = forms.CharField(
        label="Note (optional)",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="What you tried, and what changed.",
    )

    def __init__(self, *args: Any, remedies: Sequence[EpisodeRemedy], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["tried"]
        assert isinstance(field, forms.TypedMultipleChoiceField)  # noqa: S101 - declared above
        field.choices = [(r.pk, r.title) for r in remedies]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if cleaned.get("note") and not cleaned.get("outcome") and not self.has_error("outcome"):
            self.add_error(
                "outcome", "Pick better, about the same or worse, to save your note with it."
            )
        return cleaned

    @staticmethod
    def initial_for(
        remedies: Sequence[EpisodeRemedy], follow_up: FollowUp | None
    ) -> dict[str, Any]:
        initial: dict[str, Any] = {"tried": [r.pk for r in remedies if r.tried]}
        if follow_up is not None:
            initial.update(outcome=follow_up.outcome, note=follow_up.note)
        return initial


def cause_choices(user: User) -> list[tuple[str, str]]:
    """The causes of the knowledge base, and those since unpublished that came up in one
    of this runner's episodes, by name; one query.

    Not the distinct causes of the runner's EpisodeCause rows: with a long history that is
    a scan of every cause of every episode (190,000 rows for 10,000 episodes). Here the
    cost does not grow with the history: a few dozen causes, and for each unpublished one
    an EXISTS that stops at the first of the runner's episodes naming it (the slug index).
    A cause an editor deleted is not offered.
    """
    own = EpisodeCause.objects.filter(episode__owner=user, slug=OuterRef("slug"))
    rows = (
        Cause.objects.filter(Q(published=True) | Q(Exists(own)))
        .values_list("slug", "name")
        .order_by()
    )
    return sorted(rows, key=lambda item: item[1].lower())


class HistoryFilterForm(forms.Form):
    date_from = forms.DateField(
        label="From", required=False, widget=date_widget(), error_messages=DATE_ERRORS
    )
    date_to = forms.DateField(
        label="To", required=False, widget=date_widget(), error_messages=DATE_ERRORS
    )
    triage = forms.ChoiceField(
        label="Advice level",
        required=False,
        choices=[("", "Any"), *Triage.choices()],
        error_messages={"invalid_choice": "Pick an advice level from the list."},
    )
    cause = forms.ChoiceField(
        label="Cause",
        required=False,
        error_messages={"invalid_choice": "Pick a cause from the list."},
    )

    def __init__(self, *args: Any, causes: Sequence[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["cause"]
        assert isinstance(field, forms.ChoiceField)  # noqa: S101 - declared above
        field.choices = [("", "Any"), *causes]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end and start > end:
            self.add_error("date_to", "The end date is before the start date.")
        return cleaned

    def filter(self, episodes: EpisodeQuerySet) -> EpisodeQuerySet:
        """Apply the filters that are valid; a field with an error is left out."""
        if not self.is_bound:
            return episodes
        self.is_valid()
        data = self.cleaned_data
        if data.get("date_from"):
            episodes = episodes.filter(run_date__gte=data["date_from"])
        if data.get("date_to"):
            episodes = episodes.filter(run_date__lte=data["date_to"])
        if data.get("triage"):
            episodes = episodes.filter(triage=data["triage"])
        if data.get("cause"):
            episodes = episodes.with_cause(data["cause"])
        return episodes

    @property
    def active(self) -> bool:
        return self.is_bound and any(self.data.get(name) for name in self.fields)


# IMPORTING RUNS


class UploadLimit(FileUploadHandler):
    """Stops reading an upload larger than `max_bytes` before a byte of it is stored, even
    in a temporary file. Insert it first in request.upload_handlers before the body is read;
    the form fields sent before the files (the CSRF token) are still read."""

    def __init__(self, max_bytes: int) -> None:
        super().__init__()
        self.max_bytes = max_bytes
        self.exceeded = False

    def handle_raw_input(
        self,
        input_data: Any,
        META: dict[str, Any],  # noqa: N803 - Django's name
        content_length: int,
        boundary: Any,
        encoding: str | None = None,
    ) -> None:
        self.exceeded = content_length > self.max_bytes

    def new_file(self, *args: Any, **kwargs: Any) -> None:
        if self.exceeded:
            # The rest of the body is read and dropped, so the browser gets the answer.
            raise StopUpload(connection_reset=False)
        super().new_file(*args, **kwargs)

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Django's documented way to take several files in one field."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[UploadedFile[Any]]:
        items = [item for item in (data if isinstance(data, list | tuple) else [data]) if item]
        if not items:
            return [super().clean(None, initial)]
        cleaned: list[UploadedFile[Any]] = []
        problems: list[str] = []
        for item in items:
            try:
                cleaned.append(super().clean(item, initial))
            except forms.ValidationError as exc:
                problems.append(f"{getattr(item, 'name', 'a file')}: {' '.join(exc.messages)}")
        if problems:
            raise forms.ValidationError(problems)
        return cleaned


def _megabytes(size: int) -> str:
    return f"{size / 2**20:.0f} MB"


class RunImportForm(forms.Form):
    uploads = MultipleFileField(
        label="Files from your watch or Strava",
        help_text=(
            "GPX, FIT or TCX files (also .gz), a Strava bulk export (.zip), or the "
            "activities.csv from inside it. Pick several files at once if you like."
        ),
        error_messages={
            "required": "Choose at least one file.",
            "empty": "That file is empty.",
            "invalid": "That is not a file. Choose the file again.",
        },
    )

    def __init__(self, *args: Any, max_bytes: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.max_bytes = max_bytes
        self.fields["uploads"].widget.attrs["accept"] = ",".join(UPLOAD_EXTENSIONS)

    def clean_uploads(self) -> list[UploadedFile[Any]]:
        files: list[UploadedFile[Any]] = self.cleaned_data["uploads"]
        problems = []
        for upload in files:
            name = upload.name or ""
            if not name.lower().endswith(UPLOAD_EXTENSIONS):
                problems.append(f"{name}: not a GPX, FIT, TCX, .gz, .zip or .csv file.")
        if problems:
            raise forms.ValidationError(problems)
        if sum(upload.size or 0 for upload in files) > self.max_bytes:
            raise forms.ValidationError(
                f"Together the files are larger than {_megabytes(self.max_bytes)}: "
                "upload them in parts."
            )
        return files

    def upload_too_big(self) -> None:
        self.add_error(
            "uploads",
            f"The upload is larger than {_megabytes(self.max_bytes)}, so nothing was read. "
            "Upload fewer files at a time, or only the activities.csv of a Strava export.",
        )

    def named_data(self) -> list[tuple[str, bytes]]:
        return [(upload.name or "upload", upload.read()) for upload in self.cleaned_data["uploads"]]
