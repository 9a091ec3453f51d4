"""Template filters for showing form errors (registered in settings.TEMPLATES as a library:
`config` is not an app, and these serve every app's pages)."""

from __future__ import annotations

from collections.abc import Iterable

from django import template
from django.forms import BaseForm

register = template.Library()


@register.filter
def with_errors(forms: BaseForm | Iterable[BaseForm] | str | None) -> list[BaseForm]:
    """The forms among `forms` (one form, or a list of them) that have errors, in order.
    A missing template variable arrives as "" and has none."""
    if not forms:
        return []
    if isinstance(forms, BaseForm):
        forms = [forms]
    elif isinstance(forms, str):
        return []
    return [form for form in forms if form.errors]
