"""Shared fixtures and helpers for browser tests (loaded as a plugin by tests/conftest.py).

Browser tests drive Debian's headless Chromium (/usr/bin/chromium) through Playwright's sync API;
Playwright never downloads a browser here. Mark them ``@pytest.mark.browser`` and use:

- ``browser``: one Chromium for the whole session;
- ``site``: the base URL of pytest-django's ``live_server`` (see "Static files" below);
- ``page_at``: ``page_at(360)`` opens a fresh page (own cookies) with that viewport width
  (further keywords go to the browser context: ``java_script_enabled=False``,
  ``color_scheme="dark"``); every console error on it (a Content-Security-Policy
  violation, a failed request, a script error) is recorded for ``assert_no_console_errors``;
- ``open_menu(page)``: opens the main menu where it is folded (narrow screens);
- ``assert_no_serious_axe_violations(page)``: axe-core finds nothing serious or critical;
- ``screenshot(page, name)``: saves a full-page PNG under ``screenshots/`` (gitignored;
  ``SCREENSHOT_DIR`` overrides the folder) for a person to look at.

Static files: pytest-django's ``live_server`` wraps the site in
``django.contrib.staticfiles.handlers.StaticFilesHandler`` whenever ``django.contrib.staticfiles``
is installed. That handler serves ``/static/`` through the staticfiles finders whatever DEBUG
is, so Bootstrap (from the ``bootstrap`` app package) and ``static/`` load without
``collectstatic``, exactly as ``runserver`` does in development. ``assert_styles_loaded`` checks
that the stylesheets really arrived, so a broken static set-up fails loudly instead of
producing unstyled screenshots.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe  # type: ignore[import-untyped]
from playwright.sync_api import (
    Browser,
    BrowserContext,
    ConsoleMessage,
    Page,
    expect,
    sync_playwright,
)

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
SERIOUS_IMPACTS = frozenset({"serious", "critical"})
PROJECT_ROOT = Path(__file__).resolve().parent.parent
SCREENSHOT_DIR = Path(os.environ.get("SCREENSHOT_DIR", PROJECT_ROOT / "screenshots"))

PageAt = Callable[..., Page]


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is missing: `make test` installs Debian's chromium package")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


@pytest.fixture
def site(live_server: Any, settings: Any) -> str:
    """Base URL of the live server, with the HTTPS-only protections off for plain HTTP."""
    settings.SECURE_SSL_REDIRECT = False
    settings.SESSION_COOKIE_SECURE = False
    settings.CSRF_COOKIE_SECURE = False
    return str(live_server.url)


@pytest.fixture
def page_at(browser: Browser) -> Iterator[PageAt]:
    contexts: list[BrowserContext] = []

    def open_page(width: int, height: int = 800, **options: Any) -> Page:
        context = browser.new_context(viewport={"width": width, "height": height}, **options)
        contexts.append(context)
        page = context.new_page()
        errors: list[str] = []

        def record(message: ConsoleMessage) -> None:
            if message.type == "error":
                errors.append(f"{message.text} ({page.url})")

        page.on("console", record)
        page.on("pageerror", lambda error: errors.append(f"{error} ({page.url})"))
        page.console_errors = errors  # type: ignore[attr-defined]
        return page

    yield open_page
    for context in contexts:
        context.close()


def open_menu(page: Page) -> None:
    """Open the main menu where it is folded behind its "Menu" button (narrow screens)."""
    toggle = page.locator(".site-menu-toggle")
    if toggle.is_visible():
        toggle.click()
        expect(page.locator("#main-nav")).to_be_visible()


def assert_no_console_errors(page: Page) -> None:
    errors: list[str] = getattr(page, "console_errors", [])
    assert not errors, "Console errors:\n" + "\n".join(errors)


def assert_styles_loaded(page: Page) -> None:
    """Bootstrap and the site stylesheet were served and applied."""
    sheets = page.evaluate("Array.from(document.styleSheets).map(s => [s.href, s.cssRules.length])")
    loaded = {href.rsplit("/", 1)[-1]: rules for href, rules in sheets if href}
    assert loaded.get("bootstrap.min.css", 0) > 100, sheets
    assert loaded.get("site.css", 0) > 0, sheets


def assert_no_serious_axe_violations(page: Page) -> None:
    results = Axe().run(page)
    serious = [v for v in results.response["violations"] if v["impact"] in SERIOUS_IMPACTS]
    details = [
        f"{v['id']} ({v['impact']}): {v['help']} at "
        + ", ".join(", ".join(node["target"]) for node in v["nodes"])
        for v in serious
    ]
    assert not serious, f"axe on {page.url}:\n" + "\n".join(details)


def screenshot(page: Page, name: str) -> Path:
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOT_DIR / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
