"""The history journey in real Chromium: an assessment saved by signing up and confirming
the address, a second one saved with its run, a follow-up, insights, a CSV download
and a deletion; screenshots and axe on the way."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from legs.history.models import Episode
from tests.browser import (
    PageAt,
    assert_no_console_errors,
    assert_no_serious_axe_violations,
    assert_styles_loaded,
    open_menu,
    screenshot,
)
from tests.factories import activation_links
from tests.test_history import SPIKE, TIRED

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("seeded")]
EMAIL = "history.runner@example.com"
PASSWORD = "lantern-meadow-copper-73"


def label(page: Page, text: str) -> Any:
    """A form field by its visible label (required fields add an asterisk to it)."""
    return page.get_by_label(re.compile(rf"^\s*{re.escape(text)}\s*\*?\s*$"))


def fits(page: Page) -> None:
    width = page.viewport_size["width"] if page.viewport_size else 0
    assert page.evaluate("document.documentElement.scrollWidth") <= width


def take_assessment(page: Page, site: str, answers: Mapping[str, Any]) -> None:
    page.goto(f"{site}/assessment/?reset=1")
    for _ in range(10):
        if "/assessment/result/" in page.url:
            return
        if "/assessment/check-answers/" in page.url:
            page.get_by_role("button", name="See my result").click()
            continue
        step = page.locator("input[name$='-current_step']").input_value()
        for key, value in answers.items():
            for v in [value] if isinstance(value, str) else value:
                box = page.locator(f'input[name="{step}-{key}"][value="{v}"]')
                if box.count():
                    box.check()
        page.get_by_role("button", name=re.compile(r"^(Next|See my result)$")).click()
        page.wait_for_load_state()
    expect(page).to_have_url(re.compile(r"/assessment/result/$"))


def fill_run(page: Page, *, days_ago: int, distance: str, minutes: str, heaviness: str) -> None:
    day = timezone.localdate() - timedelta(days=days_ago)
    label(page, "Date of the run").fill(day.isoformat())
    label(page, "Distance").fill(distance)
    label(page, "Time running").fill(minutes)
    label(page, "How heavy did your legs feel?").select_option(heaviness)
    label(page, "Which legs").select_option("both")
    label(page, "Notes").fill(f"Run of {day:%d %B}: legs like lead.")


def save_run(page: Page, *, days_ago: int, distance: str, minutes: str, heaviness: str) -> None:
    fill_run(page, days_ago=days_ago, distance=distance, minutes=minutes, heaviness=heaviness)
    page.get_by_role("button", name="Save to my history").click()
    expect(page.get_by_role("status")).to_contain_text("Saved to your history.")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Heavy legs on")


def check_page(page: Page, name: str) -> None:
    fits(page)
    screenshot(page, name)
    assert_no_serious_axe_violations(page)


def test_the_history_journey(site: str, page_at: PageAt, mailoutbox: list[Any]) -> None:
    # A first assessment before having an account: saving it leads through sign-up and the
    # confirmation email back to the result, with the run's details still filled in.
    page = page_at(1280)
    take_assessment(page, site, SPIKE)
    assert_styles_loaded(page)
    expect(page.get_by_role("heading", name="Save this result to your history")).to_be_visible()
    fill_run(page, days_ago=6, distance="10", minutes="55", heaviness="4")
    page.get_by_role("button", name="Save to my history").click()
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next="))
    page.get_by_role("link", name="Create an account").click()
    page.locator("#id_email").fill(EMAIL)
    page.locator("#id_display_name").fill("Sam")
    page.locator("#id_password1").fill(PASSWORD)
    page.locator("#id_password2").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()
    assert Episode.objects.count() == 0

    # Confirming the address saves the result, with the run's details typed before.
    page.goto(f"{site}{activation_links(mailoutbox[-1])['text']}")
    expect(page).to_have_url(re.compile(r"/history/\d+/$"))
    expect(page.get_by_role("status")).to_contain_text("Your email address is confirmed")
    expect(page.get_by_role("status")).to_contain_text("Your result is saved to your history.")
    expect(page.get_by_role("link", name="History", exact=True)).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Heavy legs on")
    expect(page.locator(".episode-facts")).to_contain_text("10.00 km")
    expect(page.locator(".episode-facts")).to_contain_text("legs like lead")
    check_page(page, "history-saved-on-confirmation-1280")

    # A second assessment, saved with the details of its run.
    take_assessment(page, site, TIRED)
    save_run(page, days_ago=1, distance="12.5", minutes="1:12", heaviness="8")
    assert Episode.objects.filter(owner__email=EMAIL).count() == 2

    # On the newest episode: tick a fix that was tried and say it helped, in one form.
    episode = page.url
    fix = page.locator("#remedies input[type=checkbox]").first
    fix.check()
    follow_up = page.locator("#follow-up")
    follow_up.get_by_label("Better").check()
    follow_up.get_by_label("Note (optional)").fill("Two early nights and the legs came back.")
    follow_up.get_by_role("button", name="Save what I tried and how I feel").click()
    expect(page.get_by_role("status")).to_contain_text("your follow-up and the fixes you tried")
    expect(page.locator("#remedies input[type=checkbox]").first).to_be_checked()
    expect(page.locator("#follow-up")).to_contain_text("you said your legs felt better")
    check_page(page, "history-episode-1280")

    page.get_by_role("link", name="History", exact=True).click()
    expect(page.get_by_role("heading", name="Your history")).to_be_visible()
    expect(page.locator(".episode-card")).to_have_count(2)
    check_page(page, "history-list-1280")

    page.get_by_role("link", name="Insights").click()
    expect(page.get_by_role("heading", name="What your history shows")).to_be_visible()
    expect(page.get_by_role("img", name="Heaviness over time")).to_be_visible()
    expect(page.get_by_text("Two early nights")).to_have_count(0)
    expect(page.get_by_role("heading", name="Fixes you reported as helping")).to_be_visible()
    expect(page.locator("section", has_text="Runs much longer than usual")).to_contain_text("25%")
    check_page(page, "history-insights-1280")

    # The printable version of the newest episode, for a doctor.
    page.goto(f"{episode}print/")
    expect(page.get_by_text("Not a diagnosis.").first).to_be_visible()
    expect(
        page.get_by_role("heading", name=re.compile("Heavy-leg episodes of Sam"))
    ).to_be_visible()
    check_page(page, "history-print-1280")

    page.get_by_role("link", name="Back to your history").click()
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download CSV (spreadsheet)").click()
    download = download_info.value
    assert download.suggested_filename.endswith(".csv")
    text = Path(download.path()).read_text(encoding="utf-8")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [r["heaviness"] for r in rows] == ["4", "8"]
    assert [r["distance_km"] for r in rows] == ["10.00", "12.50"]
    assert rows[1]["follow_up"] == "better"

    # The same pages on a phone, in a second browser with the same login.
    phone = page_at(360)
    phone.context.add_cookies(page.context.cookies())
    for path, name in [
        ("/history/", "history-list-360"),
        (episode.removeprefix(site), "history-episode-360"),
        ("/history/insights/", "history-insights-360"),
    ]:
        phone.goto(f"{site}{path}")
        check_page(phone, name)
    phone.goto(f"{site}/history/")
    open_menu(phone)
    expect(phone.get_by_role("link", name="History", exact=True)).to_be_visible()
    assert_no_console_errors(phone)

    # Delete the older episode, after the confirmation page.
    page.goto(f"{site}/history/")
    page.locator(".episode-card").nth(1).get_by_role("link").first.click()
    page.get_by_role("link", name="Delete this episode").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Delete the episode of")
    check_page(page, "history-delete-1280")
    page.get_by_role("button", name="Delete the episode").click()
    expect(page.get_by_role("status")).to_contain_text("The episode is deleted.")
    expect(page.locator(".episode-card")).to_have_count(1)
    assert Episode.objects.filter(owner__email=EMAIL).count() == 1
    assert_no_console_errors(page)
