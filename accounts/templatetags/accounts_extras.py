from __future__ import annotations

from datetime import timedelta

from django import template

register = template.Library()


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


@register.filter
def duration_words(value: timedelta | None) -> str:
    """A lockout length in plain words: "30 minutes", "1 hour and 15 minutes"."""
    if not isinstance(value, timedelta):
        return ""
    minutes = max(1, round(value.total_seconds() / 60))
    hours, minutes = divmod(minutes, 60)
    parts = [_plural(hours, "hour")] if hours else []
    if minutes:
        parts.append(_plural(minutes, "minute"))
    return " and ".join(parts)
