"""How long a 1,000-activity Strava export takes to import (target: under 60 s on this
two-core machine), end to end: the upload through the import page, the background task
(Django's immediate backend, so the request waits for it: the time is the task's) and the
progress page's answer.

Run from the project root:  DEBUG=true .venv/bin/python benchmarks/run_import.py [--activities 1000]

Everything happens in a throwaway SQLite database, so the real database is never touched.
The export is synthetic and realistic in size: one gzipped activity file per activity (GPX,
FIT and TCX in turn, a point every 2 seconds, with heart rate), an activities.csv as Strava
writes it, 5% of the rows without distance or time (so their file is read, as for an old
export) and one activity in 10 a ride (left out). A second run imports every activity from
its file (a zip of GPX, FIT and TCX files without activities.csv), the worst case.
Writes benchmarks/results/run-import.md; exits non-zero when the target is missed.
"""

from __future__ import annotations

import argparse
import os
import platform
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
TARGET_SECONDS = 60.0
RESULTS = ROOT / "benchmarks" / "results" / "run-import.md"


def build_export(count: int, *, with_csv: bool) -> bytes:
    from tests.runfiles import Sample, StravaActivity, fit, gpx, gz, strava_export, tcx, zipped

    start = datetime(2023, 1, 2, 6, 30, tzinfo=UTC)
    writers: list[tuple[str, Callable[[Any], bytes]]] = [("gpx", gpx), ("fit", fit), ("tcx", tcx)]
    activities, files = [], []
    for n in range(count):
        minutes = 30 + n % 60
        sample = Sample(
            start + timedelta(days=n, minutes=n % 90),
            km=round(5 + (n % 17) * 0.9, 2),
            minutes=minutes,
            heart_rate=135 + n % 30,
            climb_m=float(n % 200),
            points=minutes * 30,
        )
        extension, write = writers[n % 3]
        name = f"activities/{10_000_000 + n}.{extension}.gz"
        activities.append(
            StravaActivity(
                10_000_000 + n,
                sample,
                kind="Ride" if n % 10 == 9 else "Run",
                filename=name,
                in_csv=n % 20 != 0,
            )
        )
        files.append((name, gz(write(sample))))
    return strava_export(activities, files) if with_csv else zipped(files)


def time_import(client: Any, data: bytes, name: str) -> tuple[float, Any]:
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.urls import reverse

    from legs.history.models import ImportBatch

    began = time.perf_counter()
    response = client.post(
        reverse("history:run_import"), {"uploads": [SimpleUploadedFile(name, data)]}
    )
    elapsed = time.perf_counter() - began
    assert response.status_code == 302, response.status_code
    return elapsed, ImportBatch.objects.order_by("-pk").first()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--activities", type=int, default=1000)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["DATABASE_URL"] = f"sqlite:///{tmp}/benchmark.sqlite3"
        os.environ["CACHE_URL"] = "locmemcache://benchmark"
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
        os.environ["RUNS_IMPORT_MAX_UPLOAD_MB"] = "100"
        import django

        django.setup()
        from django.core.management import call_command
        from django.test import Client
        from django.test.utils import setup_test_environment

        from accounts.models import User
        from legs.history.models import Run

        setup_test_environment()
        call_command("migrate", verbosity=0)
        rows = []
        uploads = (
            ("Strava export (activities.csv + files)", True),
            ("Activity files only (no activities.csv)", False),
        )
        for label, with_csv in uploads:
            built = time.perf_counter()
            data = build_export(args.activities, with_csv=with_csv)
            built = time.perf_counter() - built
            user = User.objects.create_user(email=f"bench{with_csv}@example.com", password=None)
            client = Client()
            client.force_login(user)
            seconds, batch = time_import(client, data, "export_12345.zip")
            runs = Run.objects.filter(owner=user).count()
            again, second = time_import(client, data, "export_12345.zip")
            rows.append((label, len(data), built, seconds, batch, runs, again, second))
            print(
                f"{label}: {len(data) / 2**20:.1f} MB, imported {batch.imported} "
                f"in {seconds:.1f} s; again (all duplicates) {again:.1f} s",
                flush=True,
            )
        sqlite = sqlite3.sqlite_version
    write_results(args.activities, rows, sqlite)
    return 0 if rows[0][3] < TARGET_SECONDS else 1


def write_results(count: int, rows: list[tuple[Any, ...]], sqlite: str) -> None:
    import django

    lines = [
        "# Importing runs: a 1,000-activity Strava export",
        "",
        f"`DEBUG=true .venv/bin/python benchmarks/run_import.py` on "
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC. {count:,} synthetic activities "
        "(see the script's docstring), uploaded through the import page with Django's test "
        "client to a fresh SQLite database; the task runs on Django's immediate backend, so "
        "the time is the upload, the task and the redirect. **Target: under 60 s.**",
        "",
        "| upload | size | activities | runs stored | skipped (rides) | problems | import | "
        "same upload again (all duplicates) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for label, size, _built, seconds, batch, runs, again, second in rows:
        lines.append(
            f"| {label} | {size / 2**20:.1f} MB | {batch.total:,} | {runs:,} | {batch.skipped} | "
            f"{len(batch.errors)} | **{seconds:.1f} s** | {again:.1f} s "
            f"({second.duplicates:,} duplicates) |"
        )
    met = rows[0][3] < TARGET_SECONDS
    lines += [
        "",
        f"Target {'met' if met else '**not met**'}: the Strava export imports in "
        f"{rows[0][3]:.1f} s.",
        "",
        "The export's runs come from activities.csv (one row each); only rows without a "
        "distance or time open their activity file. The second line reads every file "
        "(GPX with gpxpy, FIT with fitdecode, TCX with defusedxml), which is what bounds an "
        "upload of files rather than a Strava export.",
        "",
        "## Machine",
        "",
        f"- CPU: {os.cpu_count()} cores; Python {platform.python_version()}; "
        f"Django {django.get_version()}; SQLite {sqlite}",
        f"- load average at the end (1, 5, 15 min): "
        f"{', '.join(f'{x:.2f}' for x in os.getloadavg())}",
        "",
    ]
    RESULTS.write_text("\n".join(lines), encoding="utf-8")
    print(f"Wrote {RESULTS.relative_to(ROOT)}")


if __name__ == "__main__":
    sys.exit(main())
