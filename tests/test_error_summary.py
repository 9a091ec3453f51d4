"""The error summary shared by every form page (templates/includes/_error_summary.html)."""

from __future__ import annotations

import re
from pathlib import Path

from django import forms
from django.template.loader import render_to_string


class RunForm(forms.Form):
    distance = forms.DecimalField(label="Distance")
    feel = forms.ChoiceField(
        label="How did it feel?", choices=[("ok", "OK"), ("bad", "Bad")], widget=forms.RadioSelect
    )
    token = forms.CharField(widget=forms.HiddenInput)

    def clean(self) -> dict[str, object]:
        raise forms.ValidationError("Something about the whole form.")


class NoteForm(forms.Form):
    note = forms.CharField(label="Note")


def summary(forms_: object) -> str:
    return render_to_string("includes/_error_summary.html", {"forms": forms_})


def test_nothing_is_shown_without_errors() -> None:
    assert summary([NoteForm(), NoteForm({"note": "fine"})]).strip() == ""
    assert summary(NoteForm({"note": "fine"})).strip() == ""
    assert summary("").strip() == ""


def test_each_error_links_to_its_field_and_the_summary_takes_the_focus() -> None:
    page = summary([RunForm({}), NoteForm({"note": "fine"}), NoteForm({})])
    assert page.count("data-error-summary") == 1
    assert re.search(r'<div[^>]*role="alert"[^>]*tabindex="-1"', page)
    assert "There is a problem" in page
    # A text box is its own target; a group of radio buttons is reached through its first one.
    assert 'href="#id_distance"' in page
    assert 'href="#id_feel_0"' in page
    assert 'href="#id_note"' in page
    assert "Something about the whole form." in page
    # A hidden field's error is listed, but has nothing to link to.
    assert 'href="#id_token"' not in page
    assert page.count("This field is required.") == 4
    assert re.search(r'<script src="[^"]*js/error-summary\.js" defer>', page)


def test_one_form_can_be_given_on_its_own() -> None:
    assert 'href="#id_note"' in summary(NoteForm({}))


def test_the_focus_script_is_a_static_file() -> None:
    script = Path(__file__).resolve().parents[1] / "static" / "js" / "error-summary.js"
    assert "[data-error-summary]" in script.read_text()
