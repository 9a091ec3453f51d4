"""What a runner sends through the site: shared by the load test and the page benchmark."""

from __future__ import annotations

import quopri
import random
import re
from typing import Any

WIZARD_PREFIX = "assessment_wizard"
CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
SAVE_TOKEN = re.compile(r'name="token" value="([0-9a-f-]{36})"')
EPISODE_PATH = re.compile(r"^/history/(\d+)/$")

# One full, valid set of answers, step by step (see shared/assessment-contract.md).
STEPS: dict[str, dict[str, str | list[str]]] = {
    "safety": {"warning_signs": ["none"]},
    "pattern": {
        "legs": "both",
        "timing": "late_in_long_runs",
        "relief": "eases_once_warm",
        "duration": "under_1_week",
        "symptoms": ["cramps"],
    },
    "training": {
        "warmup": "none",
        "rest_days_7d": "0",
        "weekly_change": "up_10_30",
        "long_run_spike": "yes",
        "easy_effort": "hard_to_talk",
        "strength": "none",
        "shoe_distance": "over_800km",
        "overstriding": "not_sure",
    },
    "fuel": {
        "pre_run_food": "fasted",
        "diet": "low_carb",
        "long_run_fuel": "no_fuel",
        "urine_colour": "dark",
        "conditions": "hot_or_humid",
        "eating_pattern": "omnivore",
        "menstruation": "not_applicable",
        "weight_change": "stable",
    },
    "recovery": {"sleep_hours": "under_6", "stress": "high", "resting_hr": "raised"},
    "health": {"age": "18_39", "risk_factors": ["none"], "medications": ["none"]},
}

# Other valid values, so that runners do not all give the same answers.
VARIANTS: dict[str, dict[str, list[str]]] = {
    "pattern": {
        "timing": ["early_then_eases", "whole_run", "late_in_long_runs", "day_after_hard_session"],
        "duration": ["first_time", "under_1_week", "1_2_weeks"],
    },
    "training": {
        "warmup": ["none", "static_stretch_only", "dynamic_under_5", "dynamic_5_plus"],
        "weekly_change": ["down", "same", "up_under_10", "up_10_30", "up_over_30"],
        "shoe_distance": ["under_500km", "500_800km", "over_800km", "not_sure"],
    },
    "fuel": {"diet": ["balanced", "low_carb"], "urine_colour": ["pale", "dark"]},
    "recovery": {"sleep_hours": ["under_6", "6_7", "7_9", "over_9"]},
}
# An answer that ends the questionnaire at once (triage "emergency").
EMERGENCY = {"warning_signs": ["chest_symptoms"]}


def random_steps(rng: random.Random, emergency_share: float = 0.1) -> dict[str, dict[str, Any]]:
    steps: dict[str, dict[str, Any]] = {key: dict(value) for key, value in STEPS.items()}
    if rng.random() < emergency_share:
        steps["safety"] = dict(EMERGENCY)
    for step, fields in VARIANTS.items():
        for key, values in fields.items():
            steps[step][key] = rng.choice(values)
    return steps


def step_data(step: str, answers: dict[str, Any], csrf_token: str) -> dict[str, Any]:
    data: dict[str, Any] = {
        "csrfmiddlewaretoken": csrf_token,
        f"{WIZARD_PREFIX}-current_step": step,
    }
    data.update({f"{step}-{key}": value for key, value in answers.items()})
    return data


def csrf_token(html: str) -> str:
    match = CSRF_FIELD.search(html)
    if match is None:
        raise ValueError("the page has no CSRF token")
    return match.group(1)


SEPARATOR = "-" * 79
ACTIVATION_PATH = re.compile(r"/accounts/activate/[A-Za-z0-9_-]+/[A-Za-z0-9-]+/")


def activation_path(console_log: str, email: str) -> str | None:
    """The confirmation link of the sign-up email to `email`, from the console mailer's output.

    The console mailer writes each message whole (quoted-printable, between separator lines)
    to the server's standard output, which is where a load test or a two-server test reads it,
    as the runner would read their mailbox.
    """
    for chunk in reversed(console_log.split(SEPARATOR)):
        if f"To: {email}" in chunk:
            text = quopri.decodestring(chunk.encode()).decode(errors="replace")
            match = ACTIVATION_PATH.search(text)
            if match:
                return match.group(0)
    return None
