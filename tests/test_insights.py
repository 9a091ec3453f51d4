"""Insights: the pattern rules, the load-spike flag, the chart and the insights page."""

from __future__ import annotations

import random
import re
import time
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.http import HttpResponse
from django.template.loader import render_to_string
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from legs.history import insights as insights_module
from legs.history import runs as runs_module
from legs.history.insights import (
    CHART_POINTS,
    FACTORS,
    MIN_GROUP,
    EpisodeFacts,
    heaviness_chart,
    load_spikes,
    personal_patterns,
)
from legs.history.models import EpisodeRemedy, FollowUp
from legs.history.services import (
    RunContext,
    episode_delete,
    episode_mark_tried,
    episode_update_run_context,
    follow_up_save,
)
from tests.factories import make_user
from tests.test_history import SPIKE, TIRED, make_episode

DAY = date(2026, 3, 1)
SLEEP = next(f for f in FACTORS if f.key == "short_sleep")
LOAD = next(f for f in FACTORS if f.key == "load_spike")


def fact(
    n: int,
    heaviness: int | None = 5,
    *,
    day: int | None = None,
    km: str | None = None,
    **answers: Any,
) -> EpisodeFacts:
    return EpisodeFacts(
        pk=n,
        run_date=DAY + timedelta(days=n if day is None else day),
        heaviness=heaviness,
        distance_km=None if km is None else Decimal(km),
        answers=answers,
    )


def sleep_facts(short: list[int], enough: list[int]) -> list[EpisodeFacts]:
    facts = [fact(n, h, sleep_hours="under_6") for n, h in enumerate(short)]
    facts += [fact(100 + n, h, sleep_hours="7_9") for n, h in enumerate(enough)]
    return facts


# -- load spikes -------------------------------------------------------------------------


def test_a_run_more_than_ten_percent_longer_than_the_recent_longest_is_flagged() -> None:
    facts = [
        fact(1, km="10"),
        fact(2, km="14", day=5),
        fact(3, km="10.5"),
        fact(4, km="16", day=20),
    ]
    spikes = load_spikes(facts)
    # Day 3 is 5% longer than day 1 (not flagged); day 5 is 33% longer than day 3's 10.5.
    assert [(s.pk, s.previous_longest_km, s.percent) for s in spikes] == [
        (2, Decimal("10.5"), 33),
        (4, Decimal("14"), 14),
    ]


def test_exactly_ten_percent_longer_is_not_flagged() -> None:
    assert load_spikes([fact(1, km="10"), fact(2, km="11")]) == []
    assert [s.pk for s in load_spikes([fact(1, km="10"), fact(2, km="11.01")])] == [2]


def test_only_the_previous_30_days_count() -> None:
    # 30 days before is still inside the window; 31 days before is not.
    inside = [fact(1, km="20", day=0), fact(2, km="12", day=30)]
    assert load_spikes(inside) == []
    outside = [fact(1, km="20", day=0), fact(2, km="10", day=20), fact(3, km="12", day=31)]
    assert [(s.pk, s.previous_longest_km) for s in load_spikes(outside)] == [(3, Decimal("10"))]


def test_a_first_run_a_same_day_run_and_runs_without_distance_are_never_flagged() -> None:
    facts = [fact(1, km="5", day=0), fact(2, km="50", day=0), fact(3, day=1), fact(4, km="5.4")]
    assert load_spikes(facts) == []


def spikes_by_brute_force(facts: list[EpisodeFacts]) -> list[tuple[int, Decimal, int]]:
    """The rule as written: each run against every earlier run of the 30 days before it."""
    runs = sorted((f for f in facts if f.distance_km is not None), key=lambda f: (f.run_date, f.pk))
    found = []
    for run in runs:
        assert run.distance_km is not None
        earlier = [
            e.distance_km
            for e in runs
            if e.distance_km is not None
            and run.run_date - timedelta(days=30) <= e.run_date < run.run_date
        ]
        if earlier and run.distance_km > max(earlier) * Decimal("1.1"):
            longest = max(earlier)
            found.append((run.pk, longest, int((run.distance_km / longest - 1) * 100)))
    return found


@pytest.mark.parametrize("seed", range(5))
def test_load_spikes_match_the_rule_on_random_histories(seed: int) -> None:
    rng = random.Random(seed)
    facts = [
        fact(
            n,
            day=rng.randint(0, 200),  # several runs on some days, gaps of more than 30 days
            km=None if rng.random() < 0.2 else str(rng.randint(1000, 30000) / 1000),
        )
        for n in range(300)
    ]
    rng.shuffle(facts)
    spikes = load_spikes(facts)
    assert [(s.pk, s.previous_longest_km, s.percent) for s in spikes] == spikes_by_brute_force(
        facts
    )


def test_load_spikes_take_linear_time() -> None:
    # Fifty runs a day for four years: the former quadratic version copied every earlier run
    # for each run (about 2 × 10⁹ copies here); the sliding window does it in well under a
    # second even on a busy machine.
    facts = [fact(n, day=n // 50, km=str(5 + n % 17)) for n in range(73_000)]
    started = time.perf_counter()
    spikes = load_spikes(facts)
    assert time.perf_counter() - started < 5
    assert spikes == [] or all(s.percent > 10 for s in spikes)


# -- personal patterns ----------------------------------------------------------------


def test_a_pattern_is_shown_with_enough_episodes_with_and_without_the_factor() -> None:
    patterns, _ = personal_patterns(sleep_facts(short=[9, 8, 7], enough=[3, 4, 2]))
    assert [p.factor.key for p in patterns] == ["short_sleep"]
    pattern = patterns[0]
    assert (pattern.with_count, pattern.without_count) == (3, 3)
    assert (pattern.mean_with, pattern.mean_without) == (8.0, 3.0)
    assert pattern.observation == (
        "2 of your 2 heaviest episodes (heaviness 8 or more) followed nights under 6 hours "
        "of sleep."
    )
    assert pattern.detail == (
        "Heaviness averaged 8.0 out of 10 in the 3 episodes that followed nights under 6 "
        "hours of sleep, and 3.0 in the 3 that did not."
    )


def test_the_heaviest_are_the_top_third_with_ties() -> None:
    # 27 episodes: the 9 heaviest score 8 or more, and 7 of them followed short nights.
    short = [9, 9, 9, 8, 8, 8, 8, 4, 3]
    enough = [8, 8, 5, 5, 5, 4, 4, 4, 4, 3, 3, 3, 3, 2, 2, 2, 2, 1]
    patterns, _ = personal_patterns(sleep_facts(short, enough))
    assert patterns[0].observation.startswith(
        "7 of your 9 heaviest episodes (heaviness 8 or more) followed nights under 6 hours"
    )


@pytest.mark.parametrize(
    ("short", "enough"),
    [
        ([9, 9], [2, 2, 2, 2, 2, 2]),
        ([9, 9, 9, 9, 9], [2, 2]),
        ([], [5, 5, 5]),
    ],
)
def test_no_pattern_without_three_episodes_on_each_side(
    short: list[int], enough: list[int]
) -> None:
    assert MIN_GROUP == 3
    patterns, unclear = personal_patterns(sleep_facts(short, enough))
    assert patterns == []
    assert unclear == []


def test_skipped_questions_and_missing_heaviness_do_not_count() -> None:
    facts = sleep_facts(short=[9, 8, 7], enough=[3, 2])
    # Skipped the sleep question: not an episode "without" short sleep.
    facts += [fact(200, 1), fact(201, 1)]
    # No heaviness given: cannot say how heavy it was.
    facts += [fact(300, None, sleep_hours="7_9")]
    assert personal_patterns(facts) == ([], [])


def test_a_factor_with_enough_data_but_no_clear_difference_is_listed_as_unclear() -> None:
    patterns, unclear = personal_patterns(sleep_facts(short=[5, 6, 5], enough=[5, 6, 6]))
    assert patterns == []
    assert unclear == [SLEEP]


def test_a_lighter_pattern_is_not_shown_as_a_heavier_one() -> None:
    patterns, unclear = personal_patterns(sleep_facts(short=[2, 3, 2], enough=[8, 9, 7]))
    assert patterns == []
    assert unclear == [SLEEP]


def test_a_jump_in_logged_distance_counts_as_a_load_spike() -> None:
    facts = [fact(n, 8, long_run_spike="no") for n in range(3)]
    facts += [fact(10 + n, 2, long_run_spike="no") for n in range(3)]
    assert personal_patterns(facts) == ([], [])
    patterns, _ = personal_patterns(facts, frozenset({0, 1, 2}))
    assert [p.factor for p in patterns] == [LOAD]


# -- the chart ---------------------------------------------------------------------------


def render_chart(points: list[tuple[date, int]]) -> str:
    chart = heaviness_chart(points)
    return render_to_string("history/_heaviness_chart.html", {"chart": chart}).strip()


def test_the_chart_is_an_accessible_svg_without_script_or_style() -> None:
    points = [(DAY, 3), (DAY + timedelta(days=3), 8), (DAY + timedelta(days=9), 5)]
    svg = render_chart(points)
    assert svg.startswith("<svg")
    assert 'role="img"' in svg
    assert 'aria-labelledby="heaviness-chart-title heaviness-chart-desc"' in svg
    assert '<title id="heaviness-chart-title">Heaviness over time</title>' in svg
    assert "from 1 Mar 2026 to 10 Mar 2026" in svg
    assert "ranged from 3 to 8 out of 10; the latest was 5" in svg
    assert svg.count("<circle") == 3
    assert "<title>4 Mar 2026: 8 out of 10</title>" in svg
    assert "<polyline" in svg
    assert "style=" not in svg
    assert "<script" not in svg
    assert "href" not in svg


def test_the_chart_places_higher_heaviness_higher_and_later_dates_further_right() -> None:
    svg = render_chart([(DAY, 2), (DAY + timedelta(days=10), 9)])
    (x1, y1), (x2, y2) = [
        (float(x), float(y)) for x, y in re.findall(r'<circle cx="([\d.]+)" cy="([\d.]+)"', svg)
    ]
    assert x2 > x1
    assert y2 < y1


def test_a_single_episode_still_draws_a_chart() -> None:
    svg = render_chart([(DAY, 6)])
    assert svg.count("<circle") == 1
    assert "<polyline" not in svg


# -- the page ----------------------------------------------------------------------------


@pytest.fixture
def runner(seeded: None) -> User:
    return make_user("insights@example.com", distance_unit="mi")


@pytest.fixture
def runner_client(client: Client, runner: User) -> Client:
    client.force_login(runner)
    return client


def test_the_page_shows_a_pattern_from_the_runners_own_episodes(
    runner_client: Client, runner: User
) -> None:
    for days, heaviness in enumerate([9, 8, 8]):
        make_episode(runner, TIRED, days_ago=days, heaviness=heaviness)
    rested = {**TIRED, "sleep_hours": "7_9", "stress": "low"}
    for days, heaviness in enumerate([3, 2, 4]):
        make_episode(runner, rested, days_ago=10 + days, heaviness=heaviness)
    page = runner_client.get(reverse("history:insights")).content.decode()
    assert "followed nights under 6 hours of sleep." in page
    assert "not medical findings" in page


def test_the_page_says_so_when_there_is_not_enough_data(
    runner_client: Client, runner: User
) -> None:
    make_episode(runner, TIRED, heaviness=9)
    make_episode(runner, TIRED, heaviness=9)
    page = runner_client.get(reverse("history:insights")).content.decode()
    assert "No clear pattern yet" in page
    assert "heaviest episodes" not in page


def test_the_page_shows_the_chart_with_a_data_table(runner_client: Client, runner: User) -> None:
    make_episode(runner, days_ago=3, heaviness=4)
    make_episode(runner, days_ago=1, heaviness=7)
    make_episode(runner, days_ago=0, heaviness=None)
    response = runner_client.get(reverse("history:insights"))
    page = response.content.decode()
    assert page.count("<circle") == 2
    assert "Show the numbers as a table" in page
    table = page[page.index('<caption class="caption-top">Heaviness of each') :]
    first_row = re.search(r"<tr>\s*<th scope=\"row\">(.*?)</th>\s*<td>(\d+)</td>", table, re.S)
    assert first_row is not None
    day = timezone.localdate() - timedelta(days=3)
    assert first_row.groups() == (f"{day.day} {day:%b %Y}", "4")


def test_a_long_history_charts_only_the_latest_runs(runner_client: Client, runner: User) -> None:
    total = CHART_POINTS + 5
    for n in range(total):
        make_episode(runner, days_ago=total - n, heaviness=1 + n % 10)
    page = runner_client.get(reverse("history:insights")).content.decode()
    assert page.count("<circle") == CHART_POINTS
    assert f"Showing your latest {CHART_POINTS} of {total} scored episodes." in page
    # Patterns and counts still use the whole history.
    assert f"your own {total} saved episodes" in page


def test_the_page_counts_causes_and_lists_fixes_that_helped(
    runner_client: Client, runner: User
) -> None:
    helped = make_episode(runner, TIRED)
    make_episode(runner, TIRED)
    make_episode(runner, SPIKE)
    remedy = helped.remedies.get(cause_slug="poor-sleep", position=0)
    EpisodeRemedy.objects.filter(pk=remedy.pk).update(tried=True)
    FollowUp.objects.create(episode=helped, outcome="better")
    untried = helped.remedies.exclude(pk=remedy.pk).first()
    assert untried is not None

    response = runner_client.get(reverse("history:insights"))
    insights = response.context["insights"]
    counts = {c.slug: (c.top, c.likely, c.total) for c in insights.causes}
    assert counts["poor-sleep"] == (2, 2, 2)
    assert counts["load-spike"][0] == 1
    assert [(r.title, r.tried, r.better) for r in insights.helpful] == [(remedy.title, 1, 1)]
    page = response.content.decode()
    assert remedy.title in page
    assert "you felt better after 1 of the" in page
    assert untried.title not in page


def test_a_long_history_shows_patterns_causes_and_fixes_of_the_latest_episodes_only(
    runner_client: Client, runner: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(insights_module, "INSIGHT_WINDOW", 4)
    # Older than the window: load spikes as top cause, a fix that helped.
    for days in range(20, 23):
        old = make_episode(runner, SPIKE, days_ago=days, heaviness=9)
    old_remedy = old.remedies.order_by("pk").first()
    assert old_remedy is not None
    episode_mark_tried(episode=old, tried_ids=[old_remedy.pk])
    follow_up_save(episode=old, outcome="better", note="")
    # The latest four: poor sleep.
    for days in range(4):
        make_episode(runner, TIRED, days_ago=days, heaviness=5)

    response = runner_client.get(reverse("history:insights"))
    insights = response.context["insights"]
    assert (insights.episode_count, insights.window_count) == (7, 4)
    assert insights.points_total == 7  # scored episodes of the whole history
    assert len(insights.points) == 4  # the chart draws the window's
    tops = {c.slug: c.top for c in insights.causes}
    assert tops["poor-sleep"] == 4
    assert tops.get("load-spike", 0) == 0
    assert insights.remedies == []
    page = response.content.decode()
    assert "your own 7 saved episodes" in page
    assert "Patterns, long runs, causes and fixes come from your latest 4 episodes" in page
    assert "Causes in your latest 4 saved results" in page
    assert old_remedy.title not in page


def test_a_short_history_says_nothing_about_a_window(runner_client: Client, runner: User) -> None:
    for days in range(3):
        make_episode(runner, TIRED, days_ago=days)
    response = runner_client.get(reverse("history:insights"))
    assert response.context["insights"].window_count == 3
    page = response.content.decode()
    assert "come from your latest" not in page
    assert "Causes in your saved results" in page


def test_the_first_runs_of_the_window_are_compared_with_the_runs_before_it(
    runner_client: Client, runner: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(insights_module, "INSIGHT_WINDOW", 2)
    make_episode(runner, days_ago=60, distance_km="5")
    make_episode(runner, days_ago=55, distance_km="10")  # a spike, but before the window
    make_episode(runner, days_ago=12, distance_km="10")  # before the window, in its 30 days
    make_episode(runner, days_ago=5, distance_km="20")  # a spike, left out by the limit
    spike = make_episode(runner, days_ago=5, distance_km="12")  # 20% over the 10 km
    make_episode(runner, days_ago=1, distance_km="21")  # only 5% over the same-day 20 km
    insights = runner_client.get(reverse("history:insights")).context["insights"]
    assert [(s.pk, s.previous_longest_km, s.percent) for s in insights.spikes] == [
        (spike.pk, Decimal("10.000"), 20)
    ]


def test_long_runs_are_flagged_in_the_runners_unit(runner_client: Client, runner: User) -> None:
    make_episode(runner, days_ago=20, distance_km="16.093")
    spike = make_episode(runner, days_ago=2, distance_km="20.117")
    page = runner_client.get(reverse("history:insights")).content.decode()
    assert spike.get_absolute_url() in page
    assert "12.50 mi" in page
    assert "10.00 mi" in page
    assert "25%" in page


@pytest.mark.parametrize("count", [10, 200])
def test_the_insights_page_runs_the_same_queries_for_any_number_of_episodes(
    runner_client: Client, runner: User, django_assert_num_queries: Any, count: int
) -> None:
    for n in range(count):
        episode = make_episode(
            runner,
            TIRED if n % 2 else SPIKE,
            days_ago=n,
            heaviness=1 + n % 10,
            distance_km=str(5 + n % 7),
        )
        if n % 3 == 0:
            FollowUp.objects.create(episode=episode, outcome="better")
            EpisodeRemedy.objects.filter(episode=episode, position=0).update(tried=True)
    # 1 session, 2 user, 3 totals (episodes and scored episodes), 4 episode facts of the
    # window, 5 runs in the 30 days before the window, 6 the training log's runs (weekly
    # load and long runs), 7 remedy reports, 8 cause counts
    with django_assert_num_queries(8):
        response = runner_client.get(reverse("history:insights"))
    assert response.status_code == 200
    assert response.context["insights"].episode_count == count


# -- every change shows at once ----------------------------------------------------------


def get_insights(client: Client) -> HttpResponse:
    response: HttpResponse = client.get(reverse("history:insights"))
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    return response


def heaviness_column(response: HttpResponse) -> list[str]:
    page = response.content.decode()
    table = page[page.index('<caption class="caption-top">Heaviness of each') :]
    table = table[: table.index("</table>")]
    return re.findall(r"<td>(\d+)</td>", table)


@pytest.mark.usefixtures("seeded")
def test_every_change_to_the_history_shows_at_once(runner_client: Client, runner: User) -> None:
    assert "your own 0 saved episodes" in get_insights(runner_client).content.decode()

    episode = make_episode(runner, TIRED, days_ago=2, heaviness=6)
    response = get_insights(runner_client)
    assert "your own 1 saved episode." in response.content.decode()
    assert heaviness_column(response) == ["6"]

    episode_update_run_context(
        episode=episode,
        run_context=RunContext(run_date=timezone.localdate() - timedelta(days=2), heaviness=9),
    )
    assert heaviness_column(get_insights(runner_client)) == ["9"]

    remedy = episode.remedies.order_by("pk").first()
    assert remedy is not None
    episode_mark_tried(episode=episode, tried_ids=[remedy.pk])
    assert "You have ticked fixes as tried" in get_insights(runner_client).content.decode()

    follow_up_save(episode=episode, outcome="better", note="")
    response = get_insights(runner_client)
    assert "you felt better after 1 of the" in response.content.decode()
    assert remedy.title in response.content.decode()

    episode_delete(episode=episode)
    response = get_insights(runner_client)
    assert "your own 0 saved episodes" in response.content.decode()
    assert "Nothing to show yet." in response.content.decode()


@pytest.mark.usefixtures("seeded")
def test_runners_never_see_each_others_insights(client: Client, runner: User) -> None:
    runner.display_name = "Sam"
    runner.save()
    other = make_user("other@example.com", distance_unit="mi", display_name="Sam")
    make_episode(runner, TIRED, heaviness=3)
    make_episode(other, SPIKE, heaviness=8)

    client.force_login(runner)
    assert heaviness_column(get_insights(client)) == ["3"]
    client.force_login(other)
    assert heaviness_column(get_insights(client)) == ["8"]
    # Back to the first runner: nothing of the other's page stays behind.
    client.force_login(runner)
    assert heaviness_column(get_insights(client)) == ["3"]


# -- training load from the log of runs ---------------------------------------------------

TODAY = date(2026, 11, 18)  # a Wednesday


def log(**km_by_days_ago: float) -> dict[date, int]:
    """{date: metres} from d3=10 (3 days ago: 10 km)."""
    return {
        TODAY - timedelta(days=int(key[1:])): round(km * 1000) for key, km in km_by_days_ago.items()
    }


def steady(weeks: int = 5, km: float = 10, every: int = 2) -> dict[date, int]:
    """A run of `km` every `every` days for `weeks` weeks, ending today."""
    return {TODAY - timedelta(days=d): round(km * 1000) for d in range(0, weeks * 7, every)}


def test_weekly_distance_is_per_calendar_week_the_last_so_far() -> None:
    days = log(d0=5, d2=10, d3=8, d9=12)
    weeks = runs_module.weekly_distance(days, dict.fromkeys(days, 1), TODAY)
    assert len(weeks) == 12
    assert weeks[-1].start == date(2026, 11, 16) and weeks[-1].current
    assert [(w.metres, w.runs) for w in weeks[-2:]] == [(20_000, 2), (15_000, 2)]
    assert not any(w.metres for w in weeks[:-2])


def test_the_workload_ratio_is_the_last_week_over_the_average_week_of_four() -> None:
    # 10 km on each of the 28 days: the last week is exactly the usual week.
    even = {TODAY - timedelta(days=d): 10_000 for d in range(28)}
    ratio = runs_module.workload_ratio(even, TODAY)
    assert ratio is not None and ratio.ratio == 1.0 and not ratio.high and not ratio.low
    # 20 km in the last week, 10 km in each of the three before: 20 / (50 / 4) = 1.6.
    jump = log(d1=20, d8=10, d15=10, d22=10)
    high = runs_module.workload_ratio(jump, TODAY)
    assert high is not None and high.ratio == 1.6 and high.high
    assert (high.acute_metres, high.chronic_weekly_metres) == (20_000, 12_500)
    low = runs_module.workload_ratio(log(d1=2, d8=10, d15=10, d22=10), TODAY)
    assert low is not None and low.low
    assert runs_module.workload_ratio(log(d30=10), TODAY) is None


@pytest.mark.parametrize(
    ("latest_km", "expected"),
    [
        (8.0, "down"),
        (9.6, "same"),
        (10.4, "same"),
        (10.8, "up_under_10"),
        (11.0, "up_10_30"),
        (13.0, "up_10_30"),
        (13.1, "up_over_30"),
    ],
)
def test_weekly_change_compares_the_last_week_with_the_month_before(
    latest_km: float, expected: str
) -> None:
    # 10 km in each of the four weeks before the latest 7 days.
    days = log(d1=latest_km, d8=10, d15=10, d22=10, d29=10)
    assert runs_module.weekly_change(days, TODAY) == expected


def test_rest_days_count_the_last_seven_days_and_today_once_run() -> None:
    assert runs_module.rest_days(steady(every=1), TODAY) == "0"
    # Nothing yet today: the 7 days up to yesterday count.
    every_day_but_today = {d: m for d, m in steady(every=1).items() if d != TODAY}
    assert runs_module.rest_days(every_day_but_today, TODAY) == "0"
    one_off = {d: m for d, m in steady(every=1).items() if d != TODAY - timedelta(days=3)}
    assert runs_module.rest_days(one_off, TODAY) == "1"
    assert runs_module.rest_days(steady(every=2), TODAY) == "2_plus"


def test_the_long_run_spike_compares_the_latest_run_with_the_30_days_before() -> None:
    assert runs_module.long_run_spike(log(d1=11.1, d5=10, d20=8), TODAY) == "yes"
    assert runs_module.long_run_spike(log(d1=11.0, d5=10), TODAY) == "no"
    # The 10 km run was 31 days before the latest one: nothing to compare with.
    assert runs_module.long_run_spike(log(d1=20, d32=10), TODAY) is None
    # No run in the last week: the latest run is not the run the assessment is about.
    assert runs_module.long_run_spike(log(d9=20, d15=10), TODAY) is None


def test_the_log_answers_only_with_runs_in_three_of_the_last_five_weeks() -> None:
    two_weeks = log(d1=10, d3=10, d8=10)
    assert runs_module.weeks_with_runs(two_weeks, TODAY) == 2
    assert (
        runs_module.answers_from_log(two_weeks, two_weeks, TODAY, logged_before=lambda: False) == {}
    )
    three = log(d1=11, d8=10, d15=10, d22=10, d29=10)
    assert runs_module.answers_from_log(three, three, TODAY, logged_before=lambda: False) == {
        "rest_days_7d": "2_plus",
        "weekly_change": "up_10_30",
        "long_run_spike": "no",
    }


def test_a_runner_back_from_a_break_is_told_so_only_when_the_log_knows_the_break() -> None:
    back = log(d1=5, d3=5)
    assert runs_module.answers_from_log(back, back, TODAY, logged_before=lambda: True) == {
        "weekly_change": "returning_after_break"
    }
    assert runs_module.answers_from_log(back, back, TODAY, logged_before=lambda: False) == {}


# -- the training answers pre-filled in the assessment ------------------------------------


def import_runs_for(user: User, days_km: dict[int, float]) -> None:
    from datetime import UTC, datetime

    from legs.history.imports import Activity
    from legs.history.services import run_create

    today = timezone.localdate()
    for days_ago, km in days_km.items():
        day = today - timedelta(days=days_ago)
        run_create(
            user=user,
            activity=Activity(
                start_time=datetime(day.year, day.month, day.day, 12, tzinfo=UTC),
                distance_m=round(km * 1000),
                moving_time_s=round(km * 330),
                source="gpx",
            ),
        )


# 28 km in the latest 7 days against 20 km a week in the month before: +40%; the latest
# run 16 km after a longest of 12 km; two runs in the last 7 days.
TRAINING_LOG = {1: 16, 4: 12, 9: 10, 11: 10, 16: 10, 18: 10, 23: 10, 25: 10, 30: 10, 32: 10}
FROM_THE_LOG = {"weekly_change": "up_over_30", "long_run_spike": "yes", "rest_days_7d": "2_plus"}


def test_prefill_answers_come_from_the_runners_log(runner: User) -> None:
    import_runs_for(runner, TRAINING_LOG)
    keys = ["warmup", "rest_days_7d", "weekly_change", "long_run_spike"]
    assert runs_module.prefill_answers(runner, keys) == FROM_THE_LOG
    # Another step, another runner, nobody logged in: nothing.
    assert runs_module.prefill_answers(runner, ["legs", "timing"]) == {}
    assert runs_module.prefill_answers(make_user("new@example.com"), keys) == {}
    from django.contrib.auth.models import AnonymousUser

    assert runs_module.prefill_answers(AnonymousUser(), keys) == {}


def start_training_step(client: Client) -> HttpResponse:
    from tests.test_wizard import post_step

    post_step(client, "safety", {"warning_signs": ["none"]})
    post_step(client, "pattern", {"legs": "both"})
    response: HttpResponse = client.get(reverse("assessment:wizard_step", args=["training"]))
    return response


def checked(page: str, key: str) -> str | None:
    found = re.search(rf'name="training-{key}"\s+value="([^"]*)"[^>]*\s+checked', page)
    return found.group(1) if found else None


def test_the_wizard_prefills_the_training_answers_and_marks_them(
    runner_client: Client, runner: User
) -> None:
    import_runs_for(runner, TRAINING_LOG)
    page = start_training_step(runner_client).content.decode()
    for key, value in FROM_THE_LOG.items():
        assert checked(page, key) == value, key
        assert f'id="id_training-{key}_prefilled"' in page
    assert checked(page, "warmup") in (None, "")
    assert page.count("From your runs") == 3


def test_a_prefilled_answer_can_be_changed(runner_client: Client, runner: User) -> None:
    from tests.test_wizard import post_step, step_data, step_url

    import_runs_for(runner, TRAINING_LOG)
    start_training_step(runner_client)
    post_step(runner_client, "training", {"weekly_change": "same", "rest_days_7d": "0"})
    back = runner_client.post(
        step_url("fuel"), {**step_data("fuel", {}), "wizard_goto_step": "training"}, follow=True
    ).content.decode()
    assert checked(back, "weekly_change") == "same"
    assert checked(back, "long_run_spike") in (None, "")
    assert "From your runs" not in back


def test_anonymous_and_runners_without_runs_get_no_prefill(client: Client, runner: User) -> None:
    import_runs_for(runner, TRAINING_LOG)
    anonymous = start_training_step(client).content.decode()
    assert "From your runs" not in anonymous
    assert checked(anonymous, "weekly_change") in (None, "")
    client.force_login(make_user("fresh@example.com"))
    assert "From your runs" not in start_training_step(client).content.decode()


def test_one_runners_prefilled_step_is_never_shown_to_another(client: Client, runner: User) -> None:
    """The step's fields are cached by what they show: the prefill is part of the key."""
    import_runs_for(runner, TRAINING_LOG)
    client.force_login(runner)
    assert "From your runs" in start_training_step(client).content.decode()
    other = Client()
    other.force_login(make_user("other@example.com"))
    assert "From your runs" not in start_training_step(other).content.decode()


# -- the insights page with runs ------------------------------------------------------------


def test_the_insights_page_shows_weekly_distance_and_the_ratio(
    runner_client: Client, runner: User
) -> None:
    # 5 km runs every other day for five weeks, then 20 km yesterday: a jump.
    import_runs_for(runner, {**dict.fromkeys(range(2, 35, 2), 5), 1: 20})
    response = runner_client.get(reverse("history:insights"))
    page = response.content.decode()
    load = response.context["insights"].load
    assert load is not None and load.enough and load.ratio.high
    assert 'class="weekly-chart"' in page and "<script" not in page.split("<main")[1]
    assert len(re.findall(r"<rect ", page)) == 12
    assert 'id="weekly-distance"' in page
    assert 'id="ratio-high"' in page
    assert "a rough guide, not a prediction" in page
    # The runner's unit is miles.
    assert "mi</td>" in page


def test_the_ratio_waits_for_enough_runs(runner_client: Client, runner: User) -> None:
    import_runs_for(runner, {1: 10, 3: 10})
    page = runner_client.get(reverse("history:insights")).content.decode()
    assert 'id="ratio-not-enough"' in page
    assert 'id="workload-ratio"' not in page


def test_long_runs_are_found_among_all_runs_not_only_episodes(
    runner_client: Client, runner: User
) -> None:
    """The 24 km run is compared with the 20 km run imported the week before, not only with
    the 8 km of the only other episode."""
    make_episode(runner, TIRED, days_ago=10, distance_km="8")
    import_runs_for(runner, {8: 20, 1: 24, 40: 10, 35: 15})
    insights = runner_client.get(reverse("history:insights")).context["insights"]
    spikes = [(s.run_date, s.percent, s.is_run) for s in insights.spikes]
    today = timezone.localdate()
    assert spikes == [
        (today - timedelta(days=35), 50, True),
        (today - timedelta(days=8), 33, True),
        (today - timedelta(days=1), 20, True),
    ]
    assert insights.spike_rows[0]["url"].startswith("/history/runs/")


def test_an_episode_linked_to_its_run_counts_once_and_shows_its_spike_as_a_pattern(
    runner: User,
) -> None:
    import_runs_for(runner, {3: 10, 1: 15})
    episode = make_episode(runner, TIRED, days_ago=1, distance_km="15")
    insights = insights_module.build_insights(runner)
    assert [(s.is_run, s.episode_id) for s in insights.spikes] == [(True, episode.pk)]
