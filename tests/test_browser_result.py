"""The assessment in real Chromium on a phone (390 px) and a desktop (1366 px): a self-care walk
to a result that opens with a plan, an emergency with a tap-to-call button, changing an answer
from "Check your answers", and the whole walk with the keyboard alone. Axe checks each kind of
page; screenshots are saved for a person to look at."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import pytest
from playwright.sync_api import Locator, Page, expect

from legs.knowledge.models import Choice, Question
from tests.browser import (
    PageAt,
    assert_no_console_errors,
    assert_no_serious_axe_violations,
    assert_styles_loaded,
    screenshot,
)
from tests.test_browser_wizard import answer_step
from tests.test_wizard import SELF_CARE

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("seeded")]
PHONE, DESKTOP = 390, 1366
WIDTHS = pytest.mark.parametrize("width", [PHONE, DESKTOP], ids=["phone", "desktop"])


def next_button(page: Page) -> Locator:
    return page.get_by_role("button", name="Next")


def walk_to_check_page(page: Page, site: str, answers: Mapping[str, Any], width: int) -> None:
    page.goto(f"{site}/assessment/?reset=1")
    for number in range(1, 7):
        expect(page.get_by_text(f"Step {number} of 6")).to_be_visible()
        answer_step(page, answers)
        if number == 3:
            fits(page, width)
            screenshot(page, f"result-{width}-wizard-step-3")
        next_button(page).click()
    expect(page).to_have_url(re.compile(r"/assessment/check-answers/$"))


def fits(page: Page, width: int) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= width


def focused(page: Page) -> str:
    """The focused element, as a short description."""
    return str(
        page.evaluate(
            "(() => { const e = document.activeElement;"
            " return `${e.tagName.toLowerCase()}#${e.id}[${e.getAttribute('value') || ''}]"
            " ${(e.textContent || '').trim().slice(0, 40)}`; })()"
        )
    )


def tab_to(page: Page, selector: str, limit: int = 120) -> None:
    """Press Tab until the element matching `selector` has the focus."""
    for _ in range(limit):
        if page.evaluate(f"document.activeElement.matches({selector!r})"):
            return
        page.keyboard.press("Tab")
    raise AssertionError(f"Tab never reached {selector}; the focus is on {focused(page)}")


@WIDTHS
def test_a_self_care_walk_gives_a_plan_first_and_the_causes_folded(
    site: str, page_at: PageAt, width: int
) -> None:
    page = page_at(width)
    walk_to_check_page(page, site, SELF_CARE, width)
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your answers")
    legs = Question.objects.get(key="legs")
    expect(page.get_by_text(legs.text, exact=True)).to_be_visible()
    expect(page.get_by_role("link", name=re.compile(re.escape(legs.text)))).to_be_visible()
    assert_styles_loaded(page)
    fits(page, width)
    screenshot(page, f"result-{width}-check-answers")
    assert_no_serious_axe_violations(page)

    page.get_by_role("button", name="See my result").click()
    expect(page).to_have_url(re.compile(r"/assessment/result/$"))
    expect(page.get_by_role("heading", name="No warning signs in your answers")).to_be_visible()
    plan = page.locator("section.plan")
    expect(plan.get_by_role("heading", name="Your plan")).to_be_visible()
    whens = plan.locator(".plan-when").all_inner_texts()
    assert whens, "the plan is empty"
    order = ["TODAY", "NEXT RUN", "THIS MONTH"]
    assert [w.upper() for w in whens] == sorted((w.upper() for w in whens), key=order.index)
    assert plan.locator(".plan-action").count() <= 3
    # The plan comes before the causes, and a cause's reasons wait behind its summary.
    plan_top = plan.bounding_box()
    causes = page.locator("ol.causes > li")
    assert plan_top and causes.first.bounding_box()
    assert plan_top["y"] < causes.first.bounding_box()["y"]  # type: ignore[index]
    first = causes.first
    reasons = first.get_by_text("Because you said")
    expect(reasons).to_be_hidden()
    expect(page.get_by_role("heading", name="When to see a doctor")).to_be_visible()
    fits(page, width)
    screenshot(page, f"result-{width}-self-care")
    assert_no_serious_axe_violations(page)

    first.locator("summary").click()
    expect(reasons).to_be_visible()
    expect(first.locator(".fix-when").first).to_be_visible()
    page.get_by_text("Show and change your answers").click()
    expect(page.get_by_role("link", name=re.compile(re.escape(legs.text)))).to_be_visible()
    screenshot(page, f"result-{width}-self-care-open")
    assert_no_serious_axe_violations(page)
    assert_no_console_errors(page)


@WIDTHS
@pytest.mark.parametrize(
    ("sign", "heading", "call"),
    [
        ("chest_symptoms", "Get emergency help now", "999"),
        ("rest_pain_or_sores", "See a doctor today", "111"),
    ],
    ids=["emergency", "urgent"],
)
def test_help_now_has_a_large_tap_to_call_button(
    site: str, page_at: PageAt, width: int, sign: str, heading: str, call: str
) -> None:
    page = page_at(width)
    page.goto(f"{site}/assessment/?reset=1")
    page.locator(f'input[value="{sign}"]').check()
    next_button(page).click()

    expect(page).to_have_url(re.compile(r"/assessment/result/$"))
    expect(page.get_by_role("heading", name=heading)).to_be_visible()
    button = page.get_by_role("link", name=f"Call {call}")
    expect(button).to_be_visible()
    expect(button).to_have_attribute("href", f"tel:{call}")
    box = button.bounding_box()
    assert box is not None
    assert box["height"] >= 48, box
    if width == PHONE:
        assert box["width"] >= width * 0.8, box
    # The button is on the first screen, without scrolling.
    assert box["y"] + box["height"] <= 800, box
    expect(page.get_by_role("link", name="Find urgent care")).to_have_attribute(
        "href", "https://111.nhs.uk/"
    )
    expect(page.locator("section.plan")).to_have_count(0)
    fits(page, width)
    screenshot(page, f"result-{width}-{sign}")
    assert_no_serious_axe_violations(page)

    # Back from the result keeps the answer, in case it was ticked by mistake.
    page.go_back()
    expect(page.locator(f'input[value="{sign}"]')).to_be_checked()
    assert_no_console_errors(page)


@WIDTHS
def test_an_answer_changed_from_the_check_page_comes_back_to_it(
    site: str, page_at: PageAt, width: int
) -> None:
    page = page_at(width)
    walk_to_check_page(page, site, SELF_CARE, width)
    legs = Question.objects.get(key="legs")
    one = Choice.objects.get(question=legs, value="one").label
    page.get_by_role("link", name=re.compile(re.escape(legs.text))).click()

    expect(page).to_have_url(re.compile(r"/assessment/pattern/\?change=1#id_pattern-legs$"))
    expect(page.get_by_text("Changing your answers")).to_be_visible()
    expect(page.locator('input[name="pattern-legs"][value="both"]')).to_be_checked()
    fieldset = page.locator("#id_pattern-legs")
    expect(fieldset).to_be_in_viewport()
    screenshot(page, f"result-{width}-change-answer")
    assert_no_serious_axe_violations(page)
    page.locator('input[name="pattern-legs"][value="one"]').check()
    next_button(page).click()

    expect(page).to_have_url(re.compile(r"/assessment/check-answers/$"))
    row = page.locator(".answers-row", has_text=legs.text)
    expect(row.locator(".answers-value")).to_have_text(one)
    page.get_by_role("button", name="See my result").click()
    expect(page).to_have_url(re.compile(r"/assessment/result/$"))
    page.get_by_text("Show and change your answers").click()
    expect(page.locator(".answers-row", has_text=legs.text).locator(".answers-value")).to_have_text(
        one
    )
    assert_no_console_errors(page)


@WIDTHS
def test_the_whole_walk_works_with_the_keyboard_alone(
    site: str, page_at: PageAt, width: int
) -> None:
    page = page_at(width)
    page.goto(f"{site}/assessment/?reset=1")

    # Next without an answer: the error summary comes first and takes the focus.
    tab_to(page, "button.wizard-next")
    page.keyboard.press("Enter")
    summary = page.locator("[data-error-summary]")
    expect(summary).to_be_focused()
    expect(summary.get_by_role("heading", name="There is a problem")).to_be_visible()
    assert summary.bounding_box()["y"] < page.locator("h1").bounding_box()["y"]  # type: ignore[index]
    expect(page).to_have_title(re.compile(r"^Error: "))
    screenshot(page, f"result-{width}-keyboard-error")
    assert_no_serious_axe_violations(page)

    # Its link takes the focus to the question's first box.
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    expect(page.locator("#id_safety-warning_signs_0")).to_be_focused()
    tab_to(page, 'input[name="safety-warning_signs"][value="none"]')
    page.keyboard.press("Space")
    expect(page.locator('input[name="safety-warning_signs"][value="none"]')).to_be_checked()
    tab_to(page, "button.wizard-next")
    page.keyboard.press("Enter")

    # A long step: the focused answer is never hidden under the buttons kept at the bottom.
    expect(page.get_by_text("Step 2 of 6")).to_be_visible()
    cramps = 'input[name="pattern-symptoms"][value="cramps"]'
    tab_to(page, cramps)
    page.keyboard.press("Space")
    expect(page.locator(cramps)).to_be_checked()
    if width == PHONE:
        # Scrolling is smooth: wait for it to settle with the box above the buttons.
        page.wait_for_function(
            "() => { const box = document.activeElement.getBoundingClientRect();"
            " const bar = document.querySelector('.wizard-actions').getBoundingClientRect();"
            " return box.top >= 0 && box.bottom <= bar.top; }",
            timeout=5000,
        )
        expect(next_button(page)).to_be_in_viewport()
    for number in range(2, 7):
        expect(page.get_by_text(f"Step {number} of 6")).to_be_visible()
        tab_to(page, "button.wizard-next")
        page.keyboard.press("Enter")

    expect(page).to_have_url(re.compile(r"/assessment/check-answers/$"))
    tab_to(page, "button.wizard-next")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/assessment/result/$"))
    # The causes open from the keyboard too.
    tab_to(page, "details.cause-details > summary")
    page.keyboard.press("Enter")
    expect(page.locator("details.cause-details").first).to_have_attribute("open", "")
    screenshot(page, f"result-{width}-keyboard-result")
    assert_no_console_errors(page)


@WIDTHS
def test_next_stays_in_reach_on_a_long_step(site: str, page_at: PageAt, width: int) -> None:
    page = page_at(width)
    page.goto(f"{site}/assessment/?reset=1")
    page.locator('input[name="safety-warning_signs"][value="none"]').check()
    next_button(page).click()
    expect(page.get_by_text("Step 2 of 6")).to_be_visible()
    back, forward = page.get_by_role("link", name="Back"), next_button(page)
    # Back on the left, Next on the right, in the same order for the keyboard.
    back_box, next_box = back.bounding_box(), forward.bounding_box()
    assert back_box and next_box
    assert back_box["x"] < next_box["x"]
    assert page.evaluate(
        "document.querySelector('.wizard-actions a')"
        ".compareDocumentPosition(document.querySelector('.wizard-next'))"
        " & Node.DOCUMENT_POSITION_FOLLOWING"
    )
    if width == PHONE:
        assert page.evaluate("document.documentElement.scrollHeight") > 800 * 2
        expect(forward).to_be_in_viewport()
        page.mouse.wheel(0, 900)
        expect(forward).to_be_in_viewport()
    screenshot(page, f"result-{width}-wizard-step-2")
    assert_no_serious_axe_violations(page)
    assert_no_console_errors(page)


def test_the_warning_signs_page_offers_the_same_buttons(site: str, page_at: PageAt) -> None:
    page = page_at(PHONE)
    page.goto(f"{site}/warning-signs/")
    emergency = page.locator("section", has=page.locator("#level-emergency"))
    urgent = page.locator("section", has=page.locator("#level-urgent"))
    expect(emergency.get_by_role("link", name="Call 999")).to_have_attribute("href", "tel:999")
    expect(urgent.get_by_role("link", name="Call 111")).to_have_attribute("href", "tel:111")
    expect(urgent.get_by_role("link", name="Find urgent care")).to_be_visible()
    fits(page, PHONE)
    screenshot(page, f"result-{PHONE}-warning-signs")
    assert_no_serious_axe_violations(page)
    assert_no_console_errors(page)
