"""The editors' safety net: before a change to the knowledge base is saved in the admin,
the admin shows what it would do to the public vignettes.

The knowledge app cannot use the engine (apps depend one way: knowledge ← assessment), so
this app registers the knowledge admin pages again with the net added. The change is made
inside a transaction that is rolled back, a snapshot is built from it and every vignette is
scored before and after:
- nothing moves: the change is saved as usual;
- a story's triage rises or its top cause changes: the form comes back with the stories
  and a "Save anyway" button;
- a story's triage drops: saving also needs a ticked confirmation, and is logged in the
  object's admin history and by the app's logger at WARNING.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import admin
from django.contrib.admin.models import LogEntry
from django.contrib.admin.utils import unquote
from django.db import router, transaction
from django.db.models import Model, ProtectedError, RestrictedError
from django.http import HttpRequest, HttpResponse, QueryDict

from legs.knowledge import admin as knowledge_admin
from legs.knowledge.models import Cause, Choice, Evidence, Question, Rule
from legs.knowledge.published import get_knowledge, load_knowledge
from legs.knowledge.snapshot import Knowledge

from .preview import VignetteChange, changes_token, load_vignettes, vignette_changes

logger = logging.getLogger(__name__)

SEEN_FIELD = "_vignettes_seen"
CONFIRM_FIELD = "_confirm_lower_triage"


@dataclass
class Preview:
    """What the editor is shown above the form; `changes` empty when `problem` is set."""

    changes: list[VignetteChange] = field(default_factory=list)
    total: int = 0
    problem: str = ""
    token: str = ""
    # Shown again because the confirmation box was not ticked.
    tick_missing: bool = False

    @property
    def lowered(self) -> list[VignetteChange]:
        return [c for c in self.changes if c.lowers]

    @property
    def quiet(self) -> bool:
        """Nothing to show: the change moves no story."""
        return not self.changes and not self.problem


@dataclass
class _Net:
    """The net's state for one request."""

    dry_run: bool = False
    saved: bool = False
    preview: Preview | None = None
    lowered: list[VignetteChange] = field(default_factory=list)


def _net(request: HttpRequest) -> _Net:
    net: _Net = request.__dict__.setdefault("_legs_safety_net", _Net())
    return net


class VignettePreviewMixin(admin.ModelAdmin[Any]):
    """Adds the preview to an admin's add, change and delete pages (see the module
    docstring). Django's "Delete selected" action is removed: it would delete with no
    preview, so rows are deleted one at a time, through the previewed delete page."""

    def get_actions(
        self,
        request: HttpRequest,
        action_location: admin.ActionLocation = admin.ActionLocation.CHANGE_LIST,
    ) -> dict[str, Any]:
        actions = super().get_actions(request, action_location)
        actions.pop("delete_selected", None)
        return actions

    def changeform_view(
        self,
        request: HttpRequest,
        object_id: str | None = None,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        if request.method != "POST":
            return super().changeform_view(request, object_id, form_url, extra_context)
        preview, response = self._dry_run(request, object_id, form_url, extra_context)
        if preview is None:
            # Not saved (the form has errors): the page shows them as usual.
            return response
        if not preview.quiet and not self._confirmed(request, preview):
            # The form again, with what it posted and the stories above it; nothing saved.
            _net(request).preview = preview
        else:
            _net(request).lowered = preview.lowered
        return super().changeform_view(request, object_id, form_url, extra_context)

    def delete_view(
        self, request: HttpRequest, object_id: str, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        """The confirmation page shows what deleting would do to the stories; deleting
        what lowers a triage needs the box ticked too."""
        preview = self._delete_preview(request, object_id)
        context = dict(extra_context or {})
        if preview is not None and not preview.quiet:
            context.update(vignette_preview=preview, seen_field=SEEN_FIELD)
            context.update(confirm_field=CONFIRM_FIELD)
            if request.POST and not self._confirmed(request, preview):
                # The confirmation page again (Django deletes only on a POST with data).
                request.POST = QueryDict()
            else:
                _net(request).lowered = preview.lowered
        return super().delete_view(request, object_id, context)

    def _delete_preview(self, request: HttpRequest, object_id: str) -> Preview | None:
        obj = self.get_object(request, unquote(object_id))
        if obj is None:
            return None
        before = get_knowledge()
        try:
            with transaction.atomic(using=router.db_for_write(self.model)):
                obj.delete()
                after = load_knowledge()
                transaction.set_rollback(True)
        except (ProtectedError, RestrictedError):
            return None  # Django's page says what stands in the way
        return self._preview(before, after)

    def _preview(self, before: Knowledge, after: Knowledge) -> Preview:
        try:
            vignettes = load_vignettes(settings.SAFETY_VIGNETTES_FILE)
        except ValueError as exc:
            return Preview(problem=str(exc), token=changes_token([]))
        changes = vignette_changes(vignettes, before, after)
        return Preview(changes, len(vignettes), token=changes_token(changes))

    def _dry_run(
        self,
        request: HttpRequest,
        object_id: str | None,
        form_url: str,
        extra_context: dict[str, Any] | None,
    ) -> tuple[Preview | None, HttpResponse]:
        """Save the change as the admin would, score the vignettes, then roll it all back."""
        before = get_knowledge()
        net = _net(request)
        net.dry_run, net.saved = True, False
        try:
            with transaction.atomic(using=router.db_for_write(self.model)):
                response = super().changeform_view(request, object_id, form_url, extra_context)
                after = load_knowledge() if net.saved else None
                transaction.set_rollback(True)
        finally:
            net.dry_run = False
        if after is None:
            return None, response
        return self._preview(before, after), response

    @staticmethod
    def _confirmed(request: HttpRequest, preview: Preview) -> bool:
        """The editor saw exactly this effect, and ticked the box if it lowers a triage."""
        if request.POST.get(SEEN_FIELD) != preview.token:
            return False
        if preview.lowered and request.POST.get(CONFIRM_FIELD) != "on":
            preview.tick_missing = True
            return False
        return True

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> type[forms.ModelForm[Any]]:
        form_class = super().get_form(request, obj, change, **kwargs)
        if _net(request).preview is None:
            return form_class

        class HeldForm(form_class):  # type: ignore[valid-type,misc]
            """Keeps the change unsaved while the editor looks at its effect."""

            def clean(self) -> dict[str, Any]:
                cleaned: dict[str, Any] = super().clean()
                self.add_error(None, "Check the effect of this change on the public vignettes.")
                return cleaned

        return HeldForm

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        _net(request).saved = True

    def render_change_form(
        self,
        request: HttpRequest,
        context: dict[str, Any],
        add: bool = False,
        change: bool = False,
        form_url: str = "",
        obj: Any = None,
    ) -> HttpResponse:
        preview = _net(request).preview
        if preview is not None:
            # The stories replace the "please correct the errors" note: nothing is wrong.
            context.update(vignette_preview=preview, errors=None)
            context.update(seen_field=SEEN_FIELD, confirm_field=CONFIRM_FIELD)
        return super().render_change_form(request, context, add, change, form_url, obj)

    def message_user(self, request: HttpRequest, *args: Any, **kwargs: Any) -> None:
        if not _net(request).dry_run:
            super().message_user(request, *args, **kwargs)

    def log_addition(self, request: HttpRequest, obj: Model, message: Any) -> LogEntry:
        entry = super().log_addition(request, obj, message)
        self._log_lowered(request, obj)
        return entry

    def log_change(self, request: HttpRequest, obj: Model, message: Any) -> LogEntry:
        entry = super().log_change(request, obj, message)
        self._log_lowered(request, obj)
        return entry

    def log_deletions(self, request: HttpRequest, queryset: Any) -> Any:
        for obj in queryset:
            # Logged before the row goes, while the history can still point to it.
            self._log_lowered(request, obj)
        return super().log_deletions(request, queryset)

    def _log_lowered(self, request: HttpRequest, obj: Model) -> None:
        net = _net(request)
        lowered = net.lowered
        if not lowered or net.dry_run:
            return
        stories = "; ".join(f"{c.id}: {c.before} → {c.after}" for c in lowered)
        text = (
            f"Saved after confirming that it lowers the triage of {len(lowered)} public "
            f"vignette{'s' if len(lowered) != 1 else ''}: {stories}"
        )
        admin.ModelAdmin.log_change(self, request, obj, text)
        logger.warning(
            "Knowledge edit lowers the triage of public vignettes: %s %s by %s. %s",
            obj._meta.verbose_name,
            obj,
            request.user,
            stories,
        )


# The knowledge admin pages, registered again with the net.
class CauseAdmin(VignettePreviewMixin, knowledge_admin.CauseAdmin):
    pass


class QuestionAdmin(VignettePreviewMixin, knowledge_admin.QuestionAdmin):
    pass


class ChoiceAdmin(VignettePreviewMixin, knowledge_admin.ChoiceAdmin):
    pass


class EvidenceAdmin(VignettePreviewMixin, knowledge_admin.EvidenceAdmin):
    pass


class RuleAdmin(VignettePreviewMixin, knowledge_admin.RuleAdmin):
    pass


for _model, _admin_class in [
    (Cause, CauseAdmin),
    (Question, QuestionAdmin),
    (Choice, ChoiceAdmin),
    (Evidence, EvidenceAdmin),
    (Rule, RuleAdmin),
]:
    admin.site.unregister(_model)
    admin.site.register(_model, _admin_class)
