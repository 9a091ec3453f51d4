"""Training load from the runner's log of runs: weekly distance, the acute:chronic workload
ratio, and the training answers of the assessment that the log can give.

The rules are plain functions over {date: metres} so they are easy to test; the two
functions at the end (`training_load`, `prefill_answers`) run one query each.

When the log can answer (the rule, also in the README): only when it holds runs in at
least ENOUGH_WEEKS of the last LOOKBACK_WEEKS weeks (7-day blocks ending today). A log
with gaps (a runner who imported one file, or records only some runs) would otherwise
answer "rest days: 2 or more" or "distance down" for weeks it simply does not know.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.db.models import Count, Max, Sum
from django.utils import timezone

from .models import LOAD_SPIKE_WINDOW_DAYS, Run

WEEKS_SHOWN = 12
ACUTE_DAYS = 7
CHRONIC_DAYS = 28
# Above this, the last week was much more than the month's usual: flagged on the page.
HIGH_RATIO = 1.5
# Below this, the last week was much less than usual (a rest week, or a break).
LOW_RATIO = 0.8
LOOKBACK_WEEKS = 5
ENOUGH_WEEKS = 3
# weekly_change: the latest 7 days against the average week of the 28 days before them.
SAME_WITHIN = 0.05  # ±5% is "about the same"
# The contract's thresholds for "up by less than 10%", "10 to 30%", "more than 30%".
UP_SMALL, UP_LARGE = 0.10, 0.30

Days = Mapping[date, int]  # metres run on each day


def week_start(day: date) -> date:
    """The Monday of `day`'s week."""
    return day - timedelta(days=day.weekday())


def metres_between(days: Days, first: date, last: date) -> int:
    return sum(metres for day, metres in days.items() if first <= day <= last)


# WEEKLY DISTANCE


@dataclass(frozen=True, slots=True)
class WeekDistance:
    start: date  # a Monday
    metres: int
    runs: int
    current: bool = False  # this week, so far

    @property
    def end(self) -> date:
        return self.start + timedelta(days=6)


def weekly_distance(
    days: Days, run_counts: Mapping[date, int], today: date, weeks: int = WEEKS_SHOWN
) -> list[WeekDistance]:
    """The distance of each of the last `weeks` calendar weeks (Monday to Sunday), oldest
    first; the last is this week so far."""
    this_week = week_start(today)
    starts = [this_week - timedelta(weeks=n) for n in range(weeks - 1, -1, -1)]
    metres: Counter[date] = Counter()
    runs: Counter[date] = Counter()
    for day, value in days.items():
        metres[week_start(day)] += value
    for day, count in run_counts.items():
        runs[week_start(day)] += count
    return [WeekDistance(s, metres[s], runs[s], current=s == this_week) for s in starts]


# ACUTE:CHRONIC WORKLOAD RATIO


@dataclass(frozen=True, slots=True)
class WorkloadRatio:
    acute_metres: int  # the last 7 days
    chronic_weekly_metres: float  # the average week of the last 28 days (these 7 included)
    ratio: float

    @property
    def high(self) -> bool:
        return self.ratio > HIGH_RATIO

    @property
    def low(self) -> bool:
        return self.ratio < LOW_RATIO


def workload_ratio(days: Days, today: date) -> WorkloadRatio | None:
    """The last 7 days' distance over the average week of the last 28 days; None when
    nothing was run in those 28 days."""
    acute = metres_between(days, today - timedelta(days=ACUTE_DAYS - 1), today)
    chronic = metres_between(days, today - timedelta(days=CHRONIC_DAYS - 1), today)
    if not chronic:
        return None
    weekly = chronic / (CHRONIC_DAYS / ACUTE_DAYS)
    return WorkloadRatio(acute, weekly, round(acute / weekly, 2))


# WHAT THE LOG CAN ANSWER


def weeks_with_runs(days: Days, today: date, weeks: int = LOOKBACK_WEEKS) -> int:
    """In how many of the last `weeks` 7-day blocks (ending today) a run was logged."""
    found = set()
    for day, metres in days.items():
        age = (today - day).days
        if metres and 0 <= age < weeks * 7:
            found.add(age // 7)
    return len(found)


def enough_data(days: Days, today: date) -> bool:
    return weeks_with_runs(days, today) >= ENOUGH_WEEKS


def weekly_change(days: Days, today: date) -> str | None:
    """The latest 7 days against the average week of the 28 days before them, as the
    contract's `weekly_change` values; None when nothing was run in those 28 days."""
    latest = metres_between(days, today - timedelta(days=ACUTE_DAYS - 1), today)
    before = metres_between(days, month_start(today), today - timedelta(days=ACUTE_DAYS))
    if not before:
        return None
    # Rounded, so that exactly +10% or +30% falls where the contract's labels say.
    change = round(latest * (CHRONIC_DAYS / ACUTE_DAYS) / before - 1, 4)
    if change < -SAME_WITHIN:
        return "down"
    if change <= SAME_WITHIN:
        return "same"
    if change < UP_SMALL:
        return "up_under_10"
    if change <= UP_LARGE:
        return "up_10_30"
    return "up_over_30"


def month_start(today: date) -> date:
    """The first day of the 28 days before the latest 7."""
    return today - timedelta(days=ACUTE_DAYS + CHRONIC_DAYS - 1)


def returning_after_break(days: Days, today: date) -> bool:
    """Runs in the latest 7 days and none in the 28 days before them."""
    return bool(
        metres_between(days, today - timedelta(days=ACUTE_DAYS - 1), today)
        and not metres_between(days, month_start(today), today - timedelta(days=ACUTE_DAYS))
    )


def long_run_spike(runs: Days, today: date) -> str | None:
    """Was the latest run more than 10% longer than the longest run of the 30 days before
    it? `runs` holds each day's longest run. None when the log has no run in those 30 days
    to compare with, or no run in the last week."""
    recent = [day for day in runs if today - timedelta(days=6) <= day <= today]
    if not recent:
        return None
    latest = max(recent)
    window_start = latest - timedelta(days=LOAD_SPIKE_WINDOW_DAYS)
    before = [m for day, m in runs.items() if window_start <= day < latest]
    if not before:
        return None
    return "yes" if runs[latest] * 10 > max(before) * 11 else "no"


def rest_days(days: Days, today: date) -> str:
    """Days without a run in the last 7, as the contract's `rest_days_7d` values. Today
    counts only once a run is logged: the assessment may come before today's run."""
    last = today if days.get(today) else today - timedelta(days=1)
    ran = sum(1 for n in range(7) if days.get(last - timedelta(days=n)))
    rest = 7 - ran
    return "0" if rest == 0 else "1" if rest == 1 else "2_plus"


def answers_from_log(
    days: Days, longest: Days, today: date, *, logged_before: Callable[[], bool]
) -> dict[str, str]:
    """The training answers the log can give, when it has enough data (see the module).
    A runner back from a break has too few recent weeks for that rule; the log says "back
    after a break" when it holds runs from before the break (`logged_before`, asked only
    then: it may cost a query)."""
    if not enough_data(days, today):
        if returning_after_break(days, today) and logged_before():
            return {"weekly_change": "returning_after_break"}
        return {}
    answers = {"rest_days_7d": rest_days(days, today)}
    change = weekly_change(days, today)
    if change is not None:
        answers["weekly_change"] = change
    spike = long_run_spike(longest, today)
    if spike is not None:
        answers["long_run_spike"] = spike
    return answers


# QUERIES


def _day_rows(user: Any, since: date) -> list[tuple[date, int, int, int]]:
    """(date, metres, runs, longest run) of each day with a run since `since`."""
    rows = (
        Run.objects.for_user(user)
        .filter(run_date__gte=since)
        .values("run_date")
        .annotate(metres=Sum("distance_m"), runs=Count("pk"), longest=Max("distance_m"))
        .order_by()
        .values_list("run_date", "metres", "runs", "longest")
    )
    return list(rows)


PREFILL_KEYS = frozenset({"rest_days_7d", "weekly_change", "long_run_spike"})


def prefill_answers(user: Any, keys: Collection[str]) -> dict[str, str]:
    """{question_key: value} for those of `keys` the runner's log can answer; empty for
    anyone not logged in, a step without these questions, or a log without enough runs.
    One query (two for a runner back from a break); none for other steps."""
    if not getattr(user, "is_authenticated", False) or not PREFILL_KEYS & set(keys):
        return {}
    today = timezone.localdate()
    since = today - timedelta(days=ACUTE_DAYS + CHRONIC_DAYS + LOAD_SPIKE_WINDOW_DAYS)
    rows = _day_rows(user, since)
    days = {day: metres for day, metres, _, _ in rows}
    longest = {day: value for day, _, _, value in rows}

    def logged_before() -> bool:
        return Run.objects.for_user(user).filter(run_date__lt=month_start(today)).exists()

    return answers_from_log(days, longest, today, logged_before=logged_before)


@dataclass(frozen=True, slots=True)
class TrainingLoad:
    weeks: list[WeekDistance]
    ratio: WorkloadRatio | None
    enough: bool  # the log covers enough of the last weeks for the ratio to mean something
    weeks_with_runs: int

    @property
    def has_runs(self) -> bool:
        return any(w.runs for w in self.weeks)


def load_from_runs(runs: Iterable[tuple[date, int]], today: date) -> TrainingLoad:
    """The weekly distance of the last 12 weeks and the workload ratio, from each run's
    (date, metres)."""
    days: Counter[date] = Counter()
    counts: Counter[date] = Counter()
    for day, metres in runs:
        days[day] += metres
        counts[day] += 1
    return TrainingLoad(
        weeks=weekly_distance(days, counts, today),
        ratio=workload_ratio(days, today),
        enough=enough_data(days, today),
        weeks_with_runs=weeks_with_runs(days, today),
    )


def load_since(today: date) -> date:
    """The first day the training load reads: 12 calendar weeks, and at least 5 weeks."""
    return min(
        week_start(today) - timedelta(weeks=WEEKS_SHOWN - 1),
        today - timedelta(days=ACUTE_DAYS + CHRONIC_DAYS),
    )
