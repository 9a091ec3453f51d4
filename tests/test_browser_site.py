"""The whole site in real Chromium, at a phone's width (390 px) and a desktop's (1366 px): the
menu with and without JavaScript, the keyboard focus ring, dark mode, the history as cards,
one heading 1 per page and axe on the main pages. Screenshots go to the test output folder."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client
from playwright.sync_api import Page, expect

from accounts.models import User
from legs.history.models import FollowUp
from tests.browser import (
    PageAt,
    assert_no_console_errors,
    assert_no_serious_axe_violations,
    assert_styles_loaded,
    open_menu,
    screenshot,
)
from tests.factories import PASSWORD, make_user
from tests.test_history import SPIKE, TIRED, URGENT, make_episode

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("seeded")]
PHONE, DESKTOP = 390, 1366


def log_in(page: Page, site: str, user: User) -> None:
    """Give the page's browser a session of `user` (the log-in form has tests of its own)."""
    client = Client()
    client.force_login(user)
    cookie = client.cookies["sessionid"]
    page.context.add_cookies([{"name": "sessionid", "value": cookie.value, "url": site}])


def fits(page: Page) -> None:
    """Nothing wider than the screen: no sideways scrolling."""
    width = page.viewport_size["width"] if page.viewport_size else 0
    assert page.evaluate("document.documentElement.scrollWidth") <= width


def runner_with_history() -> tuple[User, Any]:
    user = make_user("cards@example.com", display_name="Cara")
    make_episode(user, TIRED, days_ago=12, heaviness=5, distance_km="8", saved_days_ago=10)
    due = make_episode(user, SPIKE, days_ago=6, heaviness=7, distance_km="21.1", saved_days_ago=5)
    answered = make_episode(user, TIRED, days_ago=2, heaviness=4, saved_days_ago=2)
    FollowUp.objects.create(episode=answered, outcome="better")
    latest = make_episode(user, URGENT, days_ago=0, heaviness=8)
    return user, {"due": due, "latest": latest}


# THE MENU


def test_the_phone_menu_opens_without_javascript_and_reaches_log_in_and_history(
    site: str, page_at: PageAt
) -> None:
    page = page_at(PHONE, java_script_enabled=False)
    page.goto(f"{site}/")
    assert_styles_loaded(page)
    log_in_link = page.get_by_role("link", name="Log in", exact=True)
    expect(log_in_link).to_be_hidden()
    open_menu(page)
    expect(log_in_link).to_be_visible()
    screenshot(page, "site-menu-no-js-390")
    log_in_link.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Log in")

    # The log-in form works without JavaScript too; then the menu has History.
    make_user("menu@example.com", display_name="Mo")
    page.get_by_label(re.compile(r"^\s*Email address")).fill("menu@example.com")
    page.get_by_label(re.compile(r"^\s*Password")).fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    history = page.get_by_role("link", name="History", exact=True)
    expect(history).to_be_hidden()
    open_menu(page)
    history.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your history")
    fits(page)


@pytest.mark.parametrize("javascript", [True, False])
def test_on_a_desktop_the_menu_links_are_in_the_bar(
    site: str, page_at: PageAt, javascript: bool
) -> None:
    page = page_at(DESKTOP, java_script_enabled=javascript)
    page.goto(f"{site}/")
    expect(page.locator(".site-menu-toggle")).to_be_hidden()
    for name in ("Assessment", "Causes", "Warning signs", "Log in", "Sign up"):
        expect(page.locator("#main-nav").get_by_role("link", name=name, exact=True)).to_be_visible()
    screenshot(page, f"site-menu-{'js' if javascript else 'no-js'}-1366")
    assert_no_console_errors(page)


def test_escape_closes_the_phone_menu(site: str, page_at: PageAt) -> None:
    page = page_at(PHONE)
    page.goto(f"{site}/")
    open_menu(page)
    page.keyboard.press("Escape")
    expect(page.locator("#main-nav")).to_be_hidden()
    expect(page.locator(".site-menu-toggle")).to_be_focused()


# KEYBOARD


@pytest.mark.parametrize("width", [PHONE, DESKTOP])
def test_the_keyboard_reaches_a_skip_link_first_and_every_focus_shows_a_ring(
    site: str, page_at: PageAt, width: int
) -> None:
    page = page_at(width)
    page.goto(f"{site}/")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to main content")
    expect(skip).to_be_focused()
    expect(skip).to_be_visible()
    screenshot(page, f"site-focus-skip-link-{width}")
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    # The skip link jumps over the menu: the next stop is in the main content.
    expect(page.locator("main a").first).to_be_focused()
    assert_focus_ring(page)
    screenshot(page, f"site-focus-link-{width}")

    # The log-in page starts on its first field; from there: fields, button, links.
    page.goto(f"{site}/accounts/login/")
    seen = []
    for _ in range(5):
        seen.append(assert_focus_ring(page))
        page.keyboard.press("Tab")
    assert {"INPUT", "BUTTON", "A"} <= set(seen), seen
    page.get_by_role("button", name="Log in").focus()
    screenshot(page, f"site-focus-button-{width}")


def assert_focus_ring(page: Page) -> str:
    """The focused element has a solid outline of 2 px or more and the inner ring."""
    ring = dict(
        page.evaluate(
            """() => {
                const style = getComputedStyle(document.activeElement);
                return {tag: document.activeElement.tagName, style: style.outlineStyle,
                        width: style.outlineWidth, shadow: style.boxShadow};
            }"""
        )
    )
    assert ring["style"] == "solid", ring
    assert float(ring["width"].removesuffix("px")) >= 2, ring
    assert "2px" in ring["shadow"], ring
    return ring["tag"]


# LOOK


@pytest.mark.parametrize("javascript", [True, False])
def test_dark_mode_follows_the_system_setting(site: str, page_at: PageAt, javascript: bool) -> None:
    page = page_at(PHONE, color_scheme="dark", java_script_enabled=javascript)
    page.goto(f"{site}/")
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    red, green, blue = map(int, re.findall(r"\d+", background)[:3])
    assert max(red, green, blue) < 60, background
    if javascript:
        screenshot(page, "site-home-dark-390")
        assert_no_serious_axe_violations(page)
    light = page_at(PHONE, color_scheme="light", java_script_enabled=javascript)
    light.goto(f"{site}/")
    assert light.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(255, 255, 255)"


@pytest.mark.parametrize("width", [PHONE, DESKTOP])
def test_a_runners_pages_in_dark_mode_keep_their_contrast(
    site: str, page_at: PageAt, width: int
) -> None:
    user, episodes = runner_with_history()
    page = page_at(width, color_scheme="dark")
    log_in(page, site, user)
    for path, name in [
        ("/", "home-runner"),
        ("/history/", "history-list"),
        (episodes["due"].get_absolute_url(), "history-episode"),
    ]:
        page.goto(f"{site}{path}")
        screenshot(page, f"site-{name}-dark-{width}")
        assert_no_serious_axe_violations(page)
    assert_no_console_errors(page)


def test_icons_come_from_the_page_itself(site: str, page_at: PageAt) -> None:
    """Icons are inline SVG from a Python package: nothing loads from another origin."""
    page = page_at(DESKTOP)
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.goto(f"{site}/")
    expect(page.locator("svg.icon").first).to_be_attached()
    assert requests and all(url.startswith(site) for url in requests), requests


# HISTORY AS CARDS, AND THE MAIN PAGES WITH AXE


def test_history_on_a_phone_is_a_list_of_cards(site: str, page_at: PageAt) -> None:
    user, episodes = runner_with_history()
    page = page_at(PHONE)
    log_in(page, site, user)
    page.goto(f"{site}/history/")
    cards = page.locator(".episode-card")
    expect(cards).to_have_count(4)
    expect(page.locator("table")).to_have_count(0)
    first = cards.first
    expect(first).to_contain_text("Doctor today")
    link = page.locator(f'a[href="{episodes["due"].get_absolute_url()}"]')
    due = page.locator(".episode-card", has=link)
    expect(due).to_contain_text("21.10 km")
    expect(due).to_contain_text("Follow-up due")
    expect(due).to_contain_text(episodes["due"].top_cause_name)
    fits(page)
    screenshot(page, "site-history-cards-390")
    page.locator(".episode-card").nth(1).get_by_role("link").first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Heavy legs on")


@pytest.mark.parametrize("width", [PHONE, DESKTOP])
def test_the_main_pages_have_one_heading_1_and_pass_axe(
    site: str, page_at: PageAt, width: int
) -> None:
    user, episodes = runner_with_history()
    visitor = page_at(width)
    for path, name in [("/", "home"), ("/accounts/login/", "login")]:
        visitor.goto(f"{site}{path}")
        check(visitor, f"site-{name}-{width}")
    page = page_at(width)
    log_in(page, site, user)
    for path, name in [
        ("/", "home-runner"),
        ("/history/", "history-list"),
        (episodes["due"].get_absolute_url(), "history-episode"),
        ("/accounts/delete/", "account-delete"),
    ]:
        page.goto(f"{site}{path}")
        check(page, f"site-{name}-{width}")
    assert_no_console_errors(visitor)
    assert_no_console_errors(page)


def check(page: Page, name: str) -> None:
    expect(page.locator("h1")).to_have_count(1)
    expect(page.locator("form[action='']")).to_have_count(0)
    fits(page)
    screenshot(page, name)
    assert_no_serious_axe_violations(page)
