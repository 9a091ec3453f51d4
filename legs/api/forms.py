from __future__ import annotations

from datetime import timedelta

from django import forms

from .models import DEFAULT_EXPIRY_DAYS, EXPIRY_DAYS, TokenScope


class TokenForm(forms.Form):
    name = forms.CharField(
        max_length=80,
        help_text="What it is for, so you can tell your tokens apart: “Watch app”.",
    )
    scope = forms.ChoiceField(
        label="Access",
        choices=TokenScope.choices,
        initial=TokenScope.READ,
        widget=forms.RadioSelect,
    )
    expires_in = forms.TypedChoiceField(
        label="Expires after",
        coerce=int,
        choices=[(days, f"{days} days") for days in EXPIRY_DAYS],
        initial=DEFAULT_EXPIRY_DAYS,
    )

    def lifetime(self) -> timedelta:
        return timedelta(days=self.cleaned_data["expires_in"])
