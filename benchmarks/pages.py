"""Throughput of every page against the ceiling of this stack.

    scripts/bench.sh [sqlite|postgres] [--seconds 2] [--rounds 5]

The ceiling is a one-line Django view (benchmarks/minimal/) served with the project's own
settings and middleware by the same gunicorn configuration; every public page, each wizard
step, and the history and insights pages of a runner with 10 and with 1,000 episodes are
measured the same way with wrk, on a fresh database. Each page is measured in rounds, each
round a slice of the ceiling and a slice of the page (which goes first alternates), so that
the ceiling a page is held against was measured on the same machine in the same moments (a
shared machine drifts by several per cent within minutes). Also reported: the engine's
assessments per second (benchmarks/engine.py) and the peak memory of a gunicorn worker.
The report goes to benchmarks/results/pages.md.
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
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks.serve import (  # noqa: E402 - the project is put on the path just above
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
PUBLIC_TARGET = 0.5
HISTORY_TARGET = 2.0
FEW, MANY = 10, 1_000
WIZARD_STEPS = ["safety", "pattern", "training", "fuel", "recovery", "health"]
# A well-formed CSRF cookie (any 32 letters and digits); Django keeps no record of it.
BROWSER_CSRF = secrets.token_hex(16)

# Run in a child process with the server's settings: the runners, their episodes saved
# through the site's own service, and logged-in sessions for the pages that need one.
SETUP = """
import datetime, json, random, sys, uuid
import django
django.setup()
from django.db import transaction
from django.test import Client
from accounts.models import User
from benchmarks.journey import STEPS, random_steps, step_data
from legs.assessment.engine import assess
from legs.knowledge.published import get_knowledge
from legs.history.services import RunContext, episode_create

counts = json.loads(sys.argv[1])
knowledge = get_knowledge()
rng = random.Random(2026)
cookies = {}
today = datetime.date.today()
for label, count in counts.items():
    user = User.objects.create_user(email=f"{label}@example.com", password="bench-pass-42x")
    with transaction.atomic():
        for i in range(count):
            answers = {}
            for step in random_steps(rng, emergency_share=0.05).values():
                answers.update(step)
            episode_create(
                user=user,
                answers=answers,
                result=assess(answers, knowledge).to_dict(),
                knowledge_version=knowledge.version,
                run_context=RunContext(
                    run_date=today - datetime.timedelta(days=i),
                    heaviness=rng.randint(1, 10),
                    notes=f"Run {i}",
                ),
                token=uuid.uuid4(),
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
        client.get("/assessment/finish/")
    return client.cookies["sessionid"].value


cookies["wizard"] = wizard_session(finish=False)
cookies["result"] = wizard_session(finish=True)
print("COOKIES", json.dumps(cookies))
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


def check_page(server: Server, path: str, cookie: str | None) -> None:
    request = urllib.request.Request(f"{server.url}{path}")  # noqa: S310 - our own server
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


def wrk(
    server: Server, label: str, path: str, cookie: str | None, args: argparse.Namespace
) -> Measure:
    command = [
        "wrk",
        f"--threads={args.client_threads}",
        f"--connections={args.connections}",
        f"--duration={args.seconds}s",
        "--latency",
    ]
    if cookie:
        # What a browser that has been on the site sends: its session and its CSRF cookie.
        command += ["--header", f"Cookie: sessionid={cookie}; csrftoken={BROWSER_CSRF}"]
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
    label: str,
    path: str,
    cookie: str | None,
    args: argparse.Namespace,
) -> Paired:
    check_page(site, path, cookie)
    slices: list[Measure] = []
    ceilings: list[float] = []
    for round_number in range(args.rounds):
        # Which of the two goes first alternates, so that neither always follows the other.
        if round_number % 2:
            slices.append(wrk(site, label, path, cookie, args))
        ceilings.append(wrk(minimal, "minimal page", "/", None, args).requests_per_second)
        if not round_number % 2:
            slices.append(wrk(site, label, path, cookie, args))
    rates = [s.requests_per_second for s in slices]
    page = Measure(
        label=label,
        path=path,
        requests_per_second=statistics.median(rates),
        p50_ms=statistics.median(s.p50_ms for s in slices),
        p99_ms=max(s.p99_ms for s in slices),
        errors=sum(s.errors for s in slices),
    )
    result = Paired(page, ceilings, rates)
    print(
        f"  {label:<26} {page.requests_per_second:>6.0f} req/s"
        f"  ceiling {result.ceiling:>6.0f}  {result.ratio:>4.0%}"
        f" ({' '.join(f'{ratio:.0%}' for ratio in result.ratios)})"
        f"  p50 {page.p50_ms:5.1f} ms  p99 {page.p99_ms:6.1f} ms"
        f"{'  ERRORS ' + str(page.errors) if page.errors else ''}",
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
    "| page | path | req/s | ceiling alongside | of ceiling | each round | p50 ms | p99 ms "
    "| target |"
)


def row(measured: Paired, target: str) -> str:
    page = measured.page
    rounds = " ".join(f"{ratio:.0%}" for ratio in measured.ratios)
    return (
        f"| {page.label} | `{page.path}` | {page.requests_per_second:,.0f} | "
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
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed (Debian: apt-get install wrk).")

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
            )
            print(f"Preparing a fresh {args.database} database, episodes and sessions…", flush=True)
            prepare(env)
            setup_env = env | {
                "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
                "DJANGO_SETTINGS_MODULE": "config.settings",
                "PYTHONPATH": str(ROOT),
            }
            setup_output = subprocess.run(
                [sys.executable, "-c", SETUP, json.dumps({"few": FEW, "many": MANY})],
                cwd=ROOT,
                env=setup_env,
                capture_output=True,
                text=True,
                timeout=1800,
                check=True,
            ).stdout
            marked = [line for line in setup_output.splitlines() if line.startswith("COOKIES ")]
            cookies: dict[str, str] = json.loads(marked[-1].removeprefix("COOKIES "))
            machine = machine_description(database_url)
            # The request log is one JSON line per request; at these rates it would measure
            # the terminal, so only warnings are logged during the benchmark.
            minimal_env = env | {"DJANGO_SETTINGS_MODULE": "benchmarks.minimal.settings"}
            pages: list[Paired] = []
            wizard: list[Paired] = []
            history: list[Paired] = []
            # Both servers run side by side (the idle one costs nothing); each page is
            # measured in turns with the ceiling (see paired()).
            with (
                gunicorn(minimal_env, tmp / "minimal.log") as minimal,
                gunicorn(env, tmp / "site.log") as site,
            ):

                def measure(label: str, path: str, cookie: str | None) -> Paired:
                    return paired(site, minimal, label, path, cookie, args)

                print("Each page against the ceiling (minimal Django view) measured alongside:")
                public = [
                    ("home", "/"),
                    ("about", "/about/"),
                    ("privacy", "/privacy/"),
                    ("causes", "/causes/"),
                    ("a cause", "/causes/dehydration/"),
                    ("FAQ", "/faq/"),
                    ("warning signs", "/warning-signs/"),
                    ("log-in form", "/accounts/login/"),
                    ("sign-up form", "/accounts/signup/"),
                    ("password reset form", "/accounts/password/reset/"),
                ]
                for label, path in public:
                    pages.append(measure(label, path, None))
                for step in WIZARD_STEPS:
                    path = f"/assessment/{step}/"
                    wizard.append(measure(f"wizard: {step}", path, cookies["wizard"]))
                wizard.append(measure("wizard: result", "/assessment/result/", cookies["result"]))
                for label, path in [("history", "/history/"), ("insights", "/history/insights/")]:
                    for who, count in (("few", FEW), ("many", MANY)):
                        history.append(measure(f"{label}, {count:,} episodes", path, cookies[who]))
                workers = site.worker_pids()
                peaks = [peak_rss_kib(pid) for pid in workers]
                master_peak = peak_rss_kib(site.process.pid)
    ceilings = [rate for measured in pages + wizard + history for rate in measured.ceilings]

    print("Engine:", flush=True)
    engine = engine_report()
    print("\n".join(engine))

    misses: list[str] = []
    lines = [
        "# Page throughput against the ceiling of the stack",
        "",
        f"`scripts/bench.sh {args.database}` on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC. gunicorn "
        f"with {args.workers} workers × {args.threads} threads (gthread), production settings over "
        f"plain HTTP on 127.0.0.1, a fresh {args.database} database with the seed knowledge base "
        "and the per-process memory cache; request log at WARNING and no access log, so the "
        f"numbers measure the site, not the terminal. wrk, {args.client_threads} threads and "
        f"{args.connections} keep-alive connections, on the same machine (it competes for the "
        "CPU, equally for every page). The **ceiling** is a one-line Django view "
        "(`benchmarks/minimal/`) with the site's own settings and middleware (sessions, CSRF, "
        "security headers, CSP, request log) served by the same gunicorn configuration, "
        f"running beside the site. Each page is measured in {args.rounds} rounds, each round "
        f"{args.seconds} s of the ceiling and {args.seconds} s of the page (which of the two "
        "goes first alternates); a page's ratio "
        "is the median over its rounds of its rate over the ceiling's in the same round, so "
        "that a machine that gets busier or quieter during the run moves the ceiling with the "
        "page, and a moment's stall of the machine in one slice does not decide the result. "
        "Rates are medians over the rounds; latency is the median of the rounds' p50 and the "
        "highest of their p99.",
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
        f"## Public pages and wizard steps (target: at least {PUBLIC_TARGET:.0%} of the ceiling)",
        "",
        "Public pages are fetched as an anonymous visitor without cookies, so after the first "
        "render they come from the page cache (`config/page_cache.py`); the account forms are "
        "rendered once, and as every fetch is a first visit, each response gets a new CSRF "
        "secret, its cookie and a token. Wizard steps are fetched with the session and CSRF "
        "cookies of a runner who has answered the steps before, as their browser sends them: "
        "each fetch reads the session (one query) and gets a freshly masked token; the page is "
        "rendered once for everyone at that step with the same answers, the result page once "
        "per stored result.",
        "",
        HEADER,
        "|---|---|---:|---:|---:|---|---:|---:|---|",
    ]
    for measured in pages + wizard:
        met = measured.ratio >= PUBLIC_TARGET and not measured.page.errors
        if not met:
            misses.append(measured.page.label)
        lines.append(row(measured, "met" if met else "**not met**"))
    lines += [
        "",
        f"## History and insights: {MANY:,} episodes against {FEW} "
        f"(target: within {HISTORY_TARGET:g}× of the rate with {FEW})",
        "",
        HEADER,
        "|---|---|---:|---:|---:|---|---:|---:|---|",
    ]
    for few, many in zip(history[::2], history[1::2], strict=True):
        # Each against its own ceiling, so that drift between the two runs does not count.
        slowdown = few.ratio / many.ratio
        met = slowdown <= HISTORY_TARGET and not (few.page.errors or many.page.errors)
        if not met:
            misses.append(many.page.label)
        lines.append(row(few, ""))
        lines.append(row(many, f"{slowdown:.2f}× slower: {'met' if met else '**not met**'}"))
    lines += [
        "",
        "## Memory",
        "",
        "Peak resident memory (VmHWM) after all the pages above: workers "
        + ", ".join(f"{kib / 1024:.0f} MiB" for kib in peaks)
        + f" (highest {max(peaks, default=0) / 1024:.0f} MiB); gunicorn master "
        f"{master_peak / 1024:.0f} MiB. Workers share the pages the master loaded before "
        "forking (`preload_app`), so their sum overstates the total.",
        "",
        "## Engine (`benchmarks/engine.py`)",
        "",
        "```",
        *engine,
        "```",
        "",
        "## Verdict",
        "",
        ("Every target met." if not misses else "Targets not met: " + ", ".join(misses) + "."),
    ]
    output: Path = args.output or RESULTS / "pages.md"
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text("\n".join(lines) + "\n")
    print(f"\nReport written to {output}")
    return 0 if not misses else 1


if __name__ == "__main__":
    sys.exit(main())
