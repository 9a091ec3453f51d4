"""The editors' safety net: a knowledge edit is checked against the public vignettes first.

No story moves: saved at once. A story's triage rises or its top cause changes: the form
comes back with the stories and "Save anyway". A story's triage drops: saving also needs a
ticked box, and is logged.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pytest
from django.contrib.admin.models import LogEntry
from django.test import Client

from legs.assessment.admin import CONFIRM_FIELD, SEEN_FIELD
from legs.knowledge.models import Cause, Choice, Evidence, Question, Rule
from legs.knowledge.published import get_knowledge
from tests.factories import ONE_LEG_ON_THE_PILL, make_one_leg_rule, make_superuser
from tests.test_admin import form_data, rule_errors, url

pytestmark = pytest.mark.usefixtures("seeded")

BASE = {
    "warning_signs": ["none"],
    "legs": "both",
    "timing": "early_then_eases",
    "relief": "eases_once_warm",
    "warmup": "none",
    "risk_factors": ["none"],
}
VIGNETTES = [
    {
        "id": "cold-start",
        "story": "Starts cold.",
        "answers": BASE,
        "expect": {"triage": "self_care"},
    },
    {
        "id": "pill-one-leg",
        "story": "One heavy leg, on the pill.",
        "answers": {**BASE, **ONE_LEG_ON_THE_PILL},
        "expect": {"triage": "urgent"},
    },
    {
        "id": "chest",
        "story": "Chest pain on a run.",
        "answers": {"warning_signs": ["chest_symptoms"]},
        "expect": {"triage": "emergency"},
    },
    # The knowledge base refuses it already: never compared.
    {"id": "retired", "story": "", "answers": {"colour": "red"}, "expect": {}},
]


@pytest.fixture(autouse=True)
def only_the_rules_a_test_adds(seeded: None) -> None:
    """The stories here are this module's own; the seed's clot rules would move them too."""
    Rule.objects.all().delete()


@pytest.fixture(autouse=True)
def vignettes(settings: Any, tmp_path: Path) -> Path:
    path = tmp_path / "vignettes.json"
    path.write_text(json.dumps(VIGNETTES), encoding="utf-8")
    settings.SAFETY_VIGNETTES_FILE = path
    return path


@pytest.fixture
def admin_client(client: Client) -> Client:
    client.force_login(make_superuser())
    return client


def change_page(client: Client, obj: Any) -> tuple[str, dict[str, Any]]:
    address = url(type(obj), "change", obj.pk)
    return address, form_data(client.get(address))


def preview_of(response: Any) -> Any:
    assert response.status_code == 200, response
    return response.context["vignette_preview"]


def confirm(data: dict[str, Any], response: Any, *, tick: bool = False) -> dict[str, Any]:
    """`data` sent again from the preview page: its token, and the box ticked or not."""
    confirmed = {**data, SEEN_FIELD: preview_of(response).token}
    if tick:
        confirmed[CONFIRM_FIELD] = "on"
    return confirmed


# NO STORY MOVES


def test_a_change_that_moves_no_story_is_saved_at_once(admin_client: Client) -> None:
    question = Question.objects.get(key="legs")
    address, data = change_page(admin_client, question)
    response = admin_client.post(address, {**data, "help_text": "Count the leg that feels worse."})
    assert response.status_code == 302
    question.refresh_from_db()
    assert question.help_text == "Count the leg that feels worse."
    assert LogEntry.objects.count() == 1


def test_a_change_with_form_errors_shows_them_without_a_preview(admin_client: Client) -> None:
    form_errors, _ = rule_errors(admin_client, message="")
    assert form_errors == {"message": ["Say what the runner should do when this rule fires."]}


# A STORY'S TRIAGE RISES OR ITS TOP CAUSE CHANGES


def new_rule_data(client: Client, **changes: str) -> dict[str, Any]:
    page = client.get(url(Rule, "add"))
    return {
        **form_data(page),
        "name": "One leg with a clot risk",
        "slug": "one-leg-with-a-clot-risk",
        "level": "urgent",
        "message": "Get medical help today.",
        "order": "10",
        "active": "on",
        "conditions-TOTAL_FORMS": "2",
        "conditions-0-group": "1",
        "conditions-0-question": str(Question.objects.get(key="legs").pk),
        "conditions-0-values": "one",
        "conditions-0-at_least": "1",
        "conditions-1-group": "2",
        "conditions-1-question": str(Question.objects.get(key="risk_factors").pk),
        "conditions-1-values": "hormonal_contraception_or_hrt",
        "conditions-1-at_least": "1",
        **changes,
    }


def test_a_rule_that_raises_a_storys_triage_is_previewed_then_saved_anyway(
    admin_client: Client,
) -> None:
    data = new_rule_data(admin_client)
    first = admin_client.post(url(Rule, "add"), data)
    preview = preview_of(first)
    # Nothing saved, the engine unchanged, the editor's input kept on the page.
    assert not Rule.objects.exists()
    assert get_knowledge().rules == ()
    assert first.context["adminform"].form["slug"].value() == "one-leg-with-a-clot-risk"
    [change] = preview.changes
    assert (change.id, change.raises, change.lowers) == ("pill-one-leg", True, False)
    assert (change.before.triage, change.after.triage) == ("self_care", "urgent")
    assert preview.lowered == []
    page = first.content.decode()
    assert "Check this change before saving it" in page
    assert "1 of the 4 public" in " ".join(page.split())
    assert "Save anyway" in page
    assert "Please correct the error" not in page
    assert CONFIRM_FIELD not in page

    saved = admin_client.post(url(Rule, "add"), confirm(data, first))
    assert saved.status_code == 302
    assert [r.slug for r in get_knowledge().rules] == ["one-leg-with-a-clot-risk"]
    # One entry in the history: nothing was lowered.
    assert LogEntry.objects.count() == 1


def test_a_weight_that_changes_a_top_cause_is_previewed(admin_client: Client) -> None:
    before = preview_free_top_cause()
    evidence = Evidence.objects.filter(
        choice__question__key="warmup", choice__value="none", cause__slug=before
    ).get()
    address, data = change_page(admin_client, evidence)
    response = admin_client.post(address, {**data, "weight": "-10"})
    changes = {c.id: c for c in preview_of(response).changes}
    assert changes["cold-start"].before.top == before
    assert changes["cold-start"].after.top != before
    assert not changes["cold-start"].lowers
    evidence.refresh_from_db()
    assert evidence.weight != -10
    saved = admin_client.post(address, confirm({**data, "weight": "-10"}, response))
    assert saved.status_code == 302
    evidence.refresh_from_db()
    assert evidence.weight == -10


def preview_free_top_cause() -> str:
    from legs.assessment.engine import assess

    return assess(BASE, get_knowledge()).causes[0].slug


def test_an_edit_made_after_the_preview_is_previewed_again(admin_client: Client) -> None:
    data = new_rule_data(admin_client)
    first = admin_client.post(url(Rule, "add"), data)
    # The editor now makes it an emergency: its effect was never shown.
    changed = confirm({**data, "level": "emergency"}, first)
    second = admin_client.post(url(Rule, "add"), changed)
    [change] = preview_of(second).changes
    assert change.after.triage == "emergency"
    assert not Rule.objects.exists()


def test_unreadable_vignettes_are_said_and_the_change_waits_for_save_anyway(
    admin_client: Client, vignettes: Path
) -> None:
    vignettes.write_text("{not json", encoding="utf-8")
    question = Question.objects.get(key="legs")
    address, data = change_page(admin_client, question)
    response = admin_client.post(address, {**data, "help_text": "New help."})
    preview = preview_of(response)
    assert "cannot be read" in preview.problem
    assert "The change could not be checked" in response.content.decode()
    assert (
        admin_client.post(
            address, confirm({**data, "help_text": "New help."}, response)
        ).status_code
        == 302
    )


# A STORY'S TRIAGE DROPS


def lower_chest_pain(client: Client) -> tuple[str, dict[str, Any]]:
    """The chest-symptoms warning sign edited from emergency down to urgent."""
    choice = Choice.objects.get(question__key="warning_signs", value="chest_symptoms")
    address, data = change_page(client, choice)
    return address, {**data, "triage": "urgent"}


def test_lowering_a_storys_triage_needs_the_box_ticked_and_is_logged(
    admin_client: Client, caplog: pytest.LogCaptureFixture
) -> None:
    address, data = lower_chest_pain(admin_client)
    first = admin_client.post(address, data)
    preview = preview_of(first)
    [change] = preview.lowered
    assert (change.id, change.before.triage, change.after.triage) == (
        "chest",
        "emergency",
        "urgent",
    )
    page = first.content.decode()
    assert "lowers the triage of 1 story" in page
    assert f'name="{CONFIRM_FIELD}"' in page

    # "Save anyway" without the box: shown again, with a word about the box.
    unticked = admin_client.post(address, confirm(data, first))
    assert preview_of(unticked).tick_missing
    assert "Tick the box below" in unticked.content.decode()
    chest = Choice.objects.get(question__key="warning_signs", value="chest_symptoms")
    assert chest.triage == "emergency"

    with caplog.at_level(logging.WARNING, logger="legs.assessment.admin"):
        saved = admin_client.post(address, confirm(data, first, tick=True))
    assert saved.status_code == 302
    chest.refresh_from_db()
    assert chest.triage == "urgent"
    entries = [e.get_change_message() for e in LogEntry.objects.order_by("pk")]
    assert len(entries) == 2
    assert entries[1].startswith("Saved after confirming that it lowers the triage of 1 public")
    assert "chest: Emergency → Doctor today" in entries[1]
    [record] = [r for r in caplog.records if r.name == "legs.assessment.admin"]
    assert record.levelno == logging.WARNING
    assert "chest" in record.getMessage()


def test_removing_a_warning_sign_a_story_gives_counts_as_lowering_it(admin_client: Client) -> None:
    question = Question.objects.get(key="warning_signs")
    address, data = change_page(admin_client, question)
    forms = int(data["choices-TOTAL_FORMS"])
    chest = next(n for n in range(forms) if data.get(f"choices-{n}-value") == "chest_symptoms")
    data[f"choices-{chest}-DELETE"] = "on"
    response = admin_client.post(address, data)
    [change] = preview_of(response).lowered
    assert change.id == "chest"
    assert change.after.triage is None
    assert "answers refused" in str(change.after)
    assert Choice.objects.filter(value="chest_symptoms").exists()


def test_deleting_a_rule_that_lowers_a_storys_triage_needs_the_box_ticked(
    admin_client: Client, caplog: pytest.LogCaptureFixture
) -> None:
    rule = make_one_leg_rule(level="urgent")
    address = url(Rule, "delete", rule.pk)
    page = admin_client.get(address)
    [change] = preview_of(page).lowered
    assert (change.id, change.before.triage, change.after.triage) == (
        "pill-one-leg",
        "urgent",
        "self_care",
    )
    assert "Yes, delete it anyway" in page.content.decode()
    data = {"post": "yes", SEEN_FIELD: preview_of(page).token}
    again = admin_client.post(address, data)
    assert preview_of(again).tick_missing
    assert Rule.objects.filter(pk=rule.pk).exists()
    with caplog.at_level(logging.WARNING, logger="legs.assessment.admin"):
        deleted = admin_client.post(address, {**data, CONFIRM_FIELD: "on"})
    assert deleted.status_code == 302
    assert not Rule.objects.exists()
    assert get_knowledge().rules == ()
    logged = LogEntry.objects.order_by("pk")
    assert [e.action_flag for e in logged] == [2, 3]
    assert "lowers the triage of 1 public vignette" in logged[0].get_change_message()
    assert any(r.name == "legs.assessment.admin" for r in caplog.records)


def test_deleting_what_moves_no_story_is_django_own_confirmation(admin_client: Client) -> None:
    rule = make_one_leg_rule(level="", message="")
    page = admin_client.get(url(Rule, "delete", rule.pk))
    assert "vignette_preview" not in page.context
    assert admin_client.post(url(Rule, "delete", rule.pk), {"post": "yes"}).status_code == 302
    assert not Rule.objects.exists()


# NO WAY AROUND IT


@pytest.mark.parametrize("model", [Cause, Question, Choice, Evidence, Rule])
def test_the_change_lists_offer_no_delete_selected_that_would_skip_the_preview(
    admin_client: Client, model: type[Any]
) -> None:
    """Deleting goes one row at a time, through the delete page that previews it."""
    if model is Rule:
        make_one_leg_rule(level="urgent")
    row = model.objects.order_by("pk").first()
    page = admin_client.get(url(model, "changelist"))
    assert page.status_code == 200
    assert "delete_selected" not in page.content.decode()
    sent = {"action": "delete_selected", "_selected_action": [str(row.pk)], "post": "yes"}
    admin_client.post(url(model, "changelist"), sent)
    assert model.objects.filter(pk=row.pk).exists()


def test_the_step_page_shows_but_does_not_change_what_its_questions_ask(
    admin_client: Client,
) -> None:
    """Required, active, key, kind, adding and deleting: on the question's previewed page."""
    question = Question.objects.get(key="risk_factors")
    address, data = change_page(admin_client, question.step)
    row = next(k for k, v in data.items() if k.endswith("-id") and v == str(question.pk))
    form_prefix = row.removesuffix("-id")
    assert f"{form_prefix}-active" not in data
    changed = {
        **data,
        f"{form_prefix}-active": "",
        f"{form_prefix}-required": "on",
        f"{form_prefix}-kind": "single",
        f"{form_prefix}-key": "renamed",
        f"{form_prefix}-DELETE": "on",
        f"{form_prefix}-text": "What puts you at risk?",
    }
    assert admin_client.post(address, changed).status_code == 302
    question.refresh_from_db()
    assert (question.key, question.kind, question.active, question.required) == (
        "risk_factors",
        "multi",
        True,
        False,
    )
    assert question.text == "What puts you at risk?"
    [inline] = admin_client.get(address).context["inline_admin_formsets"]
    assert not inline.has_add_permission
