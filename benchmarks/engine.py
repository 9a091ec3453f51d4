"""How fast the diagnosis engine scores, and what a wizard step costs in queries.

Run from the project root:  DEBUG=true .venv/bin/python benchmarks/engine.py [--seconds 4]

Everything happens in a throwaway SQLite database loaded with the seed knowledge base, so the
real database is never touched. The engine is timed on one core with random valid answer
sets (the rate is per CPU second, so other work on the machine does not skew it); the wizard
is driven through Django's test client and its queries are counted.
"""

from __future__ import annotations

import argparse
import logging
import os
import random
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
TARGET_PER_SECOND = 5_000


def random_answers(knowledge: Any, rng: random.Random) -> dict[str, Any]:
    """A valid answer set: each question answered or skipped, multi answers never mix `none`."""
    from legs.knowledge.snapshot import MULTI, NONE_VALUE

    answers: dict[str, Any] = {}
    for key, question in knowledge.questions.items():
        if not question.active or (not question.required and rng.random() < 0.2):
            continue
        values = list(question.choices)
        if question.kind == MULTI:
            others = [v for v in values if v != NONE_VALUE]
            picked = [v for v in others if rng.random() < 0.12]
            answers[key] = picked or [NONE_VALUE]
        else:
            answers[key] = rng.choice(values)
    return answers


def time_engine(sets: list[dict[str, Any]], knowledge: Any, seconds: float) -> tuple[float, float]:
    """Assessments per CPU second and per wall-clock second, looping over `sets`."""
    from legs.assessment.engine import assess

    count = 0
    cpu, wall = time.process_time(), time.perf_counter()
    while time.perf_counter() - wall < seconds:
        for answers in sets:
            assess(answers, knowledge)
        count += len(sets)
    return count / (time.process_time() - cpu), count / (time.perf_counter() - wall)


def bench_engine(seconds: float) -> None:
    from legs.assessment.engine import assess
    from legs.knowledge.published import load_knowledge

    knowledge = load_knowledge()
    rng = random.Random(2026)
    mixed = [random_answers(knowledge, rng) for _ in range(5_000)]
    levels = Counter(assess(answers, knowledge).triage for answers in mixed)
    # The costly case: no warning sign that stops the assessment, so every cause is scored.
    ranked = [{**answers, "warning_signs": ["none"]} for answers in mixed]

    print("Engine (seed knowledge base, one core)")
    print(f"  {len(knowledge.questions)} questions, {len(knowledge.causes)} causes")
    print("  random answer sets: " + ", ".join(f"{k} {v}" for k, v in levels.most_common()))
    for label, sets in [("random valid answer sets", mixed), ("no warning signs", ranked)]:
        cpu_rate, wall_rate = time_engine(sets, knowledge, seconds / 2)
        verdict = "met" if cpu_rate >= TARGET_PER_SECOND else "NOT met"
        print(
            f"  {label:<25} {cpu_rate:>9,.0f} assessments/CPU-second "
            f"({wall_rate:,.0f}/s wall clock; target {TARGET_PER_SECOND:,}: {verdict})"
        )


def bench_wizard() -> None:
    from django.core.cache import cache
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext, override_settings
    from django.urls import reverse

    from legs.knowledge.published import clear_local_cache, get_knowledge

    answers: dict[str, dict[str, Any]] = {
        "safety": {"warning_signs": ["none"]},
        "pattern": {"legs": "both", "timing": "early_then_eases", "symptoms": ["none"]},
        "training": {"warmup": "none", "rest_days_7d": "2_plus"},
        "fuel": {"pre_run_food": "meal_2_4h"},
        "recovery": {"sleep_hours": "7_9"},
        "health": {"age": "18_39", "risk_factors": ["none"], "medications": ["none"]},
    }
    static = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
    with override_settings(
        ALLOWED_HOSTS=["testserver"],
        STORAGES={"default": {"BACKEND": "django.core.files.storage.FileSystemStorage"}}
        | {"staticfiles": static},
    ):
        client = Client()
        client.get(reverse("assessment:wizard"), follow=True)
        get_knowledge()
        print("\nWizard (warm knowledge snapshot, database sessions, no surrounding transaction)")
        shown: list[dict[str, str]] = []
        for step, given in answers.items():
            data = {"assessment_wizard-current_step": step}
            data.update({f"{step}-{k}": v for k, v in given.items()})
            with CaptureQueriesContext(connection) as queries:
                response = client.post(reverse("assessment:wizard_step", args=[step]), data)
            print(f"  POST {step:<9} → {response.status_code}: {len(queries)} queries")
            shown = shown or list(queries.captured_queries)
            if response["Location"].endswith("/finish/"):
                with CaptureQueriesContext(connection) as queries:
                    response = client.get(response["Location"])
                print(f"  GET  finish    → {response.status_code}: {len(queries)} queries")
        for query in shown:
            print(f"    {query['sql'][:90]}")

        with CaptureQueriesContext(connection) as queries:
            response = client.get(reverse("assessment:wizard_step", args=["safety"]))
        print(f"  GET  safety    → {response.status_code}: {len(queries)} queries (warm snapshot)")

        # After an editor's change every process reloads the snapshot once (seven queries).
        clear_local_cache()
        cache.clear()
        with CaptureQueriesContext(connection) as queries:
            response = client.get(reverse("assessment:wizard_step", args=["safety"]))
        print(
            f"  GET  safety    → {response.status_code}: {len(queries)} queries "
            "right after an editor's change (the snapshot reloads in seven)"
        )
        clear_local_cache()
        with CaptureQueriesContext(connection) as queries:
            client.get(reverse("assessment:wizard_step", args=["safety"]))
        print(
            f"  GET  safety    → {len(queries)} queries in a process that has not loaded the "
            "snapshot yet (each process loads its own)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=4.0, help="engine timing (default 4)")
    args = parser.parse_args()

    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["DATABASE_URL"] = f"sqlite:///{tmp}/benchmark.sqlite3"
        os.environ["CACHE_URL"] = "locmemcache://benchmark"
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
        sys.path.insert(0, str(ROOT))
        import django
        from django.conf import settings
        from django.core.management import call_command

        django.setup()
        logging.disable(logging.INFO)  # request logs would drown the report
        settings.DEBUG = True  # keep query logging on for CaptureQueriesContext
        call_command("migrate", verbosity=0)
        call_command("load_knowledge_base", verbosity=0)
        bench_engine(args.seconds)
        bench_wizard()


if __name__ == "__main__":
    main()
