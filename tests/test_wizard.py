"""The assessment wizard and the result page, through the Django test client."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse

from legs.assessment.engine import InvalidAnswers, assess
from legs.assessment.wizard import MORE_STEP, RESTART_MESSAGE, RESULT_SESSION_KEY, REVIEW_STEP
from legs.history.models import Episode
from legs.knowledge.models import Choice, Evidence, Question, Rule, Step
from legs.knowledge.published import clear_local_cache, get_knowledge
from tests import factories
from tests.factories import make_user

pytestmark = pytest.mark.usefixtures("seeded")

PREFIX = "assessment_wizard"
STEPS = ["safety", "pattern", "training", "fuel", "recovery", "health"]
# A runner who starts cold from the front door; legs heavy for the first kilometre.
SELF_CARE: dict[str, Any] = {
    "warning_signs": ["none"],
    "legs": "both",
    "timing": "early_then_eases",
    "relief": "eases_once_warm",
    "duration": "under_1_week",
    "symptoms": ["none"],
    "warmup": "none",
    "rest_days_7d": "2_plus",
    "weekly_change": "same",
    "easy_effort": "conversational",
    "strength": "regular",
    "pre_run_food": "meal_2_4h",
    "sleep_hours": "7_9",
    "age": "18_39",
    "risk_factors": ["none"],
    "medications": ["none"],
}


def step_url(step: str) -> str:
    return reverse("assessment:wizard_step", args=[step])


def step_data(step: str, answers: Mapping[str, Any], current: str | None = None) -> dict[str, Any]:
    data: dict[str, Any] = {f"{PREFIX}-current_step": current or step}
    data.update({f"{step}-{key}": value for key, value in answers.items()})
    return data


def post_step(client: Client, step: str, answers: Mapping[str, Any], **extra: Any) -> Any:
    return client.post(step_url(step), {**step_data(step, answers), **extra})


def walk_wizard(
    client: Client, answers: Mapping[str, Any], *, confirm: bool = True
) -> tuple[Any, list[str]]:
    """Answer each step the wizard shows from `answers`, then (with `confirm`) press "See my
    result" on the check page; the last page and the steps seen."""
    response = client.get(reverse("assessment:wizard"), follow=True)
    seen: list[str] = []
    for _ in range(20):
        if response.resolver_match.url_name != "wizard_step":
            return response, seen
        if response.resolver_match.kwargs["step"] == REVIEW_STEP:
            if confirm:
                response = client.post(step_url(REVIEW_STEP), follow=True)
                continue
            return response, seen
        step = response.context["step"]
        assert step.key not in seen, f"{step.key} came back: {response.context['form'].errors}"
        seen.append(step.key)
        given = {key: answers[key] for key in step.questions if key in answers}
        response = client.post(step_url(step.key), step_data(step.key, given), follow=True)
    raise AssertionError("the wizard never finished")


def inputs(html: str, name: str) -> dict[str, bool]:
    """Each input of a question: value → whether it is checked."""
    found = {}
    for tag in re.findall(r"<input[^>]*>", html):
        if f'name="{name}"' in tag:
            value = re.search(r'value="([^"]*)"', tag)
            found[value.group(1) if value else ""] = " checked" in tag
    return found


def checked(response: Any, step: str, key: str) -> set[str]:
    return {v for v, on in inputs(response.content.decode(), f"{step}-{key}").items() if on}


def text(response: Any) -> str:
    return html.unescape(response.content.decode())


def stored(client: Client) -> dict[str, Any]:
    """The stored result entry, its result (kept as JSON text) parsed."""
    entry: dict[str, Any] = dict(client.session[RESULT_SESSION_KEY])
    assert isinstance(entry["result"], dict)
    return entry


# -- the walk ----------------------------------------------------------------------------


def test_the_assessment_starts_at_the_warning_signs(client: Client) -> None:
    response = client.get(reverse("assessment:wizard"))
    assert response.status_code == 302
    assert response["Location"] == step_url("safety")
    page = client.get(step_url("safety"))
    assert page.status_code == 200
    assert page.context["step"].key == "safety"
    assert "Step 1 of 6" in page.content.decode()


def test_a_full_walk_through_every_step_gives_the_result(client: Client) -> None:
    response, seen = walk_wizard(client, SELF_CARE)
    assert seen == STEPS
    assert response.redirect_chain[-1] == (reverse("assessment:result"), 302)
    assert response.status_code == 200
    saved = stored(client)
    assert saved.keys() == {"answers", "result", "knowledge_version", "created"}
    assert saved["answers"] == SELF_CARE
    assert saved["result"] == assess(SELF_CARE, get_knowledge()).to_dict()
    assert saved["knowledge_version"] == get_knowledge().version
    assert saved["result"]["causes"][0]["slug"] == "insufficient-warmup"
    assert "No warning signs in your answers" in response.content.decode()


def test_each_step_shows_where_the_runner_is(client: Client) -> None:
    post_step(client, "safety", {"warning_signs": ["none"]})
    page = client.get(step_url("pattern")).content.decode()
    assert "Step 2 of 6" in page
    assert re.search(r'<progress[^>]*value="2"[^>]*max="6"', page)


@pytest.mark.parametrize(
    ("sign", "heading"),
    [
        ("chest_symptoms", "Get emergency help now"),
        # Not the swollen leg: a later answer about an injury could make that an emergency
        # (see "a few more questions" below).
        ("rest_pain_or_sores", "See a doctor today"),
    ],
)
def test_a_help_now_answer_at_step_one_ends_the_wizard_at_once(
    client: Client, sign: str, heading: str
) -> None:
    response = post_step(client, "safety", {"warning_signs": [sign]})
    assert response.status_code == 302
    assert response["Location"] == reverse("assessment:result")
    saved = stored(client)
    assert saved["answers"] == {"warning_signs": [sign]}
    assert saved["result"]["causes"] == []
    page = text(client.get(reverse("assessment:result")))
    assert heading in page
    message = Choice.objects.get(question__key="warning_signs", value=sign).triage_message
    assert message.split(".")[0] in page
    assert "Because you said" not in page
    assert "causes-heading" not in page
    # The wizard itself starts afresh afterwards.
    assert client.get(reverse("assessment:wizard"))["Location"] == step_url("safety")
    assert checked(client.get(step_url("safety")), "safety", "warning_signs") == set()


def test_a_see_a_doctor_soon_answer_lets_the_runner_carry_on(client: Client) -> None:
    post_step(client, "safety", {"warning_signs": ["none"]})
    response = post_step(client, "pattern", {"symptoms": ["breathless_on_easy_runs"]})
    assert response["Location"] == step_url("training")


def test_back_shows_the_earlier_answers_ticked(client: Client) -> None:
    post_step(client, "safety", {"warning_signs": ["none"]})
    post_step(client, "pattern", {"legs": "one", "symptoms": ["cramps", "muscles_sore_to_touch"]})
    response = post_step(client, "training", {}, wizard_goto_step="pattern")
    assert response.status_code == 302
    assert response["Location"] == step_url("pattern")
    page = client.get(step_url("pattern"))
    assert checked(page, "pattern", "legs") == {"one"}
    assert checked(page, "pattern", "symptoms") == {"cramps", "muscles_sore_to_touch"}
    back = post_step(client, "pattern", {}, wizard_goto_step="safety")
    assert checked(client.get(back["Location"]), "safety", "warning_signs") == {"none"}


def test_back_keeps_what_was_ticked_on_the_page_being_left(client: Client) -> None:
    post_step(client, "safety", {"warning_signs": ["none"]})
    post_step(client, "pattern", {"legs": "both"})
    post_step(client, "training", {"warmup": "none"}, wizard_goto_step="pattern")
    post_step(client, "pattern", {"legs": "both"})
    assert checked(client.get(step_url("training")), "training", "warmup") == {"none"}


def test_back_from_a_page_with_a_mistake_just_goes_back(client: Client) -> None:
    post_step(client, "safety", {"warning_signs": ["none"]})
    response = post_step(
        client, "pattern", {"symptoms": ["none", "cramps"]}, wizard_goto_step="safety"
    )
    assert response["Location"] == step_url("safety")
    post_step(client, "safety", {"warning_signs": ["none"]})
    assert checked(client.get(step_url("pattern")), "pattern", "symptoms") == set()


def test_nothing_is_picked_for_the_runner(client: Client) -> None:
    page = client.get(step_url("safety")).content.decode()
    assert inputs(page, "safety-warning_signs")
    assert not any(inputs(page, "safety-warning_signs").values())
    post_step(client, "safety", {"warning_signs": ["none"]})
    page = client.get(step_url("pattern")).content.decode()
    for key in ("legs", "timing", "relief", "duration", "symptoms"):
        found = inputs(page, f"pattern-{key}")
        assert found, key
        assert "" not in found, f"{key} offers a blank answer"
        assert not any(found.values()), f"{key} has an answer picked"
    assert "Skip this question" not in page
    assert " checked" not in page


def test_optional_questions_can_be_left_unanswered(client: Client) -> None:
    post_step(client, "safety", {"warning_signs": ["none"]})
    response = post_step(client, "pattern", {})
    assert response["Location"] == step_url("training")
    # A blank answer sent by an older page counts as no answer too.
    response = post_step(client, "pattern", {"legs": ""})
    assert response["Location"] == step_url("training")
    response, _ = walk_wizard(client, {"warning_signs": ["none"]})
    assert stored(client)["answers"] == {"warning_signs": ["none"]}
    assert stored(client)["result"]["triage"] == "self_care"


def test_the_warning_signs_question_must_be_answered(client: Client) -> None:
    response = post_step(client, "safety", {})
    assert response.status_code == 200
    assert response.context["step"].key == "safety"
    page = response.content.decode()
    error = re.search(r'<div[^>]*id="id_safety-warning_signs_errors"[^>]*>(.*?)</div>', page, re.S)
    assert error is not None
    assert "Please answer this question" in error.group(1)
    # The error belongs to the question's fieldset, before its boxes, and is announced with it.
    fieldset = page[page.index("<fieldset") : page.index("</fieldset>")]
    assert "id_safety-warning_signs_errors" in fieldset
    assert re.search(r'aria-describedby="[^"]*id_safety-warning_signs_errors', fieldset)
    assert fieldset.index("_errors") < fieldset.index('type="checkbox"')


def test_none_with_another_answer_is_an_error_beside_the_question(client: Client) -> None:
    response = post_step(client, "safety", {"warning_signs": ["none", "dark_urine"]})
    assert response.status_code == 200
    assert response.context["form"].errors == {
        "warning_signs": [
            "“None of these” cannot be ticked together with another answer. Untick one of them."
        ]
    }
    assert "cannot be ticked together" in response.content.decode()
    assert RESULT_SESSION_KEY not in client.session


def test_a_question_an_editor_marks_required_cannot_be_skipped(client: Client) -> None:
    Question.objects.filter(key="legs").update(required=True)
    post_step(client, "safety", {"warning_signs": ["none"]})
    page = client.get(step_url("pattern")).content.decode()
    assert inputs(page, "pattern-legs").keys() == {"both", "one"}
    response = post_step(client, "pattern", {"timing": "whole_run"})
    assert response.status_code == 200
    assert response.context["form"].errors == {"legs": ["Please answer this question."]}


def test_an_answer_that_is_not_offered_is_an_error(client: Client) -> None:
    post_step(client, "safety", {"warning_signs": ["none"]})
    response = post_step(client, "pattern", {"legs": "three"})
    assert response.status_code == 200
    assert response.context["form"].errors == {"legs": ["Pick one of the answers shown."]}


# -- errors, buttons ---------------------------------------------------------------------------


def test_a_missing_required_answer_puts_the_error_summary_first(client: Client) -> None:
    response = post_step(client, "safety", {})
    page = response.content.decode()
    assert re.search(r"<title>\s*Error: ", page)
    main = page[page.index("<main") :]
    summary = main[main.index("data-error-summary") : main.index("</div>", main.index("<ul"))]
    assert main.index("data-error-summary") < main.index("<h1")
    assert "There is a problem" in summary
    assert 'href="#id_safety-warning_signs_0"' in summary
    assert "Please answer this question" in summary
    assert 'id="id_safety-warning_signs_0"' in main
    assert "error-summary.js" in main


def test_back_is_a_link_before_next_the_forms_only_button(client: Client) -> None:
    first = client.get(step_url("safety")).content.decode()
    actions = first[first.index('class="wizard-actions"') : first.index("</form>")]
    assert ">Back</a>" not in actions
    assert actions.count("<button") == 1
    post_step(client, "safety", {"warning_signs": ["none"]})
    page = client.get(step_url("pattern")).content.decode()
    actions = page[page.index('class="wizard-actions"') : page.index("</form>")]
    back = re.search(rf'<a class="btn [^"]*" href="{step_url("safety")}">Back</a>', actions)
    assert back is not None
    assert actions.count("<button") == 1
    assert back.start() < actions.index("<button")
    assert re.search(rf'<form method="post"\s+action="{step_url("pattern")}"', page)


def test_a_step_never_shows_an_earlier_choice_from_the_cache(client: Client) -> None:
    post_step(client, "safety", {"warning_signs": ["none"]})
    post_step(client, "pattern", {"legs": "both"})
    assert checked(client.get(step_url("pattern")), "pattern", "legs") == {"both"}
    post_step(client, "pattern", {"legs": "one"})
    assert checked(client.get(step_url("pattern")), "pattern", "legs") == {"one"}
    # Another runner's empty page is drawn from the cache too, with nothing picked.
    other = Client()
    post_step(other, "safety", {"warning_signs": ["none"]})
    assert checked(other.get(step_url("pattern")), "pattern", "legs") == set()
    assert checked(client.get(step_url("pattern")), "pattern", "legs") == {"one"}


# -- checking and changing the answers ---------------------------------------------------------


def step_answers(step: str, answers: Mapping[str, Any] = SELF_CARE) -> dict[str, Any]:
    """The answers among `answers` that belong to `step`."""
    keys = next(s.questions for s in get_knowledge().steps if s.key == step)
    return {key: value for key, value in answers.items() if key in keys}


def change_url(step: str) -> str:
    return step_url(step) + "?change=1"


def test_the_last_step_leads_to_the_check_page_with_every_answer(client: Client) -> None:
    response, seen = walk_wizard(client, SELF_CARE, confirm=False)
    assert seen == STEPS
    assert response.redirect_chain[-1] == (step_url(REVIEW_STEP), 302)
    assert RESULT_SESSION_KEY not in client.session
    page = text(response)
    assert "<h1" in page and "Check your answers" in page
    knowledge = get_knowledge()
    for key, value in SELF_CARE.items():
        question = knowledge.questions[key]
        assert question.text in page
        for chosen in [value] if isinstance(value, str) else value:
            assert question.choices[chosen].label in page
        assert f'href="{change_url(question.step)}#id_{question.step}-{key}"' in page
    assert re.search(rf'<form method="post"\s+action="{step_url(REVIEW_STEP)}"', page)
    assert "See my result" in page
    assert "no-store" in response["Cache-Control"]
    response = client.post(step_url(REVIEW_STEP))
    assert response["Location"] == reverse("assessment:result")
    assert stored(client)["answers"] == SELF_CARE


def test_a_changed_answer_comes_back_to_the_check_page(client: Client) -> None:
    walk_wizard(client, SELF_CARE, confirm=False)
    page = client.get(change_url("training"))
    assert page.status_code == 200
    assert page.context["changing"] is True
    content = page.content.decode()
    assert "Changing your answers" in content
    assert re.search(
        rf'<form method="post"\s+action="{re.escape(change_url("training"))}"', content
    )
    assert checked(page, "training", "warmup") == {"none"}
    # Back goes to the check page too, not to the step before.
    assert f'href="{step_url(REVIEW_STEP)}">Back</a>' in content
    changed = {**step_answers("training"), "warmup": "dynamic_5_plus"}
    response = client.post(change_url("training"), step_data("training", changed))
    assert response["Location"] == step_url(REVIEW_STEP)
    label = Choice.objects.get(question__key="warmup", value="dynamic_5_plus").label
    assert label in text(client.get(step_url(REVIEW_STEP)))
    client.post(step_url(REVIEW_STEP))
    assert stored(client)["answers"] == {**SELF_CARE, "warmup": "dynamic_5_plus"}


def test_a_mistake_while_changing_stays_on_the_way_back_to_the_check_page(client: Client) -> None:
    walk_wizard(client, SELF_CARE, confirm=False)
    response = client.post(change_url("safety"), step_data("safety", {}))
    assert response.status_code == 200
    assert response.context["changing"] is True
    assert "There is a problem" in response.content.decode()
    response = client.post(change_url("safety"), step_data("safety", {"warning_signs": ["none"]}))
    assert response["Location"] == step_url(REVIEW_STEP)


def test_changing_to_an_answer_that_needs_help_now_goes_straight_to_the_result(
    client: Client,
) -> None:
    walk_wizard(client, SELF_CARE)
    response = client.post(
        change_url("safety"), step_data("safety", {"warning_signs": ["chest_symptoms"]})
    )
    assert response["Location"] == reverse("assessment:result")
    assert stored(client)["result"]["triage"] == "emergency"


def test_a_change_link_on_the_result_comes_back_through_the_check_page(client: Client) -> None:
    walk_wizard(client, SELF_CARE)
    page = text(client.get(reverse("assessment:result")))
    link = f"{change_url('pattern')}#id_pattern-legs"
    assert f'href="{link}"' in page
    step = client.get(change_url("pattern"))
    assert checked(step, "pattern", "legs") == {"both"}
    changed = {**step_answers("pattern"), "legs": "one"}
    response = client.post(change_url("pattern"), step_data("pattern", changed))
    assert response["Location"] == step_url(REVIEW_STEP)
    # The old result went with the old answer: nothing is kept until the new one is seen.
    assert RESULT_SESSION_KEY not in client.session
    response = client.post(step_url(REVIEW_STEP), follow=True)
    assert response.redirect_chain == [(reverse("assessment:result"), 302)]
    assert stored(client)["answers"] == {**SELF_CARE, "legs": "one"}


def test_back_from_the_result_keeps_the_answers(client: Client) -> None:
    walk_wizard(client, SELF_CARE)
    review = client.get(step_url(REVIEW_STEP))
    assert review.status_code == 200
    assert "Check your answers" in review.content.decode()
    assert checked(client.get(step_url("pattern")), "pattern", "legs") == {"both"}
    assert checked(client.get(step_url("safety")), "safety", "warning_signs") == {"none"}
    assert checked(client.get(step_url("health")), "health", "medications") == {"none"}
    # Walking forward again from there gives the same result.
    response = client.post(
        step_url("health"), step_data("health", step_answers("health")), follow=True
    )
    assert response.redirect_chain[-1] == (step_url(REVIEW_STEP), 302)
    client.post(step_url(REVIEW_STEP))
    assert stored(client)["answers"] == SELF_CARE


def test_back_from_a_help_now_result_keeps_the_ticked_sign(client: Client) -> None:
    post_step(client, "safety", {"warning_signs": ["chest_symptoms"]})
    assert checked(client.get(step_url("safety")), "safety", "warning_signs") == {"chest_symptoms"}
    # Unticked by mistake: carry on with the questions from there.
    response = post_step(client, "safety", {"warning_signs": ["none"]})
    assert response["Location"] == step_url("pattern")


def test_a_new_assessment_after_a_result_starts_empty(client: Client) -> None:
    walk_wizard(client, SELF_CARE)
    response = client.get(reverse("assessment:wizard"))
    assert response["Location"] == step_url("safety")
    assert checked(client.get(step_url("safety")), "safety", "warning_signs") == set()
    assert RESULT_SESSION_KEY not in client.session
    assert client.get(step_url("pattern"))["Location"] == reverse("assessment:wizard")
    assert client.get(reverse("assessment:result"))["Location"] == reverse("assessment:wizard")


def test_start_a_new_assessment_on_the_result_forgets_everything(client: Client) -> None:
    walk_wizard(client, SELF_CARE)
    page = text(client.get(reverse("assessment:result")))
    assert f'href="{reverse("assessment:wizard")}?reset=1">Start a new assessment</a>' in page
    response = client.get(reverse("assessment:wizard") + "?reset=1")
    assert response["Location"] == step_url("safety")
    assert RESULT_SESSION_KEY not in client.session
    assert client.get(step_url(REVIEW_STEP), follow=True).redirect_chain[-1] == (
        step_url("safety"),
        302,
    )


def test_the_assessment_link_in_the_middle_of_a_walk_carries_on(client: Client) -> None:
    post_step(client, "safety", {"warning_signs": ["none"]})
    post_step(client, "pattern", {"legs": "one"})
    assert client.get(reverse("assessment:wizard"))["Location"] == step_url("training")
    assert checked(client.get(step_url("pattern")), "pattern", "legs") == {"one"}


# -- refreshing, tabs, expiry, tampering ----------------------------------------------------


def test_refreshing_a_step_changes_nothing(client: Client) -> None:
    post_step(client, "safety", {"warning_signs": ["none"]})
    post_step(client, "pattern", {"legs": "one"})
    for _ in range(2):
        page = client.get(step_url("training"))
        assert page.status_code == 200
        assert page.context["step"].key == "training"
    assert checked(client.get(step_url("pattern")), "pattern", "legs") == {"one"}
    response, _ = walk_wizard(client, SELF_CARE)
    assert stored(client)["answers"] == SELF_CARE


def test_a_step_sent_again_from_an_older_tab_carries_on_from_there(client: Client) -> None:
    post_step(client, "safety", {"warning_signs": ["none"]})
    post_step(client, "pattern", {"legs": "both"})
    post_step(client, "training", {"warmup": "none"})
    # The other tab still shows the pattern step and sends it with another answer.
    response = post_step(client, "pattern", {"legs": "one", "timing": "early_then_eases"})
    assert response["Location"] == step_url("training")
    page = client.get(step_url("training"))
    assert checked(page, "training", "warmup") == {"none"}
    for step in ["training", "fuel", "recovery"]:
        response = post_step(client, step, {"warmup": "none"} if step == "training" else {})
    response = client.post(step_url("health"), step_data("health", {}), follow=True)
    assert response.status_code == 200
    client.post(step_url(REVIEW_STEP))
    assert stored(client)["answers"] == {
        "warning_signs": ["none"],
        "legs": "one",
        "timing": "early_then_eases",
        "warmup": "none",
    }


def test_an_expired_session_restarts_politely(client: Client) -> None:
    post_step(client, "safety", {"warning_signs": ["none"]})
    post_step(client, "pattern", {"legs": "both"})
    Session.objects.all().delete()
    response = client.post(
        step_url("training"), step_data("training", {"warmup": "none"}), follow=True
    )
    assert response.status_code == 200
    assert response.redirect_chain[-1] == (step_url("safety"), 302)
    assert RESTART_MESSAGE in response.content.decode()


def test_back_after_the_session_expired_restarts_politely(client: Client) -> None:
    post_step(client, "safety", {"warning_signs": ["none"]})
    Session.objects.all().delete()
    response = client.post(
        step_url("pattern"),
        step_data("pattern", {}, current="pattern") | {"wizard_goto_step": "safety"},
        follow=True,
    )
    assert response.status_code == 200
    assert RESTART_MESSAGE in response.content.decode()


def test_opening_a_later_step_without_earlier_answers_starts_at_the_beginning(
    client: Client,
) -> None:
    response = client.get(step_url("fuel"), follow=True)
    assert response.redirect_chain[-1] == (step_url("safety"), 302)
    assert RESTART_MESSAGE in response.content.decode()


def test_skipping_ahead_by_address_goes_to_the_first_unanswered_step(client: Client) -> None:
    post_step(client, "safety", {"warning_signs": ["none"]})
    response = client.get(step_url("recovery"))
    assert response["Location"] == step_url("pattern")


def test_the_check_page_without_answers_restarts(client: Client) -> None:
    response = client.get(step_url(REVIEW_STEP), follow=True)
    assert response.redirect_chain[-1] == (step_url("safety"), 302)
    assert RESTART_MESSAGE in response.content.decode()


def test_the_check_page_with_unfinished_steps_goes_back_to_them(client: Client) -> None:
    post_step(client, "safety", {"warning_signs": ["none"]})
    post_step(client, "pattern", {})
    response = client.get(step_url(REVIEW_STEP))
    assert response["Location"] == step_url("training")


def test_a_missing_management_form_is_a_bad_request(client: Client) -> None:
    response = client.post(step_url("safety"), {"safety-warning_signs": ["none"]})
    assert response.status_code == 400


def test_a_page_naming_a_step_that_no_longer_exists_restarts_politely(client: Client) -> None:
    post_step(client, "safety", {"warning_signs": ["none"]})
    response = client.post(step_url("pattern"), step_data("pattern", {}, current="gone"))
    assert response["Location"] == reverse("assessment:wizard")
    assert RESTART_MESSAGE in client.get(step_url("safety")).content.decode()


def test_an_unknown_step_address_goes_to_the_first_step(client: Client) -> None:
    response = client.get(reverse("assessment:wizard_step", args=["no-such-step"]))
    assert response.status_code == 302
    assert response["Location"] == step_url("safety")


def test_start_again_forgets_the_answers(client: Client) -> None:
    post_step(client, "safety", {"warning_signs": ["none"]})
    post_step(client, "pattern", {"legs": "one"})
    response = client.get(reverse("assessment:wizard") + "?reset=1")
    assert response["Location"].startswith(step_url("safety"))
    assert client.get(step_url("pattern"))["Location"] == reverse("assessment:wizard")


def test_a_wizard_post_costs_a_fixed_number_of_queries(
    client: Client, django_assert_num_queries: Any
) -> None:
    post_step(client, "safety", {"warning_signs": ["none"]})
    get_knowledge()  # warm, as on a running server
    # 1 knowledge revision, 2 session row, 3 savepoint, 4 session update, 5 release
    # savepoint. The snapshot of that revision is cached in memory. The savepoint pair
    # belongs to the test's transaction; a server sends BEGIN/COMMIT there on SQLite,
    # nothing on PostgreSQL.
    with django_assert_num_queries(5):
        response = post_step(client, "pattern", {"legs": "both", "symptoms": ["cramps"]})
    assert response.status_code == 302
    # The revision is read again on every request, so the next step costs the same.
    with django_assert_num_queries(5):
        response = post_step(client, "training", {"warmup": "none", "strength": "regular"})
    assert response.status_code == 302


# -- the knowledge base drives the wizard ------------------------------------------------------


def test_an_editors_new_question_is_asked_at_once(client: Client) -> None:
    post_step(client, "safety", {"warning_signs": ["none"]})
    post_step(client, "pattern", {})
    assert "How hilly" not in client.get(step_url("training")).content.decode()
    question = Question.objects.create(
        step=Step.objects.get(key="training"),
        key="hills",
        text="How hilly are your runs?",
        order=99,
    )
    steep = Choice.objects.create(
        question=question, value="steep", label="Very hilly", because="your runs are very hilly"
    )
    Choice.objects.create(question=question, value="flat", label="Flat")
    Evidence.objects.create(choice=steep, cause=get_cause("weak-muscles"), weight=6)
    page = client.get(step_url("training"))
    assert "How hilly are your runs?" in page.content.decode()
    assert inputs(page.content.decode(), "training-hills").keys() == {"steep", "flat"}
    response, _ = walk_wizard(client, {**SELF_CARE, "hills": "steep"})
    assert stored(client)["answers"]["hills"] == "steep"
    weak = next(c for c in stored(client)["result"]["causes"] if c["slug"] == "weak-muscles")
    assert "your runs are very hilly" in [r["text"] for r in weak["because"]]


def test_an_editors_new_step_is_counted_in_the_progress(client: Client) -> None:
    step = Step.objects.create(key="terrain", title="Terrain", order=2)
    question = Question.objects.create(step=step, key="surface", text="What do you run on?")
    Choice.objects.create(question=question, value="road", label="Road")
    post_step(client, "safety", {"warning_signs": ["none"]})
    post_step(client, "pattern", {})
    assert "Step 3 of 7" in client.get(step_url("terrain")).content.decode()


def test_an_answer_removed_by_an_editor_mid_walk_is_asked_again(client: Client) -> None:
    post_step(client, "safety", {"warning_signs": ["none"]})
    post_step(client, "pattern", {"legs": "one"})
    post_step(client, "training", {})
    post_step(client, "fuel", {})
    Choice.objects.filter(question__key="legs", value="one").delete()
    assert post_step(client, "recovery", {})["Location"] == step_url("health")
    response = client.post(step_url("health"), step_data("health", {}), follow=True)
    assert response.redirect_chain[-1] == (step_url("pattern"), 302)
    assert response.context["form"].errors == {"legs": ["Pick one of the answers shown."]}
    assert RESULT_SESSION_KEY not in client.session


def test_an_inactive_question_is_not_asked(client: Client) -> None:
    Question.objects.filter(key="legs").update(active=False)
    post_step(client, "safety", {"warning_signs": ["none"]})
    page = client.get(step_url("pattern")).content.decode()
    assert "pattern-legs" not in page
    assert "pattern-timing" in page


def test_without_its_warning_signs_the_assessment_is_not_offered(client: Client) -> None:
    Question.objects.filter(key="warning_signs").update(active=False)
    response = client.get(reverse("assessment:wizard"))
    assert response.status_code == 503
    assert "not available right now" in response.content.decode()


def test_an_empty_knowledge_base_shows_a_friendly_page(client: Client) -> None:
    Rule.objects.all().delete()  # a rule keeps the questions it names
    Question.objects.all().delete()
    Step.objects.all().delete()
    response = client.get(step_url("safety"))
    assert response.status_code == 503
    assert "not available right now" in response.content.decode()


def get_cause(slug: str) -> Any:
    from legs.knowledge.models import Cause

    return Cause.objects.get(slug=slug)


# -- the result page ---------------------------------------------------------------------------


def test_the_result_page_explains_each_cause(client: Client) -> None:
    walk_wizard(client, SELF_CARE)
    result = stored(client)["result"]
    response = client.get(reverse("assessment:result"))
    page = text(response)
    assert response.status_code == 200
    assert "No warning signs in your answers" in page
    assert "triage-self_care" in page
    for cause in result["causes"][:6]:
        assert f'href="{reverse("knowledge:cause_detail", args=[cause["slug"]])}"' in page
        assert cause["band"].capitalize() in page
        for reason in cause["because"]:
            assert reason["text"] in page
        for remedy in cause["remedies"][:3]:
            assert remedy["title"] in page
    assert page.count("Because you said") == min(len(result["causes"]), 6)
    assert "This is not a diagnosis" in page


def test_the_result_page_can_be_printed_without_inline_script(client: Client) -> None:
    walk_wizard(client, SELF_CARE)
    page = client.get(reverse("assessment:result")).content.decode()
    assert re.search(r"<button[^>]*data-print[^>]*>\s*Print", page)
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page)
    assert " onclick=" not in page
    assert " style=" not in page
    site_js = Path(__file__).resolve().parents[1] / "static" / "js" / "site.js"
    assert "[data-print]" in site_js.read_text() and "window.print()" in site_js.read_text()


def test_a_see_a_doctor_soon_result_shows_the_warnings_and_the_causes(client: Client) -> None:
    walk_wizard(client, {**SELF_CARE, "symptoms": ["breathless_on_easy_runs"]})
    page = text(client.get(reverse("assessment:result")))
    assert "Book a doctor's appointment in the coming days" in page
    message = Choice.objects.get(question__key="symptoms", value="breathless_on_easy_runs")
    assert message.triage_message.split(".")[0] in page
    assert "Because you said" in page


def test_anonymous_runners_are_invited_to_sign_up_or_log_in(client: Client) -> None:
    walk_wizard(client, SELF_CARE)
    page = client.get(reverse("assessment:result")).content.decode()
    next_part = "?next=" + reverse("assessment:result")
    assert f'href="{reverse("accounts:signup")}{next_part}"' in page
    assert f'href="{reverse("accounts:login")}{next_part}"' in page


def test_logged_in_runners_are_not_asked_to_sign_up(client: Client) -> None:
    client.force_login(make_user())
    walk_wizard(client, SELF_CARE)
    page = client.get(reverse("assessment:result")).content.decode()
    assert reverse("accounts:signup") + "?next=" not in page
    assert "This is not a diagnosis" in page


def test_no_result_yet_sends_the_runner_to_the_questions(client: Client) -> None:
    response = client.get(reverse("assessment:result"), follow=True)
    assert response.redirect_chain[0] == (reverse("assessment:wizard"), 302)
    assert "There is no assessment result yet" in response.content.decode()


@pytest.mark.parametrize(
    "bad",
    [
        {"result": {"triage": "maybe"}},
        {"result": ["x"]},
        {"result": "not json"},
        {"result": "[1, 2]"},
        {"result": '{"triage": "maybe"}'},
        {"answers": {}},
        "junk",
    ],
)
def test_a_damaged_stored_result_sends_the_runner_to_the_questions(
    client: Client, bad: object
) -> None:
    session = client.session
    session[RESULT_SESSION_KEY] = bad
    session.save()
    response = client.get(reverse("assessment:result"))
    assert response.status_code == 302
    assert response["Location"] == reverse("assessment:wizard")


@pytest.mark.parametrize(
    "damage",
    [
        lambda result: json.dumps(result),  # the old format: the result as JSON text
        lambda result: {**result, "triage": "maybe"},
        lambda result: {**result, "causes": "many"},
        lambda result: None,
    ],
    ids=["json-text", "unknown-triage", "causes-not-a-list", "missing"],
)
def test_a_damaged_result_next_to_good_answers_sends_the_runner_to_the_questions(
    client: Client, damage: Any
) -> None:
    walk_wizard(client, SELF_CARE)
    session = client.session
    saved = session[RESULT_SESSION_KEY]
    session[RESULT_SESSION_KEY] = {**saved, "result": damage(saved["result"])}
    session.save()
    response = client.get(reverse("assessment:result"))
    assert response.status_code == 302
    assert response["Location"] == reverse("assessment:wizard")


def test_a_stored_help_now_result_never_lists_causes(client: Client) -> None:
    walk_wizard(client, SELF_CARE)
    session = client.session
    saved = session[RESULT_SESSION_KEY]
    result = saved["result"]
    result["triage"] = "emergency"
    session[RESULT_SESSION_KEY] = {**saved, "result": result}
    session.save()
    page = client.get(reverse("assessment:result")).content.decode()
    assert "Get emergency help now" in page
    assert "Because you said" not in page


def test_the_result_page_is_not_cached(client: Client) -> None:
    walk_wizard(client, SELF_CARE)
    response = client.get(reverse("assessment:result"))
    assert "no-store" in response["Cache-Control"]
    assert "no-store" in client.get(step_url("safety"))["Cache-Control"]


# -- rules over several answers on the result page -----------------------------------------

ONE_LEG_ON_THE_PILL = {**SELF_CARE, **factories.ONE_LEG_ON_THE_PILL}
RULE_MESSAGE = "One heavy leg with a clot risk needs a doctor's check before more running."


@pytest.fixture
def only_the_rule_under_test(seeded: None) -> None:
    """The seed's own clot rules would fire on the same answers."""
    Rule.objects.all().delete()


def make_clot_rule(**extra: Any) -> Any:
    return factories.make_one_leg_rule(message=RULE_MESSAGE, **extra)


@pytest.mark.usefixtures("only_the_rule_under_test")
def test_a_serious_rule_leads_the_page_and_no_cause_is_called_likely(client: Client) -> None:
    walk_wizard(client, ONE_LEG_ON_THE_PILL)
    assert "likely" in {c["band"] for c in stored(client)["result"]["causes"]}
    make_clot_rule(serious=True)
    client.get(reverse("assessment:wizard") + "?reset=1")
    walk_wizard(client, ONE_LEG_ON_THE_PILL)
    result = stored(client)["result"]
    assert result["triage"] == "soon"
    assert result["warnings"][0]["rule"] == "test-one-leg-with-risk"
    assert {c["band"] for c in result["causes"]} == {"possible"}
    response = client.get(reverse("assessment:result"))
    assert response.context["serious"]
    page = text(response)
    # The warning, with the answers behind it, comes before any cause.
    warning = page.index(RULE_MESSAGE)
    assert warning < page.index("What may be making your legs heavy")
    because = page[warning : page.index("What may be making your legs heavy")]
    reasons = [
        Choice.objects.get(question__key="legs", value="one").because,
        Choice.objects.get(
            question__key="risk_factors", value="hormonal_contraception_or_hrt"
        ).because,
    ]
    assert re.search(
        rf"Because you said:\s+{re.escape(reasons[0])}\s*;\s*{re.escape(reasons[1])}", because
    ), because
    assert 'class="badge band-likely' not in page
    assert "The most likely first" not in page


@pytest.mark.usefixtures("only_the_rule_under_test")
def test_a_rule_that_is_not_serious_keeps_the_likely_label(client: Client) -> None:
    make_clot_rule()
    walk_wizard(client, ONE_LEG_ON_THE_PILL)
    response = client.get(reverse("assessment:result"))
    assert not response.context["serious"]
    page = text(response)
    assert RULE_MESSAGE in page
    assert "Likely" in page


@pytest.mark.usefixtures("only_the_rule_under_test")
def test_an_urgent_rule_ends_the_wizard_with_its_warning_and_no_causes(client: Client) -> None:
    make_clot_rule(level="urgent")
    response, seen = walk_wizard(client, ONE_LEG_ON_THE_PILL)
    assert seen == STEPS
    result = stored(client)["result"]
    assert (result["triage"], result["causes"]) == ("urgent", [])
    page = text(client.get(reverse("assessment:result")))
    assert "See a doctor today" in page
    assert RULE_MESSAGE in page
    assert "What may be making your legs heavy" not in page


# -- a few more questions before a help-now result -----------------------------------------

SWOLLEN = {"warning_signs": ["one_leg_swollen_painful"]}


def more_questions(client: Client, answers: Mapping[str, Any]) -> Any:
    """Post the extra page's answers (`answers` keyed by question)."""
    return client.post(step_url(MORE_STEP), step_data(MORE_STEP, answers))


def test_a_swollen_leg_asks_about_an_injury_with_the_urgent_advice_first(client: Client) -> None:
    response = post_step(client, "safety", SWOLLEN)
    assert response["Location"] == step_url(MORE_STEP)
    # Nothing is scored or stored yet.
    assert RESULT_SESSION_KEY not in client.session
    page = client.get(step_url(MORE_STEP))
    assert page.status_code == 200
    assert "no-store" in page["Cache-Control"]
    assert list(page.context["form"].fields) == ["injury"]
    assert not page.context["form"].fields["injury"].required
    content = text(page)
    assert "<h1" in content and "A few more questions" in content
    message = Choice.objects.get(question__key="warning_signs", value="one_leg_swollen_painful")
    # The advice comes first, the question after it.
    advice, sign = content.index("See a doctor today"), content.index(message.triage_message)
    assert advice < sign < content.index('name="more-questions-injury"')
    assert "You need to get help today, whatever you answer here." in content
    assert "One quick question may change how urgently" in content
    assert 'href="tel:111"' in content
    assert "causes-heading" not in content
    assert re.search(rf'<form method="post"\s+action="{step_url(MORE_STEP)}"', content)
    assert f'href="{step_url("safety")}">Back</a>' in content


def test_a_swollen_leg_after_a_fall_gets_the_emergency_result(client: Client) -> None:
    post_step(client, "safety", SWOLLEN)
    response = more_questions(client, {"injury": "fall_or_knock"})
    assert response["Location"] == reverse("assessment:result")
    saved = stored(client)
    assert saved["answers"] == {**SWOLLEN, "injury": "fall_or_knock"}
    assert saved["result"] == assess(saved["answers"], get_knowledge()).to_dict()
    assert saved["result"]["triage"] == "emergency"
    assert "compartment-after-injury" in {w.get("rule") for w in saved["result"]["warnings"]}
    page = text(client.get(reverse("assessment:result")))
    assert "Get emergency help now" in page
    assert "causes-heading" not in page


def test_a_swollen_leg_without_an_injury_stays_urgent(client: Client) -> None:
    post_step(client, "safety", SWOLLEN)
    more_questions(client, {"injury": "none"})
    saved = stored(client)
    assert saved["answers"] == {**SWOLLEN, "injury": "none"}
    assert saved["result"]["triage"] == "urgent"
    assert "See a doctor today" in text(client.get(reverse("assessment:result")))


def test_a_skipped_extra_question_leaves_the_urgent_result(client: Client) -> None:
    post_step(client, "safety", SWOLLEN)
    response = more_questions(client, {})
    assert response["Location"] == reverse("assessment:result")
    saved = stored(client)
    assert saved["answers"] == SWOLLEN
    assert saved["result"] == assess(SWOLLEN, get_knowledge(), complete=False).to_dict()
    assert saved["result"]["triage"] == "urgent"


def test_an_emergency_sign_on_page_one_gives_the_result_without_more_questions(
    client: Client,
) -> None:
    # Nothing can be more urgent, even beside the swollen leg.
    signs = {"warning_signs": ["one_leg_swollen_painful", "chest_symptoms"]}
    response = post_step(client, "safety", signs)
    assert response["Location"] == reverse("assessment:result")
    assert stored(client)["result"]["triage"] == "emergency"


def test_a_help_now_answer_that_nothing_can_raise_gives_the_result_at_once(
    client: Client,
) -> None:
    response = post_step(client, "safety", {"warning_signs": ["rest_pain_or_sores"]})
    assert response["Location"] == reverse("assessment:result")
    assert stored(client)["result"]["triage"] == "urgent"
    # The extra page has nothing to ask either: it gives the same result.
    assert client.get(step_url(MORE_STEP))["Location"] == reverse("assessment:result")


def test_an_answer_from_the_extra_page_can_be_changed_on_its_own_step(client: Client) -> None:
    post_step(client, "safety", SWOLLEN)
    more_questions(client, {"injury": "fall_or_knock"})
    page = text(client.get(reverse("assessment:result")))
    assert f'href="{change_url("pattern")}#id_pattern-injury"' in page
    step = client.get(change_url("pattern"))
    assert step.status_code == 200
    assert checked(step, "pattern", "injury") == {"fall_or_knock"}
    response = client.post(change_url("pattern"), step_data("pattern", {"injury": "none"}))
    # Still a same-day visit, and nothing left that could make it more urgent.
    assert response["Location"] == reverse("assessment:result")
    saved = stored(client)
    assert saved["answers"] == {**SWOLLEN, "injury": "none"}
    assert saved["result"]["triage"] == "urgent"


def test_unticking_the_sign_after_the_extra_page_walks_the_rest_of_its_step(
    client: Client,
) -> None:
    """The injury step was only partly asked: once the runner carries on, it is shown whole,
    with the injury answer ticked, rather than skipped."""
    post_step(client, "safety", SWOLLEN)
    more_questions(client, {"injury": "fall_or_knock"})
    response = client.post(change_url("safety"), step_data("safety", {"warning_signs": ["none"]}))
    assert response["Location"] == step_url(REVIEW_STEP)
    response = client.get(step_url(REVIEW_STEP))
    assert response["Location"] == step_url("pattern")
    # A later step opened by address goes back to it too.
    assert client.get(step_url("training"))["Location"] == step_url("pattern")
    assert checked(client.get(step_url("pattern")), "pattern", "injury") == {"fall_or_knock"}
    response = post_step(client, "pattern", {"legs": "both", "injury": "fall_or_knock"})
    assert response["Location"] == step_url("training")
    for step in STEPS[2:]:
        post_step(client, step, step_answers(step))
    client.post(step_url(REVIEW_STEP))
    pattern = step_answers("pattern")
    expected = {key: value for key, value in SELF_CARE.items() if key not in pattern}
    assert stored(client)["answers"] == {**expected, "legs": "both", "injury": "fall_or_knock"}


def test_back_from_the_extra_page_keeps_the_ticked_sign(client: Client) -> None:
    post_step(client, "safety", SWOLLEN)
    page = client.get(step_url("safety"))
    assert checked(page, "safety", "warning_signs") == {"one_leg_swollen_painful"}
    # Unticked by mistake: carry on with the questions, and the extra page is not asked.
    assert post_step(client, "safety", {"warning_signs": ["none"]})["Location"] == step_url(
        "pattern"
    )
    assert client.get(step_url(MORE_STEP))["Location"] == step_url(REVIEW_STEP)


def test_the_extra_page_keeps_the_rules_of_its_questions(client: Client) -> None:
    post_step(client, "safety", SWOLLEN)
    response = more_questions(client, {"injury": "broken_leg"})
    assert response.status_code == 200
    assert "Pick one of the answers shown." in text(response)
    assert RESULT_SESSION_KEY not in client.session


def test_the_extra_page_without_answers_restarts(client: Client) -> None:
    response = client.get(step_url(MORE_STEP))
    assert response["Location"] == reverse("assessment:wizard")
    response = more_questions(client, {"injury": "fall_or_knock"})
    assert response["Location"] == reverse("assessment:wizard")
    assert RESULT_SESSION_KEY not in client.session


def test_the_extra_page_is_asked_again_after_the_result_while_it_is_skipped(
    client: Client,
) -> None:
    post_step(client, "safety", SWOLLEN)
    more_questions(client, {})
    # Back from the result: the question can still be answered, and then counts.
    assert client.get(step_url(MORE_STEP)).status_code == 200
    more_questions(client, {"injury": "fracture_or_cast"})
    assert stored(client)["result"]["triage"] == "emergency"
    # Answered: nothing more to ask, so the page gives the same result.
    created = stored(client)["created"]
    assert client.get(step_url(MORE_STEP))["Location"] == reverse("assessment:result")
    assert stored(client)["created"] == created


# -- a changed answer never leaves an older result behind ------------------------------------

CHANGES: dict[str, list[tuple[str, dict[str, Any]]]] = {
    # A warning sign that needs help today, with a question still to ask about it.
    "warning-sign": [("safety", SWOLLEN)],
    # An answer that needs a doctor in the coming days.
    "soon-answer": [("pattern", {"timing": "same_point_every_run"})],
    # The seed's serious clot rule, over answers on two steps.
    "clot-rule": [
        ("pattern", {"legs": "one"}),
        ("health", {"risk_factors": ["hormonal_contraception_or_hrt"]}),
    ],
}


@pytest.mark.parametrize("changes", CHANGES.values(), ids=CHANGES.keys())
def test_a_changed_answer_never_leaves_the_old_result_on_the_result_page(
    client: Client, changes: list[tuple[str, dict[str, Any]]]
) -> None:
    walk_wizard(client, SELF_CARE)
    assert stored(client)["result"]["triage"] == "self_care"
    answers = dict(SELF_CARE)
    for step, changed in changes:
        answers.update(changed)
        client.post(change_url(step), step_data(step, step_answers(step, answers)))
        assert RESULT_SESSION_KEY not in client.session
        # The result page (or the browser's Back to it) sends the runner on with the
        # questions, where the new answer is ticked; not to the reassuring old result.
        response = client.get(reverse("assessment:result"), follow=True)
        assert response.redirect_chain[0] == (reverse("assessment:wizard"), 302)
        assert response.resolver_match.url_name == "wizard_step"
        page = text(response)
        assert "No warning signs in your answers" not in page
        assert 'action="/history/save/"' not in page
    # The answers as they are now give the result, which is the one shown.
    response, _ = walk_wizard(client, answers)
    assert response.resolver_match.url_name == "result"
    saved = stored(client)
    assert saved["answers"] == answers
    complete = changes != CHANGES["warning-sign"]
    assert saved["result"] == assess(answers, get_knowledge(), complete=complete).to_dict()
    assert saved["result"]["triage"] in {"urgent", "soon"}
    page = text(response)
    assert "No warning signs in your answers" not in page
    if changes == CHANGES["clot-rule"]:
        # A serious rule: no cause is called likely.
        assert 'class="badge band-likely' not in page


def test_going_through_a_step_again_unchanged_keeps_the_result(client: Client) -> None:
    walk_wizard(client, SELF_CARE)
    created = stored(client)["created"]
    # Change, then Next without changing anything; Back from the last step.
    client.post(change_url("pattern"), step_data("pattern", step_answers("pattern")))
    back = {**step_data("health", step_answers("health")), "wizard_goto_step": "recovery"}
    assert client.post(step_url("health"), back)["Location"] == step_url("recovery")
    assert stored(client)["created"] == created
    assert client.get(reverse("assessment:result")).status_code == 200


def test_the_old_results_save_form_saves_nothing_after_a_change(client: Client) -> None:
    runner = make_user()
    client.force_login(runner)
    walk_wizard(client, SELF_CARE)
    page = client.get(reverse("assessment:result")).content.decode()
    match = re.search(r'name="token" value="([0-9a-f-]{36})"', page)
    assert match is not None
    save = {"token": match.group(1), "run_date": "2025-05-01", "heaviness": "5", "unit": "km"}
    changed = {**step_answers("safety"), **SWOLLEN}
    client.post(change_url("safety"), step_data("safety", changed))
    # The old page's Save button, pressed after the change.
    response = client.post(reverse("history:save"), save, follow=True)
    assert "There is no result to save any more" in text(response)
    assert not Episode.objects.exists()
    # The new result is the one saved.
    more_questions(client, {"injury": "none"})
    page = client.get(reverse("assessment:result")).content.decode()
    match = re.search(r'name="token" value="([0-9a-f-]{36})"', page)
    assert match is not None
    response = client.post(reverse("history:save"), {**save, "token": match.group(1)})
    episode = Episode.objects.get(owner=runner)
    assert response["Location"] == episode.get_absolute_url()
    assert episode.answers == {**SELF_CARE, **SWOLLEN, "injury": "none"}
    assert episode.result["triage"] == "urgent"


# -- answers that an editor's change no longer fits --------------------------------------------


def rename_choice(question: str, value: str, new_value: str) -> None:
    """An editor renames a choice's value, as answers already given still name the old one."""
    Choice.objects.filter(question__key=question, value=value).update(value=new_value)
    clear_local_cache()


def answer_steps(client: Client, steps: list[str]) -> None:
    for step in steps:
        assert post_step(client, step, step_answers(step)).status_code == 302


@pytest.mark.parametrize(
    ("answered", "request_made"),
    [
        (STEPS[:1], lambda client: post_step(client, "pattern", step_answers("pattern"))),
        (STEPS[:-1], lambda client: post_step(client, "health", step_answers("health"))),
        (STEPS, lambda client: client.post(change_url("pattern"), step_data("pattern", {}))),
        (STEPS, lambda client: client.post(step_url(REVIEW_STEP))),
    ],
    ids=["next", "last-step", "change", "check-page"],
)
def test_a_warning_sign_renamed_mid_walk_sends_the_runner_back_to_it(
    client: Client, answered: list[str], request_made: Any
) -> None:
    answer_steps(client, answered)
    rename_choice("warning_signs", "none", "nothing")
    response = request_made(client)
    assert response.status_code == 302
    assert response["Location"] == step_url("safety")
    page = client.get(step_url("safety"))
    assert page.context["form"].errors == {"warning_signs": ["Pick one of the answers shown."]}
    assert RESULT_SESSION_KEY not in client.session
    # Answered again, the walk carries on.
    assert post_step(client, "safety", {"warning_signs": ["nothing"]}).status_code == 302


@pytest.mark.parametrize("method", ["get", "post"])
def test_a_warning_sign_renamed_before_the_extra_page_sends_the_runner_back_to_it(
    client: Client, method: str
) -> None:
    post_step(client, "safety", SWOLLEN)
    rename_choice("warning_signs", "one_leg_swollen_painful", "one_leg_swollen")
    response = getattr(client, method)(step_url(MORE_STEP), step_data(MORE_STEP, {}))
    assert response.status_code == 302
    assert response["Location"] == step_url("safety")
    assert RESULT_SESSION_KEY not in client.session


def test_answers_the_engine_turns_down_with_every_step_fine_restart_politely(
    client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    walk_wizard(client, SELF_CARE, confirm=False)

    def turned_down(*args: Any, **kwargs: Any) -> Any:
        raise InvalidAnswers({"warning_signs": "unknown value 'none'"})

    monkeypatch.setattr("legs.assessment.wizard.assess", turned_down)
    response = client.post(step_url(REVIEW_STEP), follow=True)
    assert response.redirect_chain[-1] == (step_url("safety"), 302)
    assert RESTART_MESSAGE in text(response)
    assert checked(response, "safety", "warning_signs") == set()
