"""What a runner's own history shows: heaviness over time, causes, fixes that helped,
personal patterns and runs much longer than usual.

The rules are plain functions over plain data, so they are easy to test; `build_insights`
runs the five queries that feed them.

Patterns, long runs, causes and fixes come from the runner's latest INSIGHT_WINDOW
episodes, and the page says so when the history is longer. Whole-history versions were
tried and measured: counting causes over 10,000 episodes (190,000 EpisodeCause rows) takes
about 160 ms on SQLite, and patterns need each episode's answers (the heaviest third is a
rank, and a load spike depends on the runs before it), which the database cannot rank
portably. A recent window is also what a runner asks about: how they run now.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Count, Max, Q
from django.urls import reverse
from django.utils import timezone

from accounts.models import User

from .models import (
    LOAD_SPIKE_WINDOW_DAYS,
    Episode,
    EpisodeCause,
    EpisodeRemedy,
    Outcome,
    Run,
    km_to,
    load_spike_percent,
)
from .runs import TrainingLoad, WeekDistance, load_from_runs, load_since

# Runs much longer than usual are looked for in the training log's runs of this many days.
RUN_SPIKE_DAYS = 365
# Patterns, long runs, causes and fixes come from this many of the latest episodes (by date
# of the run), so the page costs the same with 200 episodes as with 10,000.
INSIGHT_WINDOW = 200
# A pattern is only shown when at least this many episodes had the factor, and this many
# did not: fewer is chance, not a pattern.
MIN_GROUP = 3
# ... and when episodes with the factor were this much heavier on average (1–10 scale).
MIN_DIFFERENCE = 1.0
# The "heaviest" episodes are the top third by heaviness (ties included).
HEAVIEST_SHARE = 1 / 3


@dataclass(frozen=True, slots=True)
class EpisodeFacts:
    pk: int
    run_date: date
    heaviness: int | None
    distance_km: Decimal | None
    answers: Mapping[str, Any]

    @property
    def is_run(self) -> bool:
        return False

    @property
    def episode_id(self) -> int | None:
        return self.pk


@dataclass(frozen=True, slots=True)
class RunDistance:
    """A run of the training log (pk is the Run's), for the longest-run comparisons."""

    pk: int
    run_date: date
    distance_km: Decimal | None
    episode_id: int | None

    @property
    def is_run(self) -> bool:
        return True

    @property
    def metres(self) -> int:
        return int((self.distance_km or 0) * 1000)


@dataclass(frozen=True, slots=True)
class LoadSpike:
    pk: int
    run_date: date
    distance_km: Decimal
    previous_longest_km: Decimal
    percent: int
    # A run of the training log (pk is the Run's) rather than an episode's own distance;
    # the episode of that run, if any.
    is_run: bool = False
    episode_id: int | None = None


FactorTest = Callable[[Mapping[str, Any], bool], bool | None]


@dataclass(frozen=True, slots=True)
class Factor:
    key: str
    label: str
    sentence: str
    test: FactorTest


@dataclass(frozen=True, slots=True)
class Pattern:
    factor: Factor
    with_count: int
    without_count: int
    mean_with: float
    mean_without: float
    heaviest_count: int
    heaviest_with: int
    heaviest_from: int

    @property
    def observation(self) -> str:
        level = "10" if self.heaviest_from >= 10 else f"{self.heaviest_from} or more"
        return (
            f"{self.heaviest_with} of your {self.heaviest_count} heaviest episodes "
            f"(heaviness {level}) {self.factor.sentence}."
        )

    @property
    def detail(self) -> str:
        return (
            f"Heaviness averaged {self.mean_with:.1f} out of 10 in the {self.with_count} "
            f"episodes that {self.factor.label}, and {self.mean_without:.1f} in the "
            f"{self.without_count} that did not."
        )


def answered(question: str, *values: str) -> FactorTest:
    """True when the answer to `question` is one of `values`, None when it was skipped."""

    def test(answers: Mapping[str, Any], spiked: bool) -> bool | None:
        if question not in answers:
            return None
        given = answers[question]
        given_values = given if isinstance(given, list) else [given]
        return any(v in values for v in given_values)

    return test


def load_jump(answers: Mapping[str, Any], spiked: bool) -> bool | None:
    """A run much longer than usual, by the runner's answers or by the distances logged."""
    by_run = answered("long_run_spike", "yes")(answers, spiked)
    by_week = answered("weekly_change", "up_over_30")(answers, spiked)
    if spiked or by_run or by_week:
        return True
    if by_run is None and by_week is None:
        return None
    return False


FACTORS: tuple[Factor, ...] = (
    Factor(
        "short_sleep",
        "followed nights under 6 hours of sleep",
        "followed nights under 6 hours of sleep",
        answered("sleep_hours", "under_6"),
    ),
    Factor(
        "high_stress",
        "came at times of high stress",
        "came at times of high stress",
        answered("stress", "high"),
    ),
    Factor(
        "no_rest_days",
        "came after a week without a rest day",
        "came after a week without a rest day",
        answered("rest_days_7d", "0"),
    ),
    Factor(
        "load_spike",
        "came after a jump in distance",
        "came after a jump in distance (a run or a week much longer than usual)",
        load_jump,
    ),
    Factor(
        "no_warmup",
        "started without a warm-up",
        "started without a warm-up",
        answered("warmup", "none"),
    ),
    Factor(
        "hot_conditions",
        "were in hot or humid weather",
        "were in hot or humid weather",
        answered("conditions", "hot_or_humid"),
    ),
    Factor(
        "no_fuel",
        "were long runs without fuel",
        "were long runs without fuel on the way",
        answered("long_run_fuel", "no_fuel"),
    ),
    Factor(
        "fasted",
        "were run on an empty stomach",
        "were run on an empty stomach",
        answered("pre_run_food", "fasted"),
    ),
    Factor(
        "heavy_strength",
        "came within two days of a heavy leg workout",
        "came within two days of a heavy leg workout",
        answered("strength", "heavy_legs_last_48h"),
    ),
    Factor(
        "no_easy_runs",
        "came in weeks without truly easy runs",
        "came in weeks without truly easy runs",
        answered("easy_effort", "hard_to_talk", "no_easy_runs"),
    ),
)


def load_spikes(facts: Sequence[EpisodeFacts | RunDistance]) -> list[LoadSpike]:
    """Runs more than 10% longer than the longest run logged in the previous 30 days.

    Only runs with a distance count; a run with nothing logged in the 30 days before it
    is not flagged, since there is nothing to compare it with.

    Linear in the number of runs: a sliding-window maximum over the runs sorted by date.
    The deque holds (date, distance) of earlier runs, dates ascending and distances
    strictly descending, so its first entry is the longest run still inside the window.
    Runs of the same day are compared with earlier days only, then join the window.
    """
    runs = sorted((f for f in facts if f.distance_km is not None), key=lambda f: (f.run_date, f.pk))
    spikes: list[LoadSpike] = []
    window: deque[tuple[date, Decimal]] = deque()
    start = 0
    while start < len(runs):
        day = runs[start].run_date
        end = start
        while end < len(runs) and runs[end].run_date == day:
            end += 1
        window_start = day - timedelta(days=LOAD_SPIKE_WINDOW_DAYS)
        while window and window[0][0] < window_start:
            window.popleft()
        previous = window[0][1] if window else None
        for run in runs[start:end]:
            assert run.distance_km is not None  # noqa: S101 - filtered above
            percent = load_spike_percent(run.distance_km, previous)
            if percent is not None and previous is not None:
                spikes.append(
                    LoadSpike(
                        run.pk,
                        run.run_date,
                        run.distance_km,
                        previous,
                        percent,
                        is_run=run.is_run,
                        episode_id=run.episode_id,
                    )
                )
        for run in runs[start:end]:
            assert run.distance_km is not None  # noqa: S101 - filtered above
            while window and window[-1][1] <= run.distance_km:
                window.pop()
            window.append((day, run.distance_km))
        start = end
    return spikes


def find_pattern(
    factor: Factor, facts: Sequence[EpisodeFacts], spiked: frozenset[int]
) -> Pattern | None:
    """The factor's numbers, when there is enough data (see MIN_GROUP); else None."""
    rows: list[tuple[int, bool]] = []
    for fact in facts:
        if fact.heaviness is None:
            continue
        flag = factor.test(fact.answers, fact.pk in spiked)
        if flag is not None:
            rows.append((fact.heaviness, flag))
    with_values = [h for h, flag in rows if flag]
    without_values = [h for h, flag in rows if not flag]
    if len(with_values) < MIN_GROUP or len(without_values) < MIN_GROUP:
        return None
    ranked = sorted((h for h, _ in rows), reverse=True)
    threshold = ranked[max(math.ceil(len(ranked) * HEAVIEST_SHARE), 1) - 1]
    heaviest = [(h, flag) for h, flag in rows if h >= threshold]
    return Pattern(
        factor=factor,
        with_count=len(with_values),
        without_count=len(without_values),
        mean_with=sum(with_values) / len(with_values),
        mean_without=sum(without_values) / len(without_values),
        heaviest_count=len(heaviest),
        heaviest_with=sum(1 for _, flag in heaviest if flag),
        heaviest_from=threshold,
    )


def is_notable(pattern: Pattern) -> bool:
    """Heavier on average with the factor, and over-represented among the heaviest."""
    share_overall = pattern.with_count / (pattern.with_count + pattern.without_count)
    share_heaviest = pattern.heaviest_with / pattern.heaviest_count
    return (
        pattern.mean_with - pattern.mean_without >= MIN_DIFFERENCE
        and share_heaviest > share_overall
    )


def personal_patterns(
    facts: Sequence[EpisodeFacts], spiked: frozenset[int] = frozenset()
) -> tuple[list[Pattern], list[Factor]]:
    """Notable patterns, strongest first, and the factors with enough data but no pattern."""
    notable: list[Pattern] = []
    unclear: list[Factor] = []
    for factor in FACTORS:
        pattern = find_pattern(factor, facts, spiked)
        if pattern is None:
            continue
        if is_notable(pattern):
            notable.append(pattern)
        else:
            unclear.append(factor)
    notable.sort(key=lambda p: p.mean_with - p.mean_without, reverse=True)
    return notable, unclear


# CHART
# A small drawing area with large text, so the labels stay readable when a phone shrinks it.
# The chart and its table show the latest scored runs of the window only, so the page stays
# quick and readable however long the history grows.
CHART_POINTS = 60
SPIKE_ROWS = 20
CHART_WIDTH = 480
CHART_HEIGHT = 270
MARGIN_LEFT, MARGIN_RIGHT, MARGIN_TOP, MARGIN_BOTTOM = 36, 16, 30, 54
DOT_PAD = 12


def short_date(day: date) -> str:
    return f"{day.day} {day:%b %Y}"


# The chart's markup lives in templates/history/_heaviness_chart.html; these hold only what it
# places where. Coordinates are rounded to a tenth of a unit, which is finer than a pixel.
@dataclass(frozen=True, slots=True)
class ChartLabel:
    x: float
    y: float
    text: str
    anchor: str = "start"  # SVG text-anchor: start, middle or end


@dataclass(frozen=True, slots=True)
class GridLine:
    y: float
    label: ChartLabel


@dataclass(frozen=True, slots=True)
class ChartPoint:
    x: float
    y: float
    text: str  # what a screen reader or a hover tooltip gives for this dot


@dataclass(frozen=True, slots=True)
class Chart:
    width: int
    height: int
    left: int  # where grid lines start and end
    right: int
    description: str
    grid: tuple[GridLine, ...]
    axis_titles: tuple[ChartLabel, ...]
    date_labels: tuple[ChartLabel, ...]
    points: tuple[ChartPoint, ...]
    radius: int


def grid_lines(y: Callable[[float], float], values: Iterable[int]) -> tuple[GridLine, ...]:
    """A horizontal line at each of `values`, labelled on the left; `y` places a value."""
    return tuple(
        GridLine(y(v), ChartLabel(MARGIN_LEFT - 6, round(y(v) + 5, 1), str(v), "end"))
        for v in values
    )


def axis_titles(vertical: str, horizontal: str) -> tuple[ChartLabel, ...]:
    plot_w = CHART_WIDTH - MARGIN_LEFT - MARGIN_RIGHT
    return (
        ChartLabel(4, 16, vertical),
        ChartLabel(round(MARGIN_LEFT + plot_w / 2, 1), CHART_HEIGHT - 8, horizontal, "middle"),
    )


def heaviness_chart(points: Sequence[tuple[date, int]]) -> Chart:
    """Where the heaviness (1–10) of each run goes on the chart, oldest first."""
    points = sorted(points)
    plot_w = CHART_WIDTH - MARGIN_LEFT - MARGIN_RIGHT
    plot_h = CHART_HEIGHT - MARGIN_TOP - MARGIN_BOTTOM
    first, last = points[0][0], points[-1][0]
    span = (last - first).days

    def x(day: date) -> float:
        # Dots keep a little distance from the axis labels at both ends.
        if span == 0:
            return round(MARGIN_LEFT + plot_w / 2, 1)
        return round(MARGIN_LEFT + DOT_PAD + (plot_w - 2 * DOT_PAD) * (day - first).days / span, 1)

    def y(value: float) -> float:
        return round(MARGIN_TOP + plot_h * (1 - value / 10), 1)

    dates = [(first, "middle")] if span == 0 else [(first, "start"), (last, "end")]
    values = [v for _, v in points]
    description = (
        f"Line chart of {len(points)} episode{'s' if len(points) != 1 else ''} "
        f"from {short_date(first)} to {short_date(last)}. Heaviness ranged from "
        f"{min(values)} to {max(values)} out of 10; the latest was {values[-1]}. "
        "The same numbers are in the table below the chart."
    )
    return Chart(
        width=CHART_WIDTH,
        height=CHART_HEIGHT,
        left=MARGIN_LEFT,
        right=CHART_WIDTH - MARGIN_RIGHT,
        description=description,
        grid=grid_lines(y, range(0, 11, 2)),
        axis_titles=axis_titles("Heaviness (1–10)", "Date of the run"),
        date_labels=tuple(
            ChartLabel(x(day), CHART_HEIGHT - MARGIN_BOTTOM + 22, short_date(day), anchor)
            for day, anchor in dates
        ),
        points=tuple(ChartPoint(x(d), y(v), f"{short_date(d)}: {v} out of 10") for d, v in points),
        radius=5 if len(points) <= 60 else 3,
    )


# WEEKLY DISTANCE CHART
# Bars of the last 12 weeks' distance, in the same frame and type sizes as the heaviness
# chart; the markup lives in templates/history/_weekly_chart.html.
BAR_GAP = 6
NICE_STEPS = (5, 10, 20, 25, 50, 100, 200, 250, 500)


@dataclass(frozen=True, slots=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    text: str  # for a screen reader or a hover tooltip
    current: bool


@dataclass(frozen=True, slots=True)
class BarChart:
    width: int
    height: int
    left: int
    right: int
    description: str
    grid: tuple[GridLine, ...]
    axis_titles: tuple[ChartLabel, ...]
    date_labels: tuple[ChartLabel, ...]
    bars: tuple[Bar, ...]


def grid_step(largest: float) -> int:
    """A round step that draws four or five grid lines up to `largest`."""
    return next((step for step in NICE_STEPS if largest / step <= 5), NICE_STEPS[-1])


def weekly_chart(weeks: Sequence[WeekDistance], unit: str) -> BarChart:
    """Where each week's bar goes, oldest week first; distances in `unit`."""
    plot_w = CHART_WIDTH - MARGIN_LEFT - MARGIN_RIGHT
    plot_h = CHART_HEIGHT - MARGIN_TOP - MARGIN_BOTTOM
    values = [float(km_to(Decimal(w.metres) / 1000, unit)) for w in weeks]
    step = grid_step(max(values, default=0) or 1)
    top = step * max(math.ceil(max(values, default=0) / step), 1)
    slot = plot_w / max(len(weeks), 1)

    def y(value: float) -> float:
        return round(MARGIN_TOP + plot_h * (1 - value / top), 1)

    bars = []
    for n, (week, value) in enumerate(zip(weeks, values, strict=True)):
        when = "this week so far" if week.current else f"week of {short_date(week.start)}"
        bars.append(
            Bar(
                x=round(MARGIN_LEFT + n * slot + BAR_GAP / 2, 1),
                y=y(value),
                width=round(slot - BAR_GAP, 1),
                height=round(plot_h * value / top, 1),
                text=f"{when}: {value:.1f} {unit} in {week.runs} run{'s' * (week.runs != 1)}",
                current=week.current,
            )
        )
    total = sum(values)
    description = (
        f"Bar chart of the distance run in each of the last {len(weeks)} weeks, from the week "
        f"of {short_date(weeks[0].start)} to this week so far: {total:.1f} {unit} in all, "
        f"{max(values):.1f} {unit} in the longest week. The same numbers are in the table "
        "below the chart."
    )
    labelled = (0, len(weeks) // 2, len(weeks) - 1)
    return BarChart(
        width=CHART_WIDTH,
        height=CHART_HEIGHT,
        left=MARGIN_LEFT,
        right=CHART_WIDTH - MARGIN_RIGHT,
        description=description,
        grid=grid_lines(y, range(0, top + 1, step)),
        axis_titles=axis_titles(f"Distance per week ({unit})", "Week starting"),
        date_labels=tuple(
            ChartLabel(
                round(bars[n].x + bars[n].width / 2, 1),
                CHART_HEIGHT - MARGIN_BOTTOM + 22,
                f"{weeks[n].start.day} {weeks[n].start:%b}",
                "middle",
            )
            for n in sorted(set(labelled))
        ),
        bars=tuple(bars),
    )


# QUERIES
@dataclass(frozen=True, slots=True)
class CauseCount:
    slug: str
    name: str
    top: int
    likely: int
    total: int


@dataclass(frozen=True, slots=True)
class RemedyReport:
    title: str
    cause_name: str
    tried: int
    followed_up: int
    better: int


@dataclass(slots=True)
class Insights:
    episode_count: int
    points: list[tuple[date, int]]
    spikes: list[LoadSpike]
    patterns: list[Pattern]
    unclear: list[Factor]
    causes: list[CauseCount]
    remedies: list[RemedyReport]
    points_total: int = 0
    spikes_total: int = 0
    chart: Chart | None = None
    distances_logged: int = 0
    helpful: list[RemedyReport] = field(default_factory=list)
    spike_rows: list[dict[str, Any]] = field(default_factory=list)
    # How many of the latest episodes the patterns, long runs, causes and fixes come from.
    window_count: int = 0
    # From the training log (None without runs): weekly distance and the workload ratio.
    load: TrainingLoad | None = None
    weekly_chart: BarChart | None = None

    @property
    def windowed(self) -> bool:
        """True when the history is longer than the window, and the page must say so."""
        return self.episode_count > self.window_count


def history_totals(user: User) -> tuple[int, int]:
    """All the runner's episodes, and those with a heaviness score: one count over the
    (owner, heaviness) index, without reading a row."""
    totals = Episode.objects.for_user(user).aggregate(
        episodes=Count("pk"), scored=Count("heaviness")
    )
    return totals["episodes"], totals["scored"]


def episode_facts(user: User, limit: int) -> list[EpisodeFacts]:
    """The latest `limit` episodes, oldest first (along the (owner, run_date, created_at)
    index, newest first, stopping after `limit`)."""
    rows = (
        Episode.objects.for_user(user)
        .order_by("-run_date", "-created_at", "-pk")
        .values_list("pk", "run_date", "heaviness", "distance_km", "answers")[:limit]
    )
    facts = [
        EpisodeFacts(pk, day, heavy, km, answers or {}) for pk, day, heavy, km, answers in rows
    ]
    facts.reverse()
    return facts


def earlier_runs(user: User, facts: Sequence[EpisodeFacts]) -> list[EpisodeFacts]:
    """Runs with a distance in the 30 days before the oldest episode of the window (`facts`,
    oldest first), so the window's first runs are compared with the runs before them just
    as in a full history. Runs of that oldest day left out of the window by its limit are
    included; the window's own episodes are not."""
    if not facts:
        return []
    oldest = facts[0].run_date
    rows = (
        Episode.objects.for_user(user)
        .filter(run_date__gte=oldest - timedelta(days=LOAD_SPIKE_WINDOW_DAYS), run_date__lte=oldest)
        .exclude(distance_km=None)
        .exclude(pk__in=[f.pk for f in facts if f.run_date == oldest])
        .values_list("pk", "run_date", "distance_km")
    )
    return [EpisodeFacts(pk, day, None, km, {}) for pk, day, km in rows]


def cause_counts(episode_ids: Sequence[int]) -> list[CauseCount]:
    """How often each cause came up in these episodes (at most INSIGHT_WINDOW × the causes
    of one result rows, found through the (episode, slug) unique index)."""
    rows = (
        EpisodeCause.objects.filter(episode_id__in=episode_ids)
        .values("slug")
        .annotate(
            latest_name=Max("name"),
            top=Count("pk", filter=Q(rank=1)),
            likely=Count("pk", filter=Q(band="likely")),
            total=Count("pk"),
        )
        .order_by("-top", "-likely", "-total", "slug")
    )
    return [
        CauseCount(r["slug"], r["latest_name"], r["top"], r["likely"], r["total"]) for r in rows
    ]


def remedy_reports(episode_ids: Sequence[int]) -> list[RemedyReport]:
    """Remedies the runner ticked as tried in these episodes, with how often a "better"
    follow-up came after."""
    rows = (
        EpisodeRemedy.objects.filter(episode_id__in=episode_ids, tried=True)
        .values("title")
        .annotate(
            cause=Max("cause_name"),
            times=Count("pk"),
            followed_up=Count("pk", filter=Q(episode__follow_up__isnull=False)),
            better=Count("pk", filter=Q(episode__follow_up__outcome=Outcome.BETTER)),
        )
        .order_by("-better", "-times", "title")
    )
    return [
        RemedyReport(r["title"], r["cause"], r["times"], r["followed_up"], r["better"])
        for r in rows
    ]


def run_distances(user: User, since: date) -> list[RunDistance]:
    """The training log's runs since `since`, oldest first (along the (owner, run_date)
    index)."""
    rows = (
        Run.objects.for_user(user)
        .filter(run_date__gte=since)
        .order_by("run_date", "pk")
        .values_list("pk", "run_date", "distance_m", "episode_id")
    )
    return [RunDistance(pk, day, Decimal(m) / 1000, episode) for pk, day, m, episode in rows]


def build_insights(user: User, unit: str = "km") -> Insights:
    """Everything on the insights page, in six queries whatever the size of the history
    (five when it is empty).
    Distances are shown in `unit`.

    The totals count the whole history; everything else comes from the latest
    INSIGHT_WINDOW episodes (the page says so when there are more), so the page's time and
    memory stay the same however long the history grows.
    """
    episode_count, points_total = history_totals(user)
    facts = episode_facts(user, INSIGHT_WINDOW)
    window = frozenset(f.pk for f in facts)
    today = timezone.localdate()
    # Runs much longer than usual: of the window's episodes and of the training log's
    # runs of the last year (and since the window's oldest episode), every run compared
    # with every run before it. An episode linked to a run counts as that run.
    since = min([today - timedelta(days=RUN_SPIKE_DAYS), *(f.run_date for f in facts[:1])])
    runs = run_distances(user, since - timedelta(days=LOAD_SPIKE_WINDOW_DAYS))
    linked = {r.episode_id for r in runs if r.episode_id is not None}
    episodes = [f for f in [*earlier_runs(user, facts), *facts] if f.pk not in linked]
    spikes = [
        s
        for s in load_spikes([*episodes, *runs])
        if (s.pk in window if not s.is_run else s.run_date >= since)
    ]
    patterns, unclear = personal_patterns(
        facts, frozenset(s.episode_id for s in spikes if s.episode_id is not None)
    )
    load = (
        load_from_runs(
            ((r.run_date, r.metres) for r in runs if r.run_date >= load_since(today)), today
        )
        if runs
        else None
    )
    points = [(f.run_date, f.heaviness) for f in facts if f.heaviness is not None][-CHART_POINTS:]
    episode_ids = [f.pk for f in facts]
    remedies = remedy_reports(episode_ids)
    return Insights(
        episode_count=episode_count,
        window_count=len(facts),
        points=points,
        points_total=points_total,
        spikes_total=len(spikes),
        spikes=spikes,
        patterns=patterns,
        unclear=unclear,
        causes=cause_counts(episode_ids),
        remedies=remedies,
        chart=heaviness_chart(points) if points else None,
        distances_logged=sum(1 for f in facts if f.distance_km is not None),
        helpful=[r for r in remedies if r.better],
        load=load,
        weekly_chart=weekly_chart(load.weeks, unit) if load else None,
        spike_rows=[
            {
                "pk": s.pk,
                "url": reverse("history:run_detail" if s.is_run else "history:detail", args=[s.pk]),
                "run_date": s.run_date,
                "distance": km_to(s.distance_km, unit),
                "previous": km_to(s.previous_longest_km, unit),
                "percent": s.percent,
            }
            for s in reversed(spikes[-SPIKE_ROWS:])
        ],
    )
