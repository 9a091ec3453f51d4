from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import template
from django.utils import timezone

from legs.assessment.wizard import StoredResult

from ..models import FOLLOW_UP_AFTER, Episode, Run, km_to
from ..views import result_save_context

register = template.Library()


@register.inclusion_tag("history/_save_form.html", takes_context=True)
def result_save_form(context: template.Context) -> dict[str, Any]:
    """The form that saves the result on the page to the runner's history (or the episode it
    is saved as). A form with errors comes from the view that checked it."""
    request = context["request"]
    stored = StoredResult.load(request.session)
    shown = {"stops": context.get("stops", False), "user": context.get("user")}
    if stored is None:
        return shown
    return {**shown, **result_save_context(request, stored, context.get("save_form"))}


@register.filter
def distance_in(episode: Episode, unit: str) -> Decimal | None:
    """The episode's distance in the runner's unit (None when not recorded)."""
    return episode.distance_in(unit)


@register.filter
def follow_up_due(episode: Episode) -> bool:
    """Saved long enough ago to ask how the legs are, and not answered yet (the rule of
    `EpisodeQuerySet.needing_follow_up`, for an episode already at hand)."""
    return (
        episode.saved_follow_up() is None and episode.created_at <= timezone.now() - FOLLOW_UP_AFTER
    )


@register.filter
def run_distance(run: Run, unit: str) -> str:
    """“10.02 km” in the runner's unit."""
    return f"{run.distance_in(unit)} {unit}"


@register.filter
def run_pace(run: Run, unit: str) -> str:
    """“5:32 /km”, or a dash."""
    pace = run.pace_in(unit)
    return f"{pace} /{unit}" if pace else "–"


@register.filter
def metres_in(metres: float, unit: str) -> str:
    """A distance in metres, as “12.3 km” or “7.6 mi”."""
    return f"{km_to(Decimal(str(metres)) / 1000, unit):.1f} {unit}"
