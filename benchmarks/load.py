"""Load test: many runners at once sign up, take the assessment and save episodes.

    scripts/load.sh [sqlite|postgres] [users] [seconds]

gunicorn serves the site with production settings over plain HTTP on 127.0.0.1 (a fresh
database, several workers × threads); locust drives the runners headless for a bounded
time (benchmarks/locustfile.py). Afterwards the database is checked against what the clients
recorded: every saved episode present exactly once, no 5xx, no "database is locked". The
report goes to benchmarks/results/load-<db>.md; the exit status is non-zero if a check fails.

Rate limiting is switched off for the run (RATELIMIT_ENABLE=false): every simulated runner
comes from 127.0.0.1 and would otherwise share one sign-up allowance.
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import sqlite3
import subprocess
import sys
import tempfile
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks.serve import (  # noqa: E402 - the project is put on the path just above
    ROOT,
    VENV_BIN,
    database,
    gunicorn,
    machine_description,
    prepare,
    production_env,
)

RESULTS = ROOT / "benchmarks" / "results"
STOP_TIMEOUT = 30


@dataclass
class Checks:
    recorded: int = 0
    in_database: int = 0
    missing: list[int] = field(default_factory=list)
    wrong_owner_or_token: list[int] = field(default_factory=list)
    duplicated_tokens: int = 0
    not_recorded: int = 0
    server_errors: int = 0
    locked: int = 0
    failures: int = 0
    requests: int = 0

    @property
    def passed(self) -> bool:
        return not (
            self.missing
            or self.wrong_owner_or_token
            or self.duplicated_tokens
            or self.server_errors
            or self.locked
            or self.failures
            or self.recorded == 0
        )


def episodes_in(database_url: str) -> list[tuple[int, str, str]]:
    """(id, token as 32 hex digits, owner's email) of every episode."""
    query = (
        "SELECT e.id, e.token, u.email FROM legs_episode e "
        "JOIN accounts_user u ON u.id = e.owner_id"
    )
    if database_url.startswith("sqlite"):
        connection = sqlite3.connect(database_url.removeprefix("sqlite:///"))
        rows = connection.execute(query).fetchall()
        connection.close()
    else:
        import psycopg

        with psycopg.connect(database_url) as pg:
            rows = pg.execute(query).fetchall()
    return [(int(pk), uuid.UUID(str(token)).hex, str(email)) for pk, token, email in rows]


def check(
    database_url: str, saved: list[dict[str, Any]], log: str, stats: list[dict[str, str]]
) -> Checks:
    checks = Checks(recorded=len(saved))
    rows = episodes_in(database_url)
    checks.in_database = len(rows)
    by_id = {pk: (token, email) for pk, token, email in rows}
    tokens = [token for _, token, _ in rows]
    checks.duplicated_tokens = len(tokens) - len(set(tokens))
    recorded_ids = set()
    for entry in saved:
        recorded_ids.add(entry["id"])
        found = by_id.get(entry["id"])
        if found is None:
            checks.missing.append(entry["id"])
        elif found != (uuid.UUID(entry["token"]).hex, entry["email"]):
            checks.wrong_owner_or_token.append(entry["id"])
    checks.not_recorded = len(set(by_id) - recorded_ids)
    for line in log.splitlines():
        if '"logger": "heavylegs.request"' in line:
            try:
                if int(json.loads(line)["status"]) >= 500:
                    checks.server_errors += 1
            except (ValueError, KeyError):
                pass
    checks.locked = len(re.findall(r"database is locked", log, re.IGNORECASE))
    total = next((row for row in stats if row["Name"] == "Aggregated"), None)
    if total:
        checks.requests = int(total["Request Count"])
        checks.failures = int(total["Failure Count"])
    return checks


def read_stats(prefix: Path) -> list[dict[str, str]]:
    path = Path(f"{prefix}_stats.csv")
    if not path.exists():
        return []
    with path.open(newline="") as handle:
        return list(csv.DictReader(handle))


def report(
    *,
    kind: str,
    args: argparse.Namespace,
    machine: list[tuple[str, str]],
    stats: list[dict[str, str]],
    checks: Checks,
    failures_text: str,
) -> str:
    verdict = "all checks passed" if checks.passed else "SOME CHECKS FAILED"
    lines = [
        f"# Load test on {'SQLite' if kind == 'sqlite' else 'PostgreSQL'}: {verdict}",
        "",
        f"`scripts/load.sh {kind} {args.users} {args.seconds}` on "
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC: {args.users} simulated runners (started "
        f"{args.spawn_rate}/s, 0.1–0.5 s between pages) for {args.seconds} s against gunicorn "
        f"with {args.workers} workers × {args.threads} threads (gthread), production settings over "
        f"plain HTTP on 127.0.0.1, a fresh database and the per-process memory cache. Each runner "
        "signs up once (and confirms the address with the link in the email, read from the "
        "console mailer's output in the server log), then repeats: the whole assessment (a "
        "page and a POST per step; one in ten stops at a warning sign), saving the result "
        "(one save in five sent twice, as a double click would), the saved episode and "
        "sometimes the history list. Rate limiting is off for the run (every runner comes "
        "from 127.0.0.1). locust "
        f"{version('locust')} runs on the same machine and competes for its CPU.",
        "",
        "## Machine",
        "",
        "| | |",
        "|---|---|",
        *[f"| {name} | {value} |" for name, value in machine],
        "",
        "## Checks",
        "",
        "| check | result |",
        "|---|---|",
        f"| episodes the clients saved (recorded id and token) | {checks.recorded} |",
        f"| of those found exactly once, with their owner and token | "
        f"{checks.recorded - len(checks.missing) - len(checks.wrong_owner_or_token)} |",
        f"| missing / wrong owner or token | {len(checks.missing)} / "
        f"{len(checks.wrong_owner_or_token)} |",
        f"| duplicate tokens in the database (double submits saved twice) | "
        f"{checks.duplicated_tokens} |",
        f"| episodes in the database | {checks.in_database} |",
        f"| of those saved while the client had stopped waiting | {checks.not_recorded} |",
        f"| 5xx responses (server request log) | {checks.server_errors} |",
        f'| "database is locked" in the server log | {checks.locked} |',
        f"| failed requests (client side) | {checks.failures} of {checks.requests} |",
        "",
        "## Per endpoint",
        "",
        "Latency in milliseconds, measured by the client.",
        "",
        "| endpoint | requests | failures | req/s | p50 | p95 | p99 | max |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in stats:
        name = row["Name"] if row["Name"] == "Aggregated" else row["Name"]
        label = "**all**" if name == "Aggregated" else f"`{name}`"
        lines.append(
            f"| {label} | {row['Request Count']} | {row['Failure Count']} | "
            f"{float(row['Requests/s']):.1f} | {row['50%']} | {row['95%']} | {row['99%']} | "
            f"{float(row['Max Response Time']):.0f} |"
        )
    if failures_text.strip():
        lines += ["", "## Failures", "", "```", failures_text.strip()[:4000], "```"]
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("database", nargs="?", default="sqlite", choices=["sqlite", "postgres"])
    parser.add_argument("users", nargs="?", type=int, default=50)
    parser.add_argument("seconds", nargs="?", type=int, default=60)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--spawn-rate", type=float, default=10)
    parser.add_argument("--output", type=Path, help="report file (default benchmarks/results/)")
    args = parser.parse_args()
    if args.users < 1 or args.seconds < 5:
        parser.error("use at least 1 user and 5 seconds")
    kind: str = args.database

    with tempfile.TemporaryDirectory(prefix="heavylegs-load-") as tmp_name:
        tmp = Path(tmp_name)
        with database(kind, tmp, "heavylegs_load") as database_url:
            env = production_env(
                tmp,
                database_url,
                workers=args.workers,
                threads=args.threads,
                RATELIMIT_ENABLE="false",
                GUNICORN_ACCESS_LOG="false",
            )
            print(f"Preparing a fresh {kind} database and static files…", flush=True)
            prepare(env)
            machine = machine_description(database_url)
            record = tmp / "saved.json"
            prefix = tmp / "locust"
            with gunicorn(env, tmp / "gunicorn.log") as server:
                print(f"gunicorn at {server.url}; {args.users} runners for {args.seconds} s…")
                locust = subprocess.run(
                    [
                        str(VENV_BIN / "locust"),
                        "-f",
                        str(ROOT / "benchmarks" / "locustfile.py"),
                        "--headless",
                        "--only-summary",
                        "--users",
                        str(args.users),
                        "--spawn-rate",
                        str(args.spawn_rate),
                        "--run-time",
                        f"{args.seconds}s",
                        "--stop-timeout",
                        str(STOP_TIMEOUT),
                        "--host",
                        server.url,
                        "--csv",
                        str(prefix),
                        "--exit-code-on-error",
                        "0",
                    ],
                    cwd=ROOT,
                    env=env
                    | {"LOAD_RECORD": str(record), "LOAD_SERVER_LOG": str(tmp / "gunicorn.log")},
                    capture_output=True,
                    text=True,
                    timeout=args.seconds + STOP_TIMEOUT + 120,
                    check=False,
                )
            if locust.returncode != 0 or not record.exists():
                print(locust.stdout[-5000:], locust.stderr[-5000:], sep="\n")
                print("locust did not finish", file=sys.stderr)
                return 1
            saved = json.loads(record.read_text())
            stats = read_stats(prefix)
            log = (tmp / "gunicorn.log").read_text(errors="replace")
            checks = check(database_url, saved, log, stats)
            failures_path = Path(f"{prefix}_failures.csv")
            failures_text = failures_path.read_text() if failures_path.exists() else ""
            if len(failures_text.splitlines()) <= 1:
                failures_text = ""
            text = report(
                kind=kind,
                args=args,
                machine=machine,
                stats=stats,
                checks=checks,
                failures_text=failures_text,
            )
            if checks.server_errors or checks.locked:
                errors = [line for line in log.splitlines() if "Error" in line or "locked" in line]
                text += "\n## Server log excerpts\n\n```\n" + "\n".join(errors[:40]) + "\n```\n"
    output: Path = args.output or RESULTS / f"load-{kind}.md"
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(text)
    print(text)
    print(f"Report written to {output}")
    return 0 if checks.passed else 1


if __name__ == "__main__":
    sys.exit(main())
