"""The assessment in real Chromium at phone width: a self-care journey, an emergency stop,
a same-day stop that asks about an injury first, Back keeping answers; screenshots and axe
on the way."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from legs.knowledge.models import Cause, Choice
from tests.browser import (
    PageAt,
    assert_no_console_errors,
    assert_no_serious_axe_violations,
    assert_styles_loaded,
    screenshot,
)
from tests.test_wizard import SELF_CARE

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("seeded")]
PHONE = 360


@pytest.fixture(autouse=True)
def _public_pages_from_the_cache(settings: Any) -> None:
    """As in production: public pages come from the cache for visitors not logged in."""
    settings.PUBLIC_PAGE_CACHE_SECONDS = 300


def next_button(page: Page) -> Any:
    return page.get_by_role("button", name=re.compile(r"^(Next|See my result)$"))


def answer_step(page: Page, answers: Mapping[str, Any]) -> None:
    """Tick the answers of the step on screen that `answers` holds."""
    step = page.locator("input[name$='-current_step']").input_value()
    for key, value in answers.items():
        for v in [value] if isinstance(value, str) else value:
            box = page.locator(f'input[name="{step}-{key}"][value="{v}"]')
            if box.count():
                box.check()


def fits_the_phone(page: Page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE


def test_a_self_care_journey_on_a_phone(site: str, page_at: PageAt) -> None:
    page = page_at(PHONE)
    page.goto(f"{site}/")
    page.get_by_role("link", name="Start an assessment").first.click()
    expect(page.get_by_text("Step 1 of 6")).to_be_visible()
    expect(page.get_by_role("group", name=re.compile("warning signs"))).to_be_visible()
    assert_styles_loaded(page)
    fits_the_phone(page)
    screenshot(page, "wizard-360-step-1")
    assert_no_serious_axe_violations(page)

    page.get_by_label("None of these").check()
    next_button(page).click()
    for number in range(2, 7):
        expect(page.get_by_text(f"Step {number} of 6")).to_be_visible()
        answer_step(page, SELF_CARE)
        if number == 3:
            fits_the_phone(page)
            screenshot(page, "wizard-360-step-3")
        next_button(page).click()

    expect(page.get_by_role("heading", name="Check your answers")).to_be_visible()
    next_button(page).click()
    expect(page).to_have_url(re.compile(r"/assessment/result/$"))
    expect(page.get_by_role("heading", name="No warning signs in your answers")).to_be_visible()
    warmup = Cause.objects.get(slug="insufficient-warmup")
    first = page.locator("ol.causes > li").first
    expect(first.get_by_role("heading", name=re.compile(re.escape(warmup.name)))).to_be_visible()
    expect(first.get_by_text("Likely", exact=True)).to_be_visible()
    first.locator("summary").click()
    expect(first.get_by_text("Because you said")).to_be_visible()
    expect(page.get_by_text("This is not a diagnosis.")).to_be_visible()
    expect(page.get_by_role("button", name="Print")).to_be_visible()
    invitation = page.locator(".save-invitation")
    expect(invitation.get_by_role("link", name="Sign up")).to_be_visible()
    expect(invitation.get_by_role("link", name="log in")).to_be_visible()
    fits_the_phone(page)
    screenshot(page, "result-360-self-care")
    assert_no_serious_axe_violations(page)

    first.get_by_role("link", name=re.compile("Read more")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(warmup.name)
    assert_no_console_errors(page)


def first_step_with(site: str, page_at: PageAt, sign: str) -> Page:
    """A phone on a fresh first step, `sign` ticked and Next pressed."""
    page = page_at(PHONE)
    page.goto(f"{site}/assessment/")
    page.locator(f'input[value="{sign}"]').check()
    next_button(page).click()
    return page


def test_an_emergency_answer_stops_at_step_one(site: str, page_at: PageAt) -> None:
    page = first_step_with(site, page_at, "chest_symptoms")

    expect(page).to_have_url(re.compile(r"/assessment/result/$"))
    expect(page.get_by_role("heading", name="Get emergency help now")).to_be_visible()
    message = Choice.objects.get(question__key="warning_signs", value="chest_symptoms")
    expect(page.get_by_role("alert")).to_contain_text(message.triage_message)
    expect(page.get_by_text("Because you said")).to_have_count(0)
    expect(page.get_by_text("Step 2 of 6")).to_have_count(0)
    fits_the_phone(page)
    screenshot(page, "result-360-emergency")
    assert_no_serious_axe_violations(page)
    assert_no_console_errors(page)


def test_a_swollen_leg_asks_about_an_injury_before_the_result(site: str, page_at: PageAt) -> None:
    page = first_step_with(site, page_at, "one_leg_swollen_painful")

    expect(page).to_have_url(re.compile(r"/assessment/more-questions/$"))
    expect(page.get_by_role("heading", name="A few more questions")).to_be_visible()
    # The same-day advice stands above the question, whatever the answer.
    expect(page.get_by_role("heading", name="See a doctor today")).to_be_visible()
    expect(
        page.get_by_text("You need to get help today, whatever you answer here.")
    ).to_be_visible()
    expect(page.get_by_text("Step 2 of 6")).to_have_count(0)
    fits_the_phone(page)
    screenshot(page, "wizard-360-more-questions")
    assert_no_serious_axe_violations(page)

    page.get_by_label("Yes, a fall or a hard knock").check()
    next_button(page).click()
    expect(page).to_have_url(re.compile(r"/assessment/result/$"))
    expect(page.get_by_role("heading", name="Get emergency help now")).to_be_visible()
    expect(page.get_by_role("link", name="Call 999")).to_be_visible()
    assert_no_console_errors(page)


def test_back_keeps_the_answers_already_given(site: str, page_at: PageAt) -> None:
    page = page_at(PHONE)
    page.goto(f"{site}/assessment/")
    # A mistake first: the required question says so beside it.
    next_button(page).click()
    error = page.locator("#id_safety-warning_signs_errors")
    expect(error).to_contain_text("Please answer this question")
    expect(page.get_by_role("alert").first).to_contain_text("There is a problem")
    fits_the_phone(page)
    screenshot(page, "wizard-360-step-1-error")
    assert_no_serious_axe_violations(page)

    page.get_by_label("None of these").check()
    next_button(page).click()
    page.get_by_label("Mainly one leg").check()
    page.get_by_label("Muscle cramps").check()
    next_button(page).click()
    expect(page.get_by_text("Step 3 of 6")).to_be_visible()
    page.get_by_label("Only stretches that I hold still").check()
    next_button(page).click()
    expect(page.get_by_text("Step 4 of 6")).to_be_visible()

    # Back is a link to the step before: what was answered with Next is still ticked there.
    page.get_by_role("link", name="Back").click()
    expect(page.get_by_text("Step 3 of 6")).to_be_visible()
    expect(page.get_by_label("Only stretches that I hold still")).to_be_checked()
    page.get_by_role("link", name="Back").click()
    expect(page.get_by_text("Step 2 of 6")).to_be_visible()
    expect(page.get_by_label("Mainly one leg")).to_be_checked()
    expect(page.get_by_label("Muscle cramps")).to_be_checked()
    page.get_by_role("link", name="Back").click()
    expect(page.get_by_text("Step 1 of 6")).to_be_visible()
    expect(page.get_by_label("None of these")).to_be_checked()

    next_button(page).click()
    next_button(page).click()
    expect(page.get_by_text("Step 3 of 6")).to_be_visible()
    expect(page.get_by_label("Only stretches that I hold still")).to_be_checked()
    assert_no_console_errors(page)


def test_none_of_these_and_another_answer_cannot_both_stay_ticked(
    site: str, page_at: PageAt
) -> None:
    page = page_at(PHONE)
    page.goto(f"{site}/assessment/")
    none = page.get_by_label("None of these")
    chest = page.locator('input[value="chest_symptoms"]')
    none.check()
    chest.check()
    expect(none).not_to_be_checked()
    none.check()
    expect(chest).not_to_be_checked()
    assert_no_console_errors(page)
