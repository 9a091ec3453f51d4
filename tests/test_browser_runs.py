"""Importing runs in real Chromium: upload files, watch the progress bar follow the
background import to the end, then see the runs and the training load; axe and screenshots
on the way."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from legs.history.models import ImportBatch, Run
from legs.history.run_import import process_batch
from tests.browser import (
    PageAt,
    assert_no_console_errors,
    assert_no_serious_axe_violations,
    screenshot,
)
from tests.factories import PASSWORD, make_user
from tests.runfiles import Sample, fit, gpx, tcx

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("seeded")]
EMAIL = "import.runner@example.com"


class QueuedTask:
    """Stands in for the import task: the upload is queued, and the test runs the import
    while the page watches (as a worker would)."""

    def __init__(self) -> None:
        self.queued: list[int] = []

    def enqueue(self, batch_id: int) -> None:
        self.queued.append(batch_id)


def run_files() -> list[dict[str, Any]]:
    today = timezone.localdate()
    files = []
    for n, (extension, write) in enumerate([("gpx", gpx), ("fit", fit), ("tcx", tcx)] * 3):
        day = today - timedelta(days=2 + n * 3)
        sample = Sample(datetime(day.year, day.month, day.day, 7, tzinfo=UTC), km=8 + n)
        files.append(
            {
                "name": f"run-{n}.{extension}",
                "mimeType": "application/octet-stream",
                "buffer": write(sample),
            }
        )
    files.append({"name": "broken.fit", "mimeType": "application/octet-stream", "buffer": b"x"})
    return files


def test_an_upload_is_imported_while_the_progress_bar_follows_it(
    site: str, page_at: PageAt, monkeypatch: pytest.MonkeyPatch
) -> None:
    task = QueuedTask()
    monkeypatch.setattr("legs.history.run_views.import_runs", task)
    make_user(EMAIL)
    page = page_at(1280)
    page.goto(f"{site}/accounts/login/")
    page.get_by_label(re.compile(r"^\s*Email address")).fill(EMAIL)
    page.get_by_label(re.compile(r"^\s*Password")).fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("link", name="Runs", exact=True).click()
    expect(page.get_by_role("heading", name="No runs yet")).to_be_visible()
    page.get_by_role("link", name="Import runs").first.click()
    assert_no_serious_axe_violations(page)
    screenshot(page, "runs-import-1280")

    page.get_by_label("Files from your watch or Strava").set_input_files(run_files())
    page.get_by_role("button", name="Import").click()
    expect(page.get_by_role("heading", name="Importing your runs")).to_be_visible()
    progress = page.locator("progress")
    expect(progress).to_have_attribute("value", "0")
    expect(page.get_by_role("link", name="Refresh")).to_be_visible()
    screenshot(page, "runs-import-waiting-1280")

    # The worker picks the upload up; the page follows without being reloaded by hand.
    [batch_id] = task.queued
    process_batch(batch_id)
    expect(page.get_by_role("heading", name="Import finished")).to_be_visible(timeout=15_000)
    expect(progress).to_have_attribute("value", "100")
    expect(page.get_by_text("broken.fit")).to_be_visible()
    assert ImportBatch.objects.get().imported == 9
    assert_no_serious_axe_violations(page)
    screenshot(page, "runs-import-finished-1280")

    page.get_by_role("link", name="See your runs").click()
    expect(page.get_by_role("table")).to_contain_text("9.00 km")
    assert Run.objects.count() == 9
    page.get_by_role("link", name="Training load").click()
    expect(page.get_by_role("heading", name="Your training load")).to_be_visible()
    expect(page.locator("svg.weekly-chart rect")).to_have_count(12)
    assert_no_serious_axe_violations(page)
    screenshot(page, "insights-training-load-1280")
    assert_no_console_errors(page)
