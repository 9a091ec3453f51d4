"""The training log: runs are private, listed, exported, deleted with the account, linked to
the day's episode, stored once, and seen by superusers as metadata only."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.contrib import admin
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from accounts.services import account_delete
from legs.history.imports import Activity
from legs.history.models import Episode, ImportBatch, Run, run_fingerprint
from legs.history.services import (
    DuplicateRun,
    RunContext,
    episode_update_run_context,
    import_batch_create,
    run_create,
)
from tests.factories import make_staff, make_superuser, make_user
from tests.test_history import make_episode

pytestmark = pytest.mark.usefixtures("seeded")

RUNS = reverse("history:runs")


@pytest.fixture
def owner() -> User:
    return make_user("owner@example.com")


@pytest.fixture
def outsider() -> User:
    return make_user("outsider@example.com")


def activity(
    days_ago: int = 0,
    km: float = 10,
    *,
    hour: int = 7,
    minute: int = 30,
    strava_id: int | None = None,
    source: str = "gpx",
) -> Activity:
    day = timezone.localdate() - timedelta(days=days_ago)
    return Activity(
        start_time=datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC),
        distance_m=round(km * 1000),
        moving_time_s=round(km * 330),
        elevation_gain_m=40,
        average_heart_rate=148,
        strava_id=strava_id,
        source=source,
    )


def make_run(user: User, days_ago: int = 0, km: float = 10, **extra: Any) -> Run:
    return run_create(user=user, activity=activity(days_ago, km, **extra))


# THE DUPLICATE RULE


def test_the_same_run_from_another_file_is_stored_once(owner: User) -> None:
    """A watch's FIT file and Strava's copy of the same run start within seconds of each
    other and measure a slightly different distance: one run."""
    run_create(user=owner, activity=activity(1, 10.0, source="fit"))
    again = activity(1, 10.04, source="strava", strava_id=123)
    shifted = {**_fields(again), "start_time": again.start_time + timedelta(seconds=20)}
    with pytest.raises(DuplicateRun):
        run_create(user=owner, activity=Activity(**shifted))
    assert Run.objects.count() == 1


def _fields(found: Activity) -> dict[str, Any]:
    return {name: getattr(found, name) for name in Activity.__slots__}


def test_a_start_a_minute_apart_across_a_minute_boundary_is_the_same_run(owner: User) -> None:
    first = activity(1)
    run_create(user=owner, activity=first)
    near = {**_fields(first), "start_time": first.start_time + timedelta(seconds=61)}
    with pytest.raises(DuplicateRun):
        run_create(user=owner, activity=Activity(**near))


def test_the_same_strava_activity_is_stored_once_even_with_another_start(owner: User) -> None:
    make_run(owner, 3, strava_id=42)
    with pytest.raises(DuplicateRun):
        make_run(owner, 3, hour=12, strava_id=42)


def test_two_runs_of_one_day_are_two_runs(owner: User) -> None:
    make_run(owner, 2, hour=7)
    make_run(owner, 2, hour=18, km=5)
    assert Run.objects.filter(owner=owner).count() == 2


def test_another_runners_identical_run_is_theirs(owner: User, outsider: User) -> None:
    make_run(owner, 1)
    make_run(outsider, 1)
    assert Run.objects.count() == 2


def test_the_fingerprint_is_the_start_to_the_minute_or_the_day_distance_and_time() -> None:
    start = datetime(2026, 3, 1, 7, 30, 59, tzinfo=UTC)
    day = start.date()
    assert run_fingerprint(start_time=start, run_date=day, distance_m=1, moving_time_s=1) == (
        "start:2026-03-01T07:30Z"
    )
    assert (
        run_fingerprint(start_time=None, run_date=day, distance_m=10_004, moving_time_s=3000)
        == "day:2026-03-01:10000:3000"
    )


def test_the_date_of_a_run_is_where_it_was_run_when_the_file_says() -> None:
    late = Activity(
        start_time=datetime(2026, 3, 2, 2, 0, tzinfo=UTC),
        distance_m=5000,
        moving_time_s=1500,
        source="fit",
        utc_offset=timedelta(hours=-8),
    )
    assert late.day(UTC).isoformat() == "2026-03-01"


# PAGES: ACCESS AND QUERIES


def test_the_runs_page_lists_the_owners_runs_in_a_fixed_number_of_queries(
    client: Client, owner: User, outsider: User, django_assert_num_queries: Any
) -> None:
    for days in range(3):
        make_run(owner, days, km=8 + days)
    make_run(outsider, 0, km=21.1)
    client.force_login(owner)
    # 1 session, 2 user, 3 count, 4 the page of runs
    with django_assert_num_queries(4):
        response = client.get(RUNS)
    assert response.status_code == 200
    assert len(response.context["page"].object_list) == 3
    assert "21.1" not in response.content.decode()
    assert "no-store" in response["Cache-Control"]


def test_the_runs_page_is_paginated(client: Client, owner: User) -> None:
    for days in range(55):
        make_run(owner, days)
    client.force_login(owner)
    first = client.get(RUNS)
    second = client.get(RUNS, {"page": 2})
    assert len(first.context["page"].object_list) == 50
    assert len(second.context["page"].object_list) == 5


@pytest.mark.parametrize("name", ["run_detail", "run_delete"])
def test_a_run_page_is_the_owners_only(
    client: Client, owner: User, outsider: User, name: str
) -> None:
    run = make_run(owner)
    url = reverse(f"history:{name}", args=[run.pk])
    anonymous = client.get(url)
    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith(reverse("accounts:login"))
    client.force_login(outsider)
    assert client.get(url).status_code == 404
    if name == "run_delete":
        assert client.post(url).status_code == 404
    else:
        assert client.post(url).status_code == 405
    client.force_login(owner)
    assert client.get(url).status_code == 200
    assert Run.objects.filter(pk=run.pk).exists()


def test_the_run_list_answers_only_get(client: Client, owner: User) -> None:
    client.force_login(owner)
    assert client.post(RUNS).status_code == 405
    assert client.get(RUNS).status_code == 200


def test_the_owner_deletes_a_run(client: Client, owner: User) -> None:
    run = make_run(owner)
    client.force_login(owner)
    response = client.post(reverse("history:run_delete", args=[run.pk]))
    assert response.status_code == 302
    assert not Run.objects.exists()


def test_a_run_page_shows_its_details_and_its_episode(client: Client, owner: User) -> None:
    run = make_run(owner, 0, km=12.34)
    episode = make_episode(owner)
    client.force_login(owner)
    page = client.get(run.get_absolute_url()).content.decode()
    assert "12.34 km" in page
    assert "148 bpm" in page
    assert reverse("history:detail", args=[episode.pk]) in page


# EXPORT AND ACCOUNT DELETION


def test_runs_are_in_the_json_export_and_their_own_csv(
    client: Client, owner: User, outsider: User
) -> None:
    make_run(owner, 1, km=7.5, strava_id=99)
    make_run(outsider, 1, km=30)
    client.force_login(owner)
    document = json.loads(client.get(reverse("history:export_json")).content)
    assert [r["distance_m"] for r in document["runs"]] == [7500]
    assert document["runs"][0]["strava_id"] == 99
    response = client.get(reverse("history:export_runs_csv"))
    assert response["Content-Disposition"].startswith('attachment; filename="heavy-legs-runs-')
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    assert [row["distance_m"] for row in rows] == ["7500"]


def test_deleting_the_account_deletes_its_runs_and_imports(owner: User, outsider: User) -> None:
    make_run(owner)
    make_run(outsider)
    import_batch_create(user=owner, files=[("a.gpx", b"<gpx/>")])
    account_delete(user=owner)
    assert list(Run.objects.values_list("owner__email", flat=True)) == ["outsider@example.com"]
    assert not ImportBatch.objects.exists()


# THE DAY'S RUN OF AN EPISODE


def test_a_saved_episode_links_to_the_longest_run_of_its_day(owner: User) -> None:
    make_run(owner, 0, km=5, hour=6)
    longest = make_run(owner, 0, km=15, hour=17)
    make_run(owner, 1, km=30)
    episode = make_episode(owner)
    assert list(episode.runs.all()) == [longest]


def test_the_episode_page_shows_its_run(client: Client, owner: User) -> None:
    make_run(owner, 0, km=12.5)
    episode = make_episode(owner)
    client.force_login(owner)
    page = client.get(episode.get_absolute_url()).content.decode()
    assert 'id="episode-run"' in page and "12.50 km" in page
    assert (
        'id="episode-run"'
        not in client.get(make_episode(owner, days_ago=4).get_absolute_url()).content.decode()
    )


def test_changing_an_episodes_date_links_it_to_that_days_run(owner: User) -> None:
    today = make_run(owner, 0)
    earlier = make_run(owner, 2)
    episode = make_episode(owner)
    assert list(episode.runs.all()) == [today]
    episode_update_run_context(episode=episode, run_context=RunContext(run_date=earlier.run_date))
    assert list(episode.runs.all()) == [earlier]
    today.refresh_from_db()
    assert today.episode is None


def test_an_episode_without_a_run_that_day_links_to_none(owner: User) -> None:
    make_run(owner, 3)
    assert not make_episode(owner).runs.exists()


def test_a_runs_episode_deleted_leaves_the_run(owner: User) -> None:
    run = make_run(owner)
    episode = make_episode(owner)
    Episode.objects.filter(pk=episode.pk).delete()
    run.refresh_from_db()
    assert run.episode is None


def test_the_longest_run_counts_every_run_not_only_episodes(owner: User) -> None:
    make_run(owner, 10, km=8)
    make_run(owner, 5, km=20)
    episode = make_episode(owner, distance_km="21")
    assert episode.previous_longest_km() == 20
    assert episode.load_spike() is None


# ADMIN: METADATA ONLY, FOR SUPERUSERS ONLY


def test_superusers_see_runs_read_only_without_their_details(client: Client, owner: User) -> None:
    run = make_run(owner, km=21.097)
    client.force_login(make_superuser())
    changelist = client.get(reverse("admin:history_run_changelist"), {"q": owner.email})
    change = client.get(reverse("admin:history_run_change", args=[run.pk]))
    assert changelist.status_code == change.status_code == 200
    assert run in changelist.context["cl"].result_list
    for page in (changelist, change):
        text = page.content.decode()
        assert "21097" not in text and "21.097" not in text and "148" not in text
    assert b'name="_save"' not in change.content
    assert client.get(reverse("admin:history_run_add")).status_code == 403
    assert client.post(reverse("admin:history_run_delete", args=[run.pk])).status_code == 403
    batches = client.get(reverse("admin:history_importbatch_changelist"))
    assert batches.status_code == 200


def test_staff_editors_never_see_runs_in_the_admin(client: Client, owner: User) -> None:
    run = make_run(owner)
    client.force_login(make_staff())
    assert client.get(reverse("admin:history_run_changelist")).status_code == 403
    assert client.get(reverse("admin:history_run_change", args=[run.pk])).status_code == 403
    assert client.get(reverse("admin:history_importbatch_changelist")).status_code == 403


def test_a_superuser_deleting_an_account_takes_its_runs(client: Client, owner: User) -> None:
    make_run(owner)
    client.force_login(make_superuser())
    url = reverse("admin:accounts_user_delete", args=[owner.pk])
    assert client.get(url).status_code == 200
    client.post(url, {"post": "yes"})
    assert not Run.objects.exists()


def admin_fields(model: type[Any]) -> set[str]:
    model_admin = admin.site.get_model_admin(model)
    shown = {
        *model_admin.list_display,
        *model_admin.list_filter,
        *model_admin.search_fields,
        *(model_admin.fields or ()),
        *model_admin.readonly_fields,
        model_admin.date_hierarchy,
    }
    return {str(name) for name in shown if name}


# What the run and import admins show, and the privacy page's words for each.
ADMIN_SEES = {
    "administrators-see-runs": (
        Run,
        {
            "owner": "the account it belongs to",
            "owner__email": "the account it belongs to",
            "run_date": "the run date",
            "source": "where it was imported from",
            "created_at": "when it was imported",
        },
    ),
    "administrators-see-imports": (
        ImportBatch,
        {
            "owner": "the account it belongs to",
            "owner__email": "the account it belongs to",
            "status": "whether it is waiting, running",
            "total": "how many activities it held",
            "done": "how many activities it held",
            "imported": "how many activities it held",
            "duplicates": "how many activities it held",
            "skipped": "how many activities it held",
            "created_at": "when it started and finished",
            "finished_at": "when it started and finished",
        },
    ),
}


@pytest.mark.parametrize("list_id", sorted(ADMIN_SEES))
def test_the_privacy_page_lists_exactly_what_the_run_admins_show(
    client: Client, list_id: str
) -> None:
    model, words = ADMIN_SEES[list_id]
    page = client.get(reverse("privacy")).content.decode()
    listed = re.search(rf'<ul id="{list_id}">(.*?)</ul>', page, re.S)
    assert listed
    items = [re.sub(r"\s+", " ", i).strip() for i in re.findall(r"<li>(.*?)</li>", listed[1], re.S)]
    assert admin_fields(model) == set(words)
    for text in words.values():
        assert any(item.startswith(text) for item in items), text
    assert len(items) == len(set(words.values()))
