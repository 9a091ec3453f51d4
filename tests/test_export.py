"""Your data: CSV and JSON export, print views for a doctor, and deletion with the account."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from legs.history.models import Episode, EpisodeCause, EpisodeRemedy, FollowUp
from tests.factories import PASSWORD, make_user
from tests.test_history import SPIKE, TIRED, URGENT, make_episode

pytestmark = pytest.mark.usefixtures("seeded")


@pytest.fixture
def runner() -> User:
    return make_user("export@example.com", distance_unit="mi", display_name="Dana")


@pytest.fixture
def runner_client(client: Client, runner: User) -> Client:
    client.force_login(runner)
    return client


def rows(response: Any) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(response.content.decode("utf-8"))))


# -- export ------------------------------------------------------------------------------


def test_the_csv_has_every_episode_oldest_first_in_the_runners_unit(
    runner_client: Client, runner: User
) -> None:
    tired = make_episode(runner, TIRED, days_ago=9, heaviness=8, distance_km="16.093")
    make_episode(runner, SPIKE, days_ago=2, heaviness=4)
    make_episode(make_user("someone.else@example.com"), TIRED)
    EpisodeRemedy.objects.filter(episode=tired, position=0, cause_slug="poor-sleep").update(
        tried=True
    )
    FollowUp.objects.create(episode=tired, outcome="better", note="Slept 8 hours all week.")

    response = runner_client.get(reverse("history:export_csv"))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith("attachment; filename=")
    assert response["Content-Disposition"].endswith('.csv"')
    data = rows(response)
    assert len(data) == 2
    first = data[0]
    assert "distance_mi" in first and "distance_km" not in first
    assert first["run_date"] == tired.run_date.isoformat()
    assert first["distance_mi"] == "10.00"
    assert first["heaviness"] == "8"
    assert first["triage"] == "self_care"
    assert first["top_cause"] == tired.top_cause_name
    likely = [c.name for c in tired.causes.all() if c.band == "likely"]
    assert first["likely_causes"] == "; ".join(likely)
    tried = tired.remedies.get(tried=True)
    assert first["remedies_tried"] == tried.title
    assert (first["follow_up"], first["follow_up_note"]) == ("better", "Slept 8 hours all week.")
    assert data[1]["distance_mi"] == ""


def test_the_csv_keeps_notes_that_look_like_formulas_as_text(
    runner_client: Client, runner: User
) -> None:
    episode = make_episode(runner)
    Episode.objects.filter(pk=episode.pk).update(notes='=HYPERLINK("http://x")')
    data = rows(runner_client.get(reverse("history:export_csv")))
    assert data[0]["notes"] == '\'=HYPERLINK("http://x")'


def test_the_json_export_has_answers_snapshot_and_follow_up(
    client: Client,
) -> None:
    runner = make_user("km@example.com")
    client.force_login(runner)
    episode = make_episode(runner, TIRED, distance_km="12.345", heaviness=6)
    FollowUp.objects.create(episode=episode, outcome="same")
    make_episode(runner, URGENT)

    response = client.get(reverse("history:export_json"))
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert response["Content-Disposition"].endswith('.json"')
    payload = json.loads(response.content)
    assert payload["distance_unit"] == "km"
    first, second = payload["episodes"]
    assert first["distance_km"] == 12.35
    assert "distance_mi" not in first
    assert first["answers"] == TIRED
    assert first["result"] == episode.result
    assert first["follow_up"]["outcome"] == "same"
    assert [c["slug"] for c in first["causes"]][0] == "poor-sleep"
    assert second["triage"] == "urgent"
    assert second["causes"] == [] and second["follow_up"] is None


@pytest.mark.parametrize("count", [2, 10])
def test_the_exports_run_the_same_queries_for_any_number_of_episodes(
    runner_client: Client, runner: User, django_assert_num_queries: Any, count: int
) -> None:
    for n in range(count):
        make_episode(runner, days_ago=n)
    # 1 session, 2 user, 3 episodes with follow-ups, 4 their causes, 5 their remedies
    with django_assert_num_queries(5):
        assert len(rows(runner_client.get(reverse("history:export_csv")))) == count
    # ... and 6 the runs of the training log
    with django_assert_num_queries(6):
        runner_client.get(reverse("history:export_json"))


def test_an_empty_history_exports_just_the_header(runner_client: Client) -> None:
    response = runner_client.get(reverse("history:export_csv"))
    assert response.content.decode().splitlines()[0].startswith("run_date,distance_mi,")
    assert json.loads(runner_client.get(reverse("history:export_json")).content)["episodes"] == []


# -- print -------------------------------------------------------------------------------


def test_the_print_view_of_an_episode_is_ready_for_a_doctor(
    runner_client: Client, runner: User
) -> None:
    episode = make_episode(runner, TIRED, heaviness=7, distance_km="8.047")
    EpisodeRemedy.objects.filter(episode=episode, position=0, cause_slug="poor-sleep").update(
        tried=True
    )
    page = runner_client.get(reverse("history:print", args=[episode.pk])).content.decode()
    assert "Not a diagnosis." in page
    assert "Heavy-leg episodes of Dana" in page
    assert "5.00 mi" in page
    assert "7 out of 10" in page
    assert episode.top_cause_name in page
    assert "you sleep less than six hours a night" in page
    assert ": tried" in " ".join(page.split())
    assert "Answers given" in page


def test_the_print_view_of_a_date_range_holds_only_those_episodes(
    runner_client: Client, runner: User
) -> None:
    old = make_episode(runner, days_ago=40)
    inside = make_episode(runner, days_ago=10)
    recent = make_episode(runner, days_ago=1)
    today = timezone.localdate()
    response = runner_client.get(
        reverse("history:print_range"),
        {
            "date_from": (today - timedelta(days=20)).isoformat(),
            "date_to": (today - timedelta(days=5)).isoformat(),
        },
    )
    entries = [entry["episode"] for entry in response.context["entries"]]
    assert entries == [inside]
    assert old not in entries and recent not in entries
    assert "1 episode from" in " ".join(response.content.decode().split())


def test_a_bad_print_range_shows_the_problem_instead_of_failing(
    runner_client: Client, runner: User
) -> None:
    make_episode(runner)
    response = runner_client.get(reverse("history:print_range"), {"date_from": "30/02/2026"})
    assert response.status_code == 200
    assert "From: Enter a real date" in response.content.decode()


# -- deletion ----------------------------------------------------------------------------


def test_deleting_the_account_deletes_every_episode_of_it(
    runner_client: Client, runner: User
) -> None:
    mine = make_episode(runner, TIRED)
    make_episode(runner, SPIKE)
    FollowUp.objects.create(episode=mine, outcome="worse")
    other = make_episode(make_user("stays@example.com"), TIRED)

    response = runner_client.post(reverse("accounts:delete"), {"password": PASSWORD})
    assert response.status_code == 302
    assert not User.objects.filter(pk=runner.pk).exists()
    assert list(Episode.objects.all()) == [other]
    assert not EpisodeCause.objects.exclude(episode=other).exists()
    assert not EpisodeRemedy.objects.exclude(episode=other).exists()
    assert not FollowUp.objects.exists()
