"""Episodes in the admin: health data, so superusers may look (read-only) at when an episode
was and what advice it got, never at what the runner wrote or answered; nobody else sees them
at all, not even in the admin's lists, search or app index."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from .models import Episode, ImportBatch, Run


def _is_superuser(request: HttpRequest) -> bool:
    return bool(request.user.is_active and request.user.is_superuser)


class SuperuserReadOnly:
    """View for active superusers; no add or change for anyone."""

    def has_module_permission(self, request: HttpRequest) -> bool:
        return _is_superuser(request)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return _is_superuser(request)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Episode)
class EpisodeAdmin(SuperuserReadOnly, admin.ModelAdmin[Episode]):
    list_display = ("run_date", "owner", "triage", "top_cause_name", "created_at")
    list_filter = ("triage",)
    list_select_related = ("owner",)
    search_fields = ("owner__email",)
    date_hierarchy = "run_date"
    ordering = ("-created_at",)
    actions = None
    # What the runner wrote or answered (notes, answers, the result drawn from them, the
    # remedies tried, follow-ups) is never shown here, nor are the run's details: the privacy
    # page lists exactly these fields, and tests/test_history.py holds the two together.
    fields = (
        "owner",
        "run_date",
        "triage",
        "top_cause_name",
        "knowledge_version",
        "created_at",
        "updated_at",
    )
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> QuerySet[Episode]:
        if not _is_superuser(request):
            return Episode.objects.none()
        return super().get_queryset(request)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Never deleted from here one by one; but a superuser deleting a whole account on
        # the user pages must be able to take that person's episodes with it.
        match = request.resolver_match
        on_episode_pages = bool(match and (match.url_name or "").startswith("history_episode"))
        return _is_superuser(request) and not on_episode_pages


class OwnedMetadataAdmin(SuperuserReadOnly):
    """A runner's rows seen by superusers (metadata only), and by nobody else; deletable
    only with the whole account, from the user pages."""

    own_pages = ""  # the url_name prefix of the model's own admin pages

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        queryset: QuerySet[Any] = super().get_queryset(request)  # type: ignore[misc]
        return queryset if _is_superuser(request) else queryset.none()

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        match = request.resolver_match
        on_own_pages = bool(match and (match.url_name or "").startswith(self.own_pages))
        return _is_superuser(request) and not on_own_pages


@admin.register(Run)
class RunAdmin(OwnedMetadataAdmin, admin.ModelAdmin[Run]):
    own_pages = "history_run_"
    list_select_related = ("owner",)
    search_fields = ("owner__email",)
    actions = None
    list_display = ("run_date", "owner", "source", "created_at")
    list_filter = ("source",)
    date_hierarchy = "run_date"
    ordering = ("-created_at",)
    # The run itself (distance, time, heart rate, elevation) is never shown: the privacy
    # page lists exactly these fields (tests/test_runs.py holds the two together).
    fields = ("owner", "run_date", "source", "created_at")
    readonly_fields = fields


@admin.register(ImportBatch)
class ImportBatchAdmin(OwnedMetadataAdmin, admin.ModelAdmin[ImportBatch]):
    own_pages = "history_importbatch_"
    list_select_related = ("owner",)
    search_fields = ("owner__email",)
    actions = None
    list_display = ("created_at", "owner", "status", "total", "imported", "finished_at")
    list_filter = ("status",)
    ordering = ("-created_at",)
    fields = (
        "owner",
        "status",
        "total",
        "done",
        "imported",
        "duplicates",
        "skipped",
        "created_at",
        "finished_at",
    )
    readonly_fields = fields
