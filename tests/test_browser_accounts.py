"""In real Chromium: sign up and confirm by email, log out, log in; a new confirmation link;
the home page on a phone and a desktop; axe."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Locator, Page, expect

from accounts.models import User
from tests.browser import (
    PageAt,
    assert_no_console_errors,
    assert_no_serious_axe_violations,
    assert_styles_loaded,
    open_menu,
    screenshot,
)
from tests.factories import activation_links

pytestmark = pytest.mark.browser

EMAIL = "browser.runner@example.com"
PASSWORD = "juniper-harbour-kettle-48"


def field(page: Page, label: str) -> Locator:
    """A form field by its visible label (required fields add an asterisk to it)."""
    return page.get_by_label(re.compile(rf"^\s*{label}\s*\*?\s*$"))


def activation_path(mailbox: list[Any]) -> str:
    """The link of the latest confirmation email (the live server runs in this process)."""
    return activation_links(mailbox[-1])["text"]


def test_sign_up_confirm_log_out_and_log_in_again(
    site: str, page_at: PageAt, mailoutbox: list[Any]
) -> None:
    page = page_at(1280)
    page.goto(f"{site}/")
    assert_styles_loaded(page)
    page.get_by_role("link", name="Sign up").click()
    expect(page.get_by_role("heading", name="Create your account")).to_be_visible()
    assert_no_serious_axe_violations(page)

    # A mistake first: the form comes back with the message by the field.
    field(page, "Email address").fill(EMAIL)
    field(page, "Password").fill(PASSWORD)
    field(page, "Confirm password").fill(PASSWORD + "x")
    page.get_by_role("button", name="Create account").click()
    expect(page.locator("#id_password2_error")).to_contain_text("didn’t match")
    assert_no_serious_axe_violations(page)

    field(page, "Password").fill(PASSWORD)
    field(page, "Confirm password").fill(PASSWORD)
    field(page, "Display name").fill("Robin")
    page.get_by_label("Miles").check()
    page.get_by_role("button", name="Create account").click()

    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()
    expect(page.get_by_role("button", name="Log out")).to_have_count(0)
    assert_no_serious_axe_violations(page)
    screenshot(page, "signup-sent-1280")
    assert [message.to for message in mailoutbox] == [[EMAIL]]
    page.goto(f"{site}{activation_path(mailoutbox)}")

    expect(page.get_by_role("status")).to_contain_text("Welcome! Your email address is confirmed")
    expect(page.get_by_role("link", name="Robin")).to_be_visible()
    assert User.objects.get(email=EMAIL).distance_unit == "mi"

    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("link", name="Log in")).to_be_visible()
    expect(page.get_by_role("button", name="Log out")).to_have_count(0)

    page.get_by_role("link", name="Log in").click()
    expect(page.get_by_role("heading", name="Log in")).to_be_visible()
    assert_no_serious_axe_violations(page)
    field(page, "Email address").fill(EMAIL.upper())
    field(page, "Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()

    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.get_by_role("link", name="Robin")).to_be_visible()
    screenshot(page, "home-1280-logged-in")
    assert_no_console_errors(page)


def test_wrong_password_in_the_browser_shows_the_message(site: str, page_at: PageAt) -> None:
    User.objects.create_user(email=EMAIL, password=PASSWORD)
    page = page_at(1280)
    page.goto(f"{site}/accounts/login/")
    field(page, "Email address").fill(EMAIL)
    field(page, "Password").fill("not-it")
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("alert")).to_contain_text("Please enter a correct email address")
    assert_no_serious_axe_violations(page)
    assert_no_console_errors(page)


@pytest.mark.parametrize("width", [360, 1280])
def test_home_page_fits_the_screen_and_passes_axe(site: str, page_at: PageAt, width: int) -> None:
    page = page_at(width)
    page.goto(f"{site}/")
    assert_styles_loaded(page)
    expect(page.get_by_role("link", name="Start an assessment")).to_be_visible()
    # Nothing wider than the screen: no sideways scrolling on a phone.
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    screenshot(page, f"home-{width}")
    assert_no_serious_axe_violations(page)
    assert_no_console_errors(page)


def test_phone_menu_opens_and_logs_out(site: str, page_at: PageAt) -> None:
    User.objects.create_user(email=EMAIL, password=PASSWORD, display_name="Robin")
    page = page_at(360)
    page.goto(f"{site}/accounts/login/")
    field(page, "Email address").fill(EMAIL)
    field(page, "Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("link", name="Robin")).to_be_hidden()

    open_menu(page)
    screenshot(page, "home-360-menu-open")
    page.get_by_role("button", name="Log out").click()
    open_menu(page)
    expect(page.get_by_role("link", name="Sign up")).to_be_visible()
    assert_no_console_errors(page)


def test_logging_in_before_confirming_offers_a_new_link_on_a_phone(
    site: str, page_at: PageAt, mailoutbox: list[Any]
) -> None:
    User.objects.create_user(email=EMAIL, password=PASSWORD, display_name="Robin", is_active=False)
    page = page_at(360)
    page.goto(f"{site}/accounts/login/")
    field(page, "Email address").fill(EMAIL)
    field(page, "Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("alert")).to_contain_text("If you have just signed up, first confirm")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    screenshot(page, "login-360-unconfirmed")
    assert_no_serious_axe_violations(page)

    page.get_by_role("button", name="Send me a new confirmation link").click()
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()
    expect(page.get_by_text("If an unconfirmed account uses that address")).to_be_visible()
    assert_no_serious_axe_violations(page)
    link = activation_path(mailoutbox)
    page.goto(f"{site}{link}")
    # This browser did not make the sign-up, so the link asks for the password first.
    expect(
        page.get_by_text("For your safety, enter the password you chose when you signed up.")
    ).to_be_visible()
    field(page, "Password").fill("not-the-password-1")
    page.get_by_role("button", name="Confirm and log in").click()
    expect(page.locator("#id_password_error")).to_contain_text("does not match")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    screenshot(page, "activation-360-password")
    assert_no_serious_axe_violations(page)
    field(page, "Password").fill(PASSWORD)
    page.get_by_role("button", name="Confirm and log in").click()
    expect(page.get_by_role("status")).to_contain_text("Welcome! Your email address is confirmed")
    open_menu(page)
    expect(page.get_by_role("link", name="Robin")).to_be_visible()

    # The link works once: a second visit, in another browser, explains what to do.
    other = page_at(360)
    other.goto(f"{site}{link}")
    expect(other.get_by_role("heading", name="This link no longer works")).to_be_visible()
    expect(other.get_by_role("link", name="Get a new link")).to_be_visible()
    screenshot(other, "activation-360-used-link")
    assert_no_serious_axe_violations(other)
    assert_no_console_errors(page)
    assert_no_console_errors(other)


def test_sign_up_errors_on_a_phone(site: str, page_at: PageAt) -> None:
    page = page_at(360)
    page.goto(f"{site}/accounts/signup/")
    page.get_by_role("button", name="Create account").click()
    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("There is a problem")
    expect(summary).to_be_focused()
    summary.get_by_role("link", name=re.compile("Email address")).click()
    expect(page.locator("#id_email")).to_be_focused()
    expect(page.locator("#id_email_error")).to_contain_text("This field is required.")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    screenshot(page, "signup-360-errors")
    assert_no_serious_axe_violations(page)
    assert_no_console_errors(page)


def test_account_and_base_pages_pass_axe(site: str, page_at: PageAt) -> None:
    missing = page_at(360)  # its console rightly reports the 404
    missing.goto(f"{site}/no-such-page/")
    assert_no_serious_axe_violations(missing)
    page = page_at(360)
    for path in ("/about/", "/privacy/", "/accounts/password/reset/"):
        page.goto(f"{site}{path}")
        assert_no_serious_axe_violations(page)
    User.objects.create_user(email=EMAIL, password=PASSWORD)
    page.goto(f"{site}/accounts/login/")
    field(page, "Email address").fill(EMAIL)
    field(page, "Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(re.compile(r"/$"))
    for path in ("/accounts/profile/", "/accounts/password/change/", "/accounts/delete/"):
        page.goto(f"{site}{path}")
        assert_no_serious_axe_violations(page)
    screenshot(page, "delete-account-360")
    assert_no_console_errors(page)
