"""Throughput of every page against the ceiling of this stack.

    scripts/bench.sh [sqlite|postgres] [--seconds 2] [--rounds 5] [--only LABEL…]

The ceiling is a one-line Django view (benchmarks/minimal/) served with the project's own
settings and middleware by the same gunicorn configuration; every public page, the account
forms, each wizard step, the result page, and the history and insights pages of a runner
with 10 and with 10,000 episodes are measured the same way with wrk, on a fresh database,
and so is the JSON API's `POST /api/v1/assessments` (wrk with a Lua script that posts one
full set of answers).
Each page is measured in rounds, each round a slice of the ceiling and a slice of the page
(which goes first alternates), so that the ceiling a page is held against was measured on
the same machine in the same moments (a shared machine drifts by several per cent within
minutes). Also reported: the queries one request of each page makes, the engine's
assessments per CPU second (benchmarks/engine.py) and the peak memory of a gunicorn worker.
The report goes to benchmarks/results/pages.md (`--only` measures the pages whose labels
start with the words given, e.g. `--only API home`, for a report of its own via `--output`).
"""

from __future__ import annotations

import argparse
import json
import re
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks.journey import STEPS  # noqa: E402 - the project is put on the path just above
from benchmarks.serve import (  # noqa: E402
    ROOT,
    Server,
    database,
    gunicorn,
    machine_description,
    peak_rss_kib,
    prepare,
    production_env,
)

RESULTS = ROOT / "benchmarks" / "results"
PUBLIC_TARGET = 0.5  # public pages, against the ceiling
FORM_TARGET = 0.25  # account forms, wizard steps and the result page
API_TARGET = 0.3  # POST /api/v1/assessments
HISTORY_TARGET = 1.5  # history and insights with MANY episodes against FEW
FEW, MANY = 10, 10_000
MEMORY_TARGET_MIB = 120  # a gunicorn worker's peak resident memory
ENGINE_TARGET = 5_000  # assessments per CPU second (benchmarks/engine.py checks it)
WIZARD_STEPS = ["safety", "pattern", "training", "fuel", "recovery", "health"]
# A well-formed CSRF cookie (any 32 letters and digits); Django keeps no record of it.
BROWSER_CSRF = secrets.token_hex(16)
# What an app sends to the assessment API: every question of the wizard answered, as a runner
# who finishes it would (benchmarks/journey.py), which the engine scores in full.
ASSESSMENT_BODY = json.dumps(
    {"answers": {key: value for step in STEPS.values() for key, value in step.items()}}
)

# Run in a child process with the server's settings: the runners and their episodes (made
# in bulk from one scored answer set: the pages read rows, and 10,000 calls of the service
# would only measure the set-up), logged-in sessions for the pages that need one, and the
# queries one request of each page makes.
SETUP = """
import datetime, json, random, sys, uuid
from decimal import Decimal
import django
django.setup()
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from accounts.models import User
from benchmarks.journey import STEPS, step_data
from legs.assessment.engine import assess
from legs.knowledge.published import get_knowledge
from legs.history.models import Episode, EpisodeCause, EpisodeRemedy
from legs.history.services import describe_answers

counts = json.loads(sys.argv[1])
pages = json.loads(sys.argv[2])
knowledge = get_knowledge()
answers = {key: value for step in STEPS.values() for key, value in step.items()}
result = assess(answers, knowledge)
assert result.causes and not result.stops, "the benchmark's answers must rank causes"
stored, labels = result.to_dict(), describe_answers(answers, knowledge)
top = result.causes[0]
rng = random.Random(2026)
cookies = {}
today = datetime.date.today()
BATCH = 2_000
for label, count in counts.items():
    user = User.objects.create_user(email=f"{label}@example.com", password="bench-pass-42x")
    with transaction.atomic():
        # The same fields episode_create() writes (legs/history/services.py).
        episodes = Episode.objects.bulk_create(
            (
                Episode(
                    owner=user,
                    token=uuid.uuid4(),
                    run_date=today - datetime.timedelta(days=i),
                    distance_km=Decimal(rng.randint(3_000, 30_000)) / 1000,
                    heaviness=rng.randint(1, 10),
                    notes=f"Run {i}",
                    answers=answers,
                    answer_labels=labels,
                    result=stored,
                    triage=result.triage.value,
                    top_cause_slug=top.slug,
                    top_cause_name=top.name[:120],
                    knowledge_version=knowledge.version,
                )
                for i in range(count)
            ),
            batch_size=BATCH,
        )
        EpisodeCause.objects.bulk_create(
            (row for e in episodes for row in EpisodeCause.for_result(e, result)),
            batch_size=BATCH,
        )
        EpisodeRemedy.objects.bulk_create(
            (row for e in episodes for row in EpisodeRemedy.for_result(e, result)),
            batch_size=BATCH,
        )
    client = Client()
    client.force_login(user)
    cookies[label] = client.cookies["sessionid"].value


def wizard_session(finish):
    client = Client()
    client.get("/assessment/safety/")
    steps = list(STEPS) if finish else list(STEPS)[:-1]
    for step in steps:
        token = client.cookies["csrftoken"].value if "csrftoken" in client.cookies else ""
        answer = client.post(f"/assessment/{step}/", step_data(step, STEPS[step], token))
        assert answer.status_code == 302, (step, answer.status_code)
    if finish:
        token = client.cookies["csrftoken"].value if "csrftoken" in client.cookies else ""
        client.post("/assessment/check-answers/", {"csrfmiddlewaretoken": token})
    return client.cookies["sessionid"].value


cookies["wizard"] = wizard_session(finish=False)
cookies["result"] = wizard_session(finish=True)

# One request of each page as the benchmark sends it, its queries counted: the first (a
# public page is drawn and put in this process's cache) and the next (what wrk mostly gets).
queries = {}
for label, path, who, body in pages:
    counted = []
    for _ in range(2):
        client = Client()
        if who:
            client.cookies["sessionid"] = cookies[who]
        with CaptureQueriesContext(connection) as captured:
            if body is None:
                answer = client.get(path)
            else:
                answer = client.post(path, body, content_type="application/json")
        assert answer.status_code == 200, (path, answer.status_code)
        counted.append(len(captured))
    queries[label] = counted
print("COOKIES", json.dumps(cookies))
print("QUERIES", json.dumps(queries))
"""


@dataclass
class Measure:
    label: str
    path: str
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    errors: int


def wrk_duration_ms(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text.strip())
    if match is None:
        return float("nan")
    value, unit = float(match[1]), match[2]
    return value * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}[unit]


def check_page(server: Server, path: str, cookie: str | None, body: str | None) -> None:
    request = urllib.request.Request(  # noqa: S310 - our own server
        f"{server.url}{path}",
        data=None if body is None else body.encode(),
        headers={} if body is None else {"Content-Type": "application/json"},
    )
    if cookie:
        request.add_header("Cookie", f"sessionid={cookie}")
    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(request, timeout=30) as answer:
            status = answer.status
    except urllib.error.HTTPError as error:
        status = error.code
    if status != 200:
        raise SystemExit(f"{path} answered {status}, not 200: the benchmark set-up is wrong")


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


def lua_script(directory: Path, body: str) -> Path:
    """A wrk script that sends every request as a POST of `body` as JSON."""
    script = directory / f"post-{len(list(directory.glob('post-*.lua')))}.lua"
    script.write_text(
        'wrk.method = "POST"\n'
        'wrk.headers["Content-Type"] = "application/json"\n'
        f"wrk.body = [==[{body}]==]\n"
    )
    return script


def wrk(
    server: Server,
    label: str,
    path: str,
    cookie: str | None,
    args: argparse.Namespace,
    script: Path | None = None,
) -> Measure:
    command = [
        "wrk",
        f"--threads={args.client_threads}",
        f"--connections={args.connections}",
        f"--duration={args.seconds}s",
        # A slow page's answers still count (wrk's default gives up after 2 s).
        "--timeout=10s",
        "--latency",
    ]
    if cookie:
        # What a browser that has been on the site sends: its session and its CSRF cookie.
        command += ["--header", f"Cookie: sessionid={cookie}; csrftoken={BROWSER_CSRF}"]
    if script is not None:
        command += ["--script", str(script)]
    done = subprocess.run(
        [*command, f"{server.url}{path}"],
        capture_output=True,
        text=True,
        timeout=args.seconds + 60,
        check=True,
    )
    out = done.stdout
    rate = re.search(r"Requests/sec:\s+([\d.]+)", out)
    p50 = re.search(r"^\s+50%\s+(\S+)", out, re.M)
    p99 = re.search(r"^\s+99%\s+(\S+)", out, re.M)
    non_ok = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    socket_errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out
    )
    errors = int(non_ok[1]) if non_ok else 0
    if socket_errors:
        errors += sum(int(n) for n in socket_errors.groups())
    if rate is None:
        raise SystemExit(f"wrk gave no rate for {path}:\n{out}\n{done.stderr}")
    return Measure(
        label=label,
        path=path,
        requests_per_second=float(rate[1]),
        p50_ms=wrk_duration_ms(p50[1]) if p50 else float("nan"),
        p99_ms=wrk_duration_ms(p99[1]) if p99 else float("nan"),
        errors=errors,
    )


@dataclass
class Paired:
    """A page measured in rounds, each a slice of the ceiling and one of the page.

    Rates and the ratio are medians over the rounds: a shared machine stalls now and then
    for a moment, and a stall in one slice should not decide the result."""

    page: Measure
    ceilings: list[float]
    rates: list[float]

    @property
    def ceiling(self) -> float:
        return statistics.median(self.ceilings)

    @property
    def ratios(self) -> list[float]:
        return [rate / ceiling for rate, ceiling in zip(self.rates, self.ceilings, strict=True)]

    @property
    def ratio(self) -> float:
        return statistics.median(self.ratios)


def paired(
    site: Server,
    minimal: Server,
    page: Page,
    cookie: str | None,
    args: argparse.Namespace,
    script: Path | None,
) -> Paired:
    label, path = page.label, page.path
    check_page(site, path, cookie, page.body)
    slices: list[Measure] = []
    ceilings: list[float] = []
    for round_number in range(args.rounds):
        # Which of the two goes first alternates, so that neither always follows the other.
        if round_number % 2:
            slices.append(wrk(site, label, path, cookie, args, script))
        ceilings.append(wrk(minimal, "minimal page", "/", None, args).requests_per_second)
        if not round_number % 2:
            slices.append(wrk(site, label, path, cookie, args, script))
    rates = [s.requests_per_second for s in slices]
    measure = Measure(
        label=label,
        path=path,
        requests_per_second=statistics.median(rates),
        p50_ms=statistics.median(s.p50_ms for s in slices),
        p99_ms=max(s.p99_ms for s in slices),
        errors=sum(s.errors for s in slices),
    )
    result = Paired(measure, ceilings, rates)
    print(
        f"  {label:<26} {measure.requests_per_second:>6.0f} req/s"
        f"  ceiling {result.ceiling:>6.0f}  {result.ratio:>4.0%}"
        f" ({' '.join(f'{ratio:.0%}' for ratio in result.ratios)})"
        f"  p50 {measure.p50_ms:5.1f} ms  p99 {measure.p99_ms:6.1f} ms"
        f"{'  ERRORS ' + str(measure.errors) if measure.errors else ''}",
        flush=True,
    )
    return result


def engine_report() -> list[str]:
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "engine.py"), "--seconds", "4"],
        cwd=ROOT,
        env={
            "PATH": "/usr/bin:/bin",
            "DEBUG": "true",
            "LOG_LEVEL": "WARNING",
            "HOME": str(Path.home()),
        },
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if done.returncode != 0:
        return [f"benchmarks/engine.py failed: {done.stderr.strip()[-2000:]}"]
    return done.stdout.splitlines()


HEADER = (
    "| page | path | queries | req/s | ceiling alongside | of ceiling | each round | p50 ms "
    "| p99 ms | target |"
)
RULE = "|---|---|---:|---:|---:|---:|---|---:|---:|---|"


@dataclass(frozen=True)
class Page:
    label: str
    path: str
    session: str | None  # whose session cookie the requests carry (see SETUP), if any
    target: float | None  # the lowest share of the ceiling; None: judged 10 against 10,000
    body: str | None = None  # sent as a JSON POST; None: a GET


def pages_measured() -> list[Page]:
    public = [
        ("home", "/"),
        ("about", "/about/"),
        ("privacy", "/privacy/"),
        ("causes", "/causes/"),
        ("a cause", "/causes/dehydration/"),
        ("FAQ", "/faq/"),
        ("warning signs", "/warning-signs/"),
    ]
    account = [
        ("log-in form", "/accounts/login/"),
        ("sign-up form", "/accounts/signup/"),
        ("password reset form", "/accounts/password/reset/"),
    ]
    wizard = [(f"wizard: {step}", f"/assessment/{step}/", "wizard") for step in WIZARD_STEPS]
    wizard.append(("wizard: result", "/assessment/result/", "result"))
    history = [
        (f"{label}, {count:,} episodes", path, who)
        for label, path in [("history", "/history/"), ("insights", "/history/insights/")]
        for who, count in (("few", FEW), ("many", MANY))
    ]
    return [
        *(Page(label, path, None, PUBLIC_TARGET) for label, path in public),
        *(Page(label, path, None, FORM_TARGET) for label, path in account),
        *(Page(label, path, who, FORM_TARGET) for label, path, who in wizard),
        *(Page(label, path, who, None) for label, path, who in history),
        Page("API: POST assessments", "/api/v1/assessments", None, API_TARGET, ASSESSMENT_BODY),
    ]


def queries_text(counted: list[int] | None) -> str:
    """The queries of the request wrk mostly makes; the first one's too when it differs."""
    if not counted:
        return "?"
    first, then = counted
    return f"{then}" if first == then else f"{then} (first {first})"


def row(measured: Paired, queries: str, target: str) -> str:
    page = measured.page
    rounds = " ".join(f"{ratio:.0%}" for ratio in measured.ratios)
    return (
        f"| {page.label} | `{page.path}` | {queries} | {page.requests_per_second:,.0f} | "
        f"{measured.ceiling:,.0f} | {measured.ratio:.0%} | {rounds} | {page.p50_ms:.1f} | "
        f"{page.p99_ms:.1f} | {target} |"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("database", nargs="?", default="sqlite", choices=["sqlite", "postgres"])
    parser.add_argument(
        "--seconds", type=int, default=2, help="per slice of a page or the ceiling (default 2)"
    )
    parser.add_argument(
        "--rounds", type=int, default=5, help="slices of each page and the ceiling (default 5)"
    )
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--client-threads", type=int, default=2)
    parser.add_argument("--output", type=Path, help="report file (default benchmarks/results/)")
    parser.add_argument(
        "--only",
        nargs="+",
        metavar="LABEL",
        help="measure only the pages whose labels start with one of these (e.g. API home)",
    )
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed (Debian: apt-get install wrk).")
    started = time.monotonic()
    pages = [
        page
        for page in pages_measured()
        if not args.only or page.label.lower().startswith(tuple(w.lower() for w in args.only))
    ]
    if not pages:
        raise SystemExit(f"No page's label starts with {' or '.join(args.only)}.")
    # The 10,000 episodes take a while to make: only when a history page is measured.
    counts = {"few": FEW, "many": MANY} if any(p.target is None for p in pages) else {}

    with tempfile.TemporaryDirectory(prefix="heavylegs-bench-") as tmp_name:
        tmp = Path(tmp_name)
        with database(args.database, tmp, "heavylegs_bench") as database_url:
            env = production_env(
                tmp,
                database_url,
                workers=args.workers,
                threads=args.threads,
                GUNICORN_ACCESS_LOG="false",
                # No worker recycling during the run, so the peak memory is the real one.
                GUNICORN_MAX_REQUESTS="100000000",
                LOG_LEVEL="WARNING",
                # Every request comes from 127.0.0.1: POSTs are still counted against the rate
                # limit (its cost is part of the measure), but never refused.
                RATELIMIT_RATE="100000000/s",
            )
            print(f"Preparing a fresh {args.database} database, episodes and sessions…", flush=True)
            prepare(env)
            setup_env = env | {
                "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
                "DJANGO_SETTINGS_MODULE": "config.settings",
                "PYTHONPATH": str(ROOT),
            }
            setup_started = time.monotonic()
            done = subprocess.run(
                [
                    sys.executable,
                    "-c",
                    SETUP,
                    json.dumps(counts),
                    json.dumps([[p.label, p.path, p.session, p.body] for p in pages]),
                ],
                cwd=ROOT,
                env=setup_env,
                capture_output=True,
                text=True,
                timeout=1800,
                check=False,
            )
            if done.returncode != 0:
                raise SystemExit(f"The set-up failed:\n{done.stdout}{done.stderr[-4000:]}")
            setup_seconds = time.monotonic() - setup_started
            print(f"  ready in {setup_seconds:.0f} s", flush=True)
            marked = {
                line.split(" ", 1)[0]: json.loads(line.split(" ", 1)[1])
                for line in done.stdout.splitlines()
                if line.startswith(("COOKIES ", "QUERIES "))
            }
            cookies: dict[str, str] = marked["COOKIES"]
            queries: dict[str, list[int]] = marked["QUERIES"]
            machine = machine_description(database_url)
            # The request log is one JSON line per request; at these rates it would measure
            # the terminal, so only warnings are logged during the benchmark.
            minimal_env = env | {"DJANGO_SETTINGS_MODULE": "benchmarks.minimal.settings"}
            measured: dict[str, Paired] = {}
            # Both servers run side by side (the idle one costs nothing); each page is
            # measured in turns with the ceiling (see paired()).
            with (
                gunicorn(minimal_env, tmp / "minimal.log") as minimal,
                gunicorn(env, tmp / "site.log") as site,
            ):
                print("Each page against the ceiling (minimal Django view) measured alongside:")
                for page in pages:
                    cookie = cookies[page.session] if page.session else None
                    script = None if page.body is None else lua_script(tmp, page.body)
                    measured[page.label] = paired(site, minimal, page, cookie, args, script)
                workers = site.worker_pids()
                peaks = [peak_rss_kib(pid) for pid in workers]
                master_peak = peak_rss_kib(site.process.pid)
    ceilings = [rate for one in measured.values() for rate in one.ceilings]

    print("Engine:", flush=True)
    engine = engine_report()
    print("\n".join(engine))
    minutes = (time.monotonic() - started) / 60

    misses: list[str] = []

    def table(chosen: list[Page]) -> list[str]:
        lines = [HEADER, RULE]
        for page in chosen:
            one = measured[page.label]
            assert page.target is not None
            met = one.ratio >= page.target and not one.page.errors
            if not met:
                misses.append(f"{page.label} ({one.ratio:.0%} of the ceiling)")
            verdict = f"≥ {page.target:.0%}: " + ("met" if met else "**not met**")
            lines.append(row(one, queries_text(queries.get(page.label)), verdict))
        return lines

    public = [page for page in pages if page.target == PUBLIC_TARGET]
    forms = [page for page in pages if page.target == FORM_TARGET and page.session is None]
    wizard = [page for page in pages if page.target == FORM_TARGET and page.session]
    history = [page for page in pages if page.target is None]
    api = [page for page in pages if page.target == API_TARGET]

    command = " ".join([args.database, *(["--only", *args.only] if args.only else [])])

    def section(heading: str, intro: str, chosen: list[Page]) -> list[str]:
        """A heading, a paragraph and the table of `chosen`; nothing when none was measured."""
        return [heading, "", intro, "", *table(chosen), ""] if chosen else []

    lines = [
        "# Page throughput against the ceiling of the stack",
        "",
        f"`scripts/bench.sh {command}` on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC "
        f"({minutes:.0f} minutes in all). gunicorn "
        f"with {args.workers} workers × {args.threads} threads (gthread), production settings over "
        f"plain HTTP on 127.0.0.1, a fresh {args.database} database with the seed knowledge base "
        "and the per-process memory cache; request log at WARNING and no access log, so the "
        f"numbers measure the site, not the terminal. wrk, {args.client_threads} threads and "
        f"{args.connections} keep-alive connections, on the same machine (it competes for the "
        "CPU, equally for every page). The **ceiling** is a one-line Django view "
        "(`benchmarks/minimal/`) with the site's own settings and middleware (sessions, CSRF, "
        "security headers, CSP, Permissions-Policy, rate limits, request log) served by the "
        "same gunicorn configuration, running beside the site. Each page is measured in "
        f"{args.rounds} rounds, each round {args.seconds} s of the ceiling and {args.seconds} s "
        "of the page (which of the two goes first alternates); a page's ratio "
        "is the median over its rounds of its rate over the ceiling's in the same round, so "
        "that a machine that gets busier or quieter during the run moves the ceiling with the "
        "page, and a moment's stall of the machine in one slice does not decide the result. "
        "Rates are medians over the rounds; latency is the median of the rounds' p50 and the "
        "highest of their p99.",
        "",
        "Pages are rendered by stock Django. Anonymous visitors' public pages go through "
        "Django's `cache_page` (`legs/knowledge/cache.py`, keyed on the knowledge base's "
        "revision, `PUBLIC_PAGE_CACHE_SECONDS`, 300 s by default), which reads the revision "
        "(one query) on every request; everything else is drawn on every request, with "
        "`{% cache %}` template fragments for the parts that do not change between visitors "
        "(the cause cards, a wizard step's fields), database sessions, and the knowledge "
        "snapshot each process keeps in memory per revision. **Queries** are those of one "
        "request of the page as the benchmark sends it, counted in the preparing process with "
        "`CaptureQueriesContext` (the second request; the first, when it differs, in brackets: "
        "a public page's first request draws it and fills the cache).",
        "",
        "## Machine",
        "",
        "| | |",
        "|---|---|",
        *[f"| {name} | {value} |" for name, value in machine],
        "",
        "## Ceiling",
        "",
        f"The minimal page over all {len(ceilings)} rounds: mean "
        f"{statistics.mean(ceilings):,.0f} req/s, lowest {min(ceilings):,.0f}, highest "
        f"{max(ceilings):,.0f}.",
        "",
        *section(
            f"## Public pages (target: at least {PUBLIC_TARGET:.0%} of the ceiling)",
            "Fetched as an anonymous visitor without cookies, as a search engine or a first visit "
            "does: after the first request the answer comes from `cache_page`.",
            public,
        ),
        *section(
            f"## Account forms (target: at least {FORM_TARGET:.0%} of the ceiling)",
            "Never cached (`never_cache`): as every fetch is a first visit, each response is "
            "drawn with a new CSRF secret, its cookie and a masked token.",
            forms,
        ),
        *section(
            "## Wizard steps and the result page "
            f"(target: at least {FORM_TARGET:.0%} of the ceiling)",
            "Fetched with the session and CSRF cookies of a runner who has answered the steps "
            "before, as their browser sends them: each fetch reads the knowledge revision and "
            "the session, and the step is drawn with the runner's answers (its fields from a "
            "`{% cache %}` fragment); the result page is drawn from the `Result` kept in the "
            "session.",
            wizard,
        ),
        *section(
            "## JSON API: `POST /api/v1/assessments` "
            f"(target: at least {API_TARGET:.0%} of the ceiling)",
            "Sent by wrk with a Lua script, as an app would send it: each request a POST of one "
            "complete set of answers as JSON (every question of the wizard answered, no warning "
            "sign: `benchmarks/journey.py`), with no cookie and no CSRF token (the endpoint is "
            "anonymous). Each is validated against the questions, scored in full by the engine "
            "from the process's knowledge snapshot and counted against the per-address rate "
            "limit (set high enough here never to refuse, as every request comes from "
            "127.0.0.1). Nothing is stored. The ceiling is the one-line view fetched with GET, "
            "as for every page.",
            api,
        ),
    ]
    if history:
        lines += [
            f"## History and insights: {MANY:,} episodes against {FEW} "
            f"(target: within {HISTORY_TARGET:g}× of the rate with {FEW}, the same queries)",
            "",
            f"The {FEW:,} and {MANY:,} episodes are made in bulk from one scored answer set, "
            "with the rows `episode_create()` writes (an episode, its ranked causes and the "
            "remedies shown), one run a day back from today with a random distance and "
            "heaviness.",
            "",
            HEADER,
            RULE,
        ]
    for few_page, many_page in zip(history[::2], history[1::2], strict=True):
        few, many = measured[few_page.label], measured[many_page.label]
        # Each against its own ceiling, so that drift between the two runs does not count.
        slowdown = few.ratio / many.ratio if many.ratio else float("inf")
        few_queries, many_queries = queries.get(few_page.label), queries.get(many_page.label)
        same_queries = few_queries is not None and few_queries == many_queries
        met = (
            slowdown <= HISTORY_TARGET
            and same_queries
            and not (few.page.errors or many.page.errors)
        )
        if not met:
            misses.append(
                f"{many_page.label} ("
                + (f"{slowdown:.2f}× slower than with {FEW}" if many.ratio else "no answer")
                + f"{'' if same_queries else ', not the same queries'})"
            )
        lines.append(row(few, queries_text(few_queries), ""))
        lines.append(
            row(
                many,
                queries_text(many_queries),
                (f"{slowdown:.2f}× slower" if many.ratio else "no answer within a slice")
                + f": {'met' if met else '**not met**'}",
            )
        )
    highest = max(peaks, default=0) / 1024
    memory_met = 0 < highest <= MEMORY_TARGET_MIB
    if not memory_met:
        misses.append(f"worker memory ({highest:.0f} MiB)")
    engine_met = any("assessments/CPU-second" in line for line in engine) and not any(
        "NOT met" in line for line in engine
    )
    if not engine_met:
        misses.append("engine rate")
    lines += [
        "",
        f"## Memory (target: a worker's peak at most {MEMORY_TARGET_MIB} MiB)",
        "",
        "Peak resident memory (VmHWM) after all the pages above: workers "
        + ", ".join(f"{kib / 1024:.0f} MiB" for kib in peaks)
        + f" (highest {highest:.0f} MiB: {'met' if memory_met else '**not met**'}); gunicorn "
        f"master {master_peak / 1024:.0f} MiB. Workers share the pages the master loaded before "
        "forking (`preload_app`), so their sum overstates the total.",
        "",
        f"## Engine (`benchmarks/engine.py`; target: {ENGINE_TARGET:,} assessments per CPU second)",
        "",
        "```",
        *engine,
        "```",
        "",
        "## Verdict",
        "",
        ("Every target met." if not misses else "Targets not met: " + "; ".join(misses) + "."),
        "",
        f"The run took {minutes:.0f} minutes (the {FEW:,} and {MANY:,} episodes and the "
        f"sessions were ready in {setup_seconds:.0f} s).",
    ]
    output: Path = args.output or RESULTS / "pages.md"
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text("\n".join(lines) + "\n")
    print(f"\nReport written to {output}")
    return 0 if not misses else 1


if __name__ == "__main__":
    sys.exit(main())
