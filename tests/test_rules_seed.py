"""The seed's safety content, read from the seed files without a database: every rule fires on
the answers it was written for and not on the near misses, every contract identifier exists,
no cause is listed on general answers alone, and the help-now wording names the numbers to
call in more than one country."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from legs.assessment.engine import LIKELY, Result, assess
from legs.knowledge.snapshot import MULTI, NONE_VALUE, RuleInfo
from legs.knowledge.triage import Triage
from tests.test_diagnosis import SEED, SEED_DIR

# A runner with nothing worrying to report: every question answered, no warning sign.
BENIGN: dict[str, Any] = {
    "warning_signs": ["none"], "legs": "both", "timing": "whole_run", "relief": "not_sure",
    "duration": "under_1_week", "onset": "gradual", "trend": "same", "injury": "none",
    "symptoms": ["none"], "warmup": "dynamic_5_plus", "rest_days_7d": "2_plus",
    "weekly_change": "same", "long_run_spike": "no", "easy_effort": "conversational",
    "strength": "regular", "shoe_distance": "under_500km", "shoe_change": "no",
    "overstriding": "no", "terrain": "mostly_flat", "pre_run_food": "meal_2_4h",
    "diet": "balanced", "long_run_fuel": "fuel_every_45min", "urine_colour": "pale",
    "conditions": "cool", "eating_pattern": "omnivore", "menstruation": "not_applicable",
    "weight_change": "stable", "sleep_hours": "7_9", "stress": "low", "resting_hr": "normal",
    "age": "18_39", "risk_factors": ["none"], "medications": ["none"],
}  # fmt: skip

SKIPPED = None  # a question the runner left out

# The contract's table: each seed rule, its level and whether it is serious.
RULE_TABLE = {
    "possible-clot": (Triage.URGENT, False),
    "one-leg-with-clot-risk": (Triage.SOON, True),
    "possible-embolism": (Triage.URGENT, False),
    "heart": (Triage.URGENT, False),
    "heart-risk-on-exertion": (Triage.SOON, True),
    "compartment-after-injury": (Triage.EMERGENCY, False),
    "claudication": (Triage.SOON, True),
    "running-with-a-fever": (Triage.SOON, True),
    "not-settling": (Triage.SOON, False),
    "low-blood-sugar": (Triage.SOON, False),
}

CLOT_RISKS = [
    "recent_long_travel_or_surgery", "hormonal_contraception_or_hrt", "pregnant",
    "gave_birth_last_12_weeks", "previous_clot", "cancer_treatment", "leg_immobilised",
]  # fmt: skip


def answers(**changes: Any) -> dict[str, Any]:
    """The benign runner with some answers changed; SKIPPED leaves a question out."""
    given = {**BENIGN, **changes}
    return {key: value for key, value in given.items() if value is not SKIPPED}


def fired(result: Result) -> list[str]:
    return [warning.rule for warning in result.warnings if warning.rule]


def rule(slug: str) -> RuleInfo:
    return next(r for r in SEED.rules if r.slug == slug)


# Firing cases: (rule, changes to the benign runner). Every seed rule must have one.
FIRING: list[tuple[str, dict[str, Any]]] = [
    *[
        ("possible-clot", {"legs": "one", "risk_factors": [risk], "relief": "legs_raised"})
        for risk in CLOT_RISKS
    ],
    ("possible-clot", {"legs": "one", "injury": "fracture_or_cast", "onset": "sudden"}),
    (
        "possible-clot",
        {"legs": "one", "risk_factors": ["pregnant"], "relief": "lasts_hours_or_days"},
    ),
    (
        "possible-clot",
        {"legs": "one", "risk_factors": ["previous_clot"], "timing": "all_day_not_just_running"},
    ),
    (
        "possible-clot",
        {
            "legs": "one",
            "risk_factors": ["smoker", "cancer_treatment"],
            "symptoms": ["ankle_swelling_evening"],
        },
    ),
    ("one-leg-with-clot-risk", {"legs": "one", "risk_factors": ["hormonal_contraception_or_hrt"]}),
    ("one-leg-with-clot-risk", {"legs": "one", "injury": "fracture_or_cast"}),
    (
        "possible-embolism",
        {
            "legs": "one",
            "risk_factors": ["recent_long_travel_or_surgery"],
            "symptoms": ["breathless_on_easy_runs"],
        },
    ),
    (
        "possible-embolism",
        {"legs": "one", "injury": "fracture_or_cast", "symptoms": ["high_heart_rate_easy"]},
    ),
    *[
        ("heart", {"risk_factors": ["heart_disease"], "symptoms": [symptom]})
        for symptom in ("breathless_on_easy_runs", "dizzy_or_headache", "ankle_swelling_evening")
    ],
    ("heart", {"risk_factors": ["heart_disease"], "warning_signs": ["near_fainting_on_runs"]}),
    (
        "heart-risk-on-exertion",
        {
            "age": "40_59",
            "risk_factors": ["smoker", "diabetes"],
            "symptoms": ["breathless_on_easy_runs"],
        },
    ),
    (
        "heart-risk-on-exertion",
        {
            "age": "60_plus",
            "risk_factors": ["diabetes", "high_bp_or_cholesterol"],
            "symptoms": ["dizzy_or_headache"],
        },
    ),
    *[
        (
            "compartment-after-injury",
            {"warning_signs": ["one_leg_swollen_painful"], "legs": "one", "injury": injury},
        )
        for injury in ("fall_or_knock", "fracture_or_cast")
    ],
    *[
        (
            "claudication",
            {"age": age, "risk_factors": [risk], "relief": "stops_within_minutes_of_rest"},
        )
        for age, risk in [
            ("40_59", "smoker"),
            ("60_plus", "diabetes"),
            ("40_59", "high_bp_or_cholesterol"),
            ("60_plus", "heart_disease"),
        ]
    ],
    *[
        ("running-with-a-fever", {"symptoms": ["recent_fever_or_viral_illness", symptom]})
        for symptom in ("high_heart_rate_easy", "breathless_on_easy_runs", "dizzy_or_headache")
    ],
    (
        "running-with-a-fever",
        {
            "symptoms": ["recent_fever_or_viral_illness"],
            "warning_signs": ["near_fainting_on_runs"],
        },
    ),
    ("not-settling", {"duration": "over_2_weeks", "trend": "getting_worse"}),
    ("not-settling", {"duration": "over_2_weeks", "relief": "lasts_hours_or_days"}),
    ("not-settling", {"duration": "over_2_weeks", "timing": "all_day_not_just_running"}),
    ("low-blood-sugar", {"medications": ["insulin_or_sulfonylurea"], "pre_run_food": "fasted"}),
    (
        "low-blood-sugar",
        {"medications": ["insulin_or_sulfonylurea"], "symptoms": ["dizzy_or_headache"]},
    ),
]

# Near misses: (rule, changes, why it must not fire).
NEAR_MISSES: list[tuple[str, dict[str, Any], str]] = [
    (
        "possible-clot",
        {"legs": "both", "risk_factors": ["pregnant"], "relief": "legs_raised"},
        "both legs",
    ),
    (
        "possible-clot",
        {"legs": "one", "risk_factors": ["smoker"], "relief": "legs_raised"},
        "smoking alone is not a clot risk here",
    ),
    (
        "possible-clot",
        {"legs": "one", "injury": "fall_or_knock", "relief": "legs_raised"},
        "a knock without a fracture or cast",
    ),
    (
        "possible-clot",
        {"legs": SKIPPED, "risk_factors": ["previous_clot"], "relief": "legs_raised"},
        "which leg was skipped",
    ),
    (
        "possible-clot",
        {"legs": "one", "risk_factors": SKIPPED, "relief": "legs_raised"},
        "risk factors skipped",
    ),
    (
        "possible-clot",
        {"legs": "one", "risk_factors": ["previous_clot"], "relief": "eases_once_warm"},
        "nothing persistent or swollen",
    ),
    ("one-leg-with-clot-risk", {"legs": "both", "risk_factors": ["pregnant"]}, "both legs"),
    ("one-leg-with-clot-risk", {"legs": "one"}, "no clot risk"),
    ("one-leg-with-clot-risk", {"legs": "one", "risk_factors": SKIPPED}, "risk factors skipped"),
    (
        "one-leg-with-clot-risk",
        {"legs": SKIPPED, "risk_factors": ["hormonal_contraception_or_hrt"]},
        "which leg was skipped",
    ),
    (
        "possible-embolism",
        {
            "legs": "both",
            "risk_factors": ["recent_long_travel_or_surgery"],
            "symptoms": ["breathless_on_easy_runs"],
        },
        "both legs",
    ),
    (
        "possible-embolism",
        {"legs": "one", "symptoms": ["breathless_on_easy_runs", "high_heart_rate_easy"]},
        "no clot risk",
    ),
    (
        "possible-embolism",
        {"legs": "one", "risk_factors": ["pregnant"], "symptoms": ["pale_or_unusually_tired"]},
        "no breathlessness or racing heart",
    ),
    (
        "heart",
        {"risk_factors": ["high_bp_or_cholesterol"], "symptoms": ["breathless_on_easy_runs"]},
        "no heart disease",
    ),
    ("heart", {"risk_factors": ["heart_disease"], "symptoms": ["cramps"]}, "no heart symptom"),
    ("heart", {"risk_factors": ["heart_disease"], "symptoms": SKIPPED}, "symptoms skipped"),
    (
        "heart-risk-on-exertion",
        {
            "age": "18_39",
            "risk_factors": ["smoker", "diabetes"],
            "symptoms": ["breathless_on_easy_runs"],
        },
        "age under 40",
    ),
    (
        "heart-risk-on-exertion",
        {"age": "60_plus", "risk_factors": ["smoker"], "symptoms": ["breathless_on_easy_runs"]},
        "only one risk factor",
    ),
    (
        "heart-risk-on-exertion",
        {"age": "40_59", "risk_factors": ["smoker", "diabetes"], "symptoms": ["cramps"]},
        "no breathlessness or dizziness",
    ),
    (
        "heart-risk-on-exertion",
        {
            "age": SKIPPED,
            "risk_factors": ["smoker", "diabetes"],
            "symptoms": ["breathless_on_easy_runs"],
        },
        "age skipped",
    ),
    (
        "compartment-after-injury",
        {"warning_signs": ["one_leg_swollen_painful"], "injury": "none"},
        "no injury",
    ),
    (
        "compartment-after-injury",
        {"warning_signs": ["one_leg_swollen_painful"], "injury": SKIPPED},
        "injury question skipped",
    ),
    (
        "compartment-after-injury",
        {"injury": "fracture_or_cast", "legs": "one"},
        "no swollen, painful leg ticked",
    ),
    (
        "claudication",
        {"age": "18_39", "risk_factors": ["smoker"], "relief": "stops_within_minutes_of_rest"},
        "age under 40",
    ),
    (
        "claudication",
        {"age": "60_plus", "relief": "stops_within_minutes_of_rest"},
        "no vascular risk factor",
    ),
    (
        "claudication",
        {"age": "60_plus", "risk_factors": ["pregnant"], "relief": "stops_within_minutes_of_rest"},
        "a clot risk is not a vascular risk factor",
    ),
    (
        "claudication",
        {"age": "60_plus", "risk_factors": ["smoker"], "relief": "eases_once_warm"},
        "eases once warm",
    ),
    (
        "claudication",
        {"age": "60_plus", "risk_factors": ["smoker"], "relief": SKIPPED},
        "relief skipped",
    ),
    (
        "running-with-a-fever",
        {"symptoms": ["recent_fever_or_viral_illness"]},
        "an illness with no heart or breathing sign",
    ),
    ("running-with-a-fever", {"symptoms": ["high_heart_rate_easy"]}, "no recent illness"),
    (
        "not-settling",
        {"duration": "over_2_weeks", "timing": "early_then_eases", "relief": "eases_once_warm"},
        "a warm-up pattern that has lasted a while",
    ),
    ("not-settling", {"duration": "1_2_weeks", "trend": "getting_worse"}, "under two weeks"),
    ("not-settling", {"duration": "over_2_weeks", "trend": SKIPPED}, "trend skipped"),
    (
        "low-blood-sugar",
        {"medications": ["insulin_or_sulfonylurea"]},
        "fed, and no dizziness",
    ),
    (
        "low-blood-sugar",
        {"symptoms": ["dizzy_or_headache"], "pre_run_food": "fasted"},
        "no medicine that lowers blood sugar",
    ),
    (
        "low-blood-sugar",
        {"risk_factors": ["diabetes"], "medications": ["other"], "pre_run_food": "fasted"},
        "another diabetes medicine",
    ),
]


# -- the rules' table ---------------------------------------------------------------------


def test_the_seed_holds_the_contracts_rules_with_their_levels_and_serious_flags() -> None:
    assert {r.slug: (r.level, r.serious) for r in SEED.rules} == RULE_TABLE


def test_every_seed_rule_has_a_firing_case_and_a_near_miss_here() -> None:
    assert {slug for slug, _ in FIRING} == set(RULE_TABLE)
    assert {slug for slug, _, _ in NEAR_MISSES} == set(RULE_TABLE)


def test_every_seed_rule_says_its_intent_and_what_to_do() -> None:
    document = json.loads((SEED_DIR / "rules.json").read_text(encoding="utf-8"))
    for item in document["rules"]:
        assert item["note"].strip(), item["slug"]
        assert item["message"].strip(), item["slug"]
        assert item["active"], item["slug"]


# -- each rule --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("slug", "changes"), FIRING, ids=[f"{slug}-{i}" for i, (slug, _) in enumerate(FIRING)]
)
def test_the_rule_fires_and_gives_at_least_its_level(slug: str, changes: dict[str, Any]) -> None:
    level, serious = RULE_TABLE[slug]
    result = assess(answers(**changes), SEED)
    assert result.triage.rank >= level.rank
    if result.triage == level:
        assert slug in fired(result)
        warning = next(w for w in result.warnings if w.rule == slug)
        assert warning.message == rule(slug).message
        assert warning.serious is serious
        # The warning says which of the runner's answers fired it.
        assert warning.because
        assert {reason.question for reason in warning.because} <= set(changes)
    if level.stops:
        assert result.causes == ()


@pytest.mark.parametrize(
    ("slug", "changes", "why"),
    NEAR_MISSES,
    ids=[f"{slug}-{why.replace(' ', '-')}" for slug, _, why in NEAR_MISSES],
)
def test_the_rule_does_not_fire_on_a_near_miss(
    slug: str, changes: dict[str, Any], why: str
) -> None:
    result = assess(answers(**changes), SEED)
    assert slug not in fired(result), why


def test_the_benign_runner_fires_no_rule_and_needs_no_doctor() -> None:
    result = assess(answers(), SEED)
    assert result.triage == Triage.SELF_CARE
    assert result.warnings == ()


def test_a_heavy_puffy_leg_after_a_flight_on_the_pill_is_not_training_fatigue() -> None:
    result = assess(
        answers(
            legs="one",
            relief="legs_raised",
            risk_factors=["recent_long_travel_or_surgery", "hormonal_contraception_or_hrt"],
            rest_days_7d="0",
            weekly_change="up_over_30",
        ),
        SEED,
    )
    assert result.triage == Triage.URGENT
    assert fired(result) == ["possible-clot"]
    assert result.causes == ()


def test_one_leg_with_a_clot_risk_leads_with_the_warning_and_nothing_is_likely() -> None:
    # Plenty of training reasons, but the clot risk keeps every cause at "possible".
    result = assess(
        answers(
            legs="one",
            risk_factors=["previous_clot"],
            rest_days_7d="0",
            resting_hr="raised",
            weekly_change="up_over_30",
            long_run_spike="yes",
        ),
        SEED,
    )
    assert result.triage == Triage.SOON
    assert result.serious
    assert result.warnings[0].rule == "one-leg-with-clot-risk"
    assert result.causes
    assert all(cause.band != LIKELY for cause in result.causes)


def test_the_urgent_clot_rule_replaces_the_soon_one() -> None:
    result = assess(answers(legs="one", risk_factors=["pregnant"], onset="sudden"), SEED)
    assert fired(result) == ["possible-clot"]


def test_a_swollen_leg_after_a_fall_is_an_emergency_not_a_same_day_visit() -> None:
    signs = {"warning_signs": ["one_leg_swollen_painful"]}
    assert assess(answers(**signs), SEED).triage == Triage.URGENT
    result = assess(answers(**signs, injury="fall_or_knock"), SEED)
    assert result.triage == Triage.EMERGENCY
    assert result.warnings[0].rule == "compartment-after-injury"


def test_over_two_weeks_on_its_own_no_longer_books_a_doctor() -> None:
    result = assess(
        answers(
            duration="over_2_weeks",
            timing="early_then_eases",
            relief="eases_once_warm",
            warmup="none",
        ),
        SEED,
    )
    assert result.triage == Triage.SELF_CARE
    assert [c.slug for c in result.causes][:1] == ["insufficient-warmup"]


def test_claudication_adds_weight_to_narrowed_arteries_without_calling_it_likely() -> None:
    changes = {"age": "60_plus", "relief": "stops_within_minutes_of_rest"}
    without = assess(answers(**changes, risk_factors=["none"]), SEED)
    with_risk = assess(answers(**changes, risk_factors=["smoker"]), SEED)
    score = {c.slug: c.score for c in with_risk.causes}
    before = {c.slug: c.score for c in without.causes}
    smoker = SEED.questions["risk_factors"].choices["smoker"].evidence
    smoker_weight = sum(e.weight for e in smoker if e.cause == "peripheral-artery-disease")
    assert score["peripheral-artery-disease"] == pytest.approx(
        before["peripheral-artery-disease"] + smoker_weight + 2.0 + 1.0  # the rule, no "none"
    )
    assert all(cause.band != LIKELY for cause in with_risk.causes)


# -- the property: a rule's conditions always give at least its level ----------------------


def _benign_values(key: str) -> list[str]:
    return [v for v, choice in SEED.questions[key].choices.items() if not choice.triage]


@st.composite
def benign_answers_with_a_rule(draw: st.DrawFn) -> tuple[RuleInfo, dict[str, Any]]:
    """Random answers with no warning sign, then one way of meeting a rule's conditions."""
    target = draw(st.sampled_from(SEED.rules))
    given: dict[str, Any] = {"warning_signs": [NONE_VALUE]}
    for key, question in SEED.questions.items():
        if key == "warning_signs" or not question.active or not draw(st.booleans()):
            continue
        values = _benign_values(key)
        if question.kind == MULTI:
            others = [v for v in values if v != NONE_VALUE]
            if NONE_VALUE in values and draw(st.booleans()):
                given[key] = [NONE_VALUE]
            elif others:
                given[key] = draw(st.lists(st.sampled_from(others), min_size=1, unique=True))
        else:
            given[key] = draw(st.sampled_from(values))
    for group in target.groups:
        condition = draw(st.sampled_from(group))
        values = sorted(condition.values)
        if SEED.questions[condition.question].kind == MULTI:
            picked = draw(
                st.lists(
                    st.sampled_from(values),
                    min_size=condition.at_least,
                    max_size=len(values),
                    unique=True,
                )
            )
            earlier = [v for v in given.get(condition.question, []) if v != NONE_VALUE]
            given[condition.question] = sorted({*earlier, *picked})
        else:
            given[condition.question] = draw(st.sampled_from(values))
    return target, given


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(benign_answers_with_a_rule())
def test_a_rules_conditions_always_give_at_least_its_level(
    case: tuple[RuleInfo, dict[str, Any]],
) -> None:
    target, given = case
    result = assess(given, SEED)
    level = Triage(target.level)
    assert result.triage.rank >= level.rank, (target.slug, given)
    if result.triage == level:
        assert target.slug in fired(result)
        if target.serious:
            assert result.serious
            assert all(cause.band != LIKELY for cause in result.causes)


# -- evidence that counts -----------------------------------------------------------------


def _general_evidence() -> list[tuple[str, str, str]]:
    return [
        (key, value, evidence.cause)
        for key, question in SEED.questions.items()
        for value, choice in question.choices.items()
        for evidence in choice.evidence
        if evidence.weight > 0 and not evidence.specific and not choice.triage
    ]


@pytest.mark.parametrize(("key", "value", "cause"), _general_evidence())
def test_a_general_answer_alone_never_lists_a_cause(key: str, value: str, cause: str) -> None:
    given: Any = [value] if SEED.questions[key].kind == MULTI else value
    result = assess({"warning_signs": [NONE_VALUE], key: given}, SEED)
    assert cause not in [c.slug for c in result.causes]


@pytest.mark.parametrize(
    ("cause", "changes"),
    [
        (
            "medication-side-effects",
            {
                "timing": "all_day_not_just_running",
                "relief": "lasts_hours_or_days",
                "symptoms": ["muscles_sore_to_touch", "cramps"],
                "duration": "over_2_weeks",
            },
        ),
        (
            "strength-session-fatigue",
            {
                "timing": "day_after_hard_session",
                "relief": "lasts_hours_or_days",
                "symptoms": ["muscles_sore_to_touch"],
            },
        ),
        ("worn-shoes", {"shoe_distance": "not_sure", "terrain": "trail"}),
        ("bone-stress-injury", {"weekly_change": "up_over_30", "trend": "getting_worse"}),
        ("recent-illness", {"symptoms": ["high_heart_rate_easy"], "resting_hr": "raised"}),
    ],
)
def test_a_cause_needs_one_of_its_own_answers(cause: str, changes: dict[str, Any]) -> None:
    result = assess(answers(**changes), SEED)
    assert cause not in [c.slug for c in result.causes]


@pytest.mark.parametrize(
    ("cause", "changes"),
    [
        ("medication-side-effects", {"medications": ["beta_blocker"]}),
        ("strength-session-fatigue", {"strength": "heavy_legs_last_48h"}),
        ("worn-shoes", {"shoe_change": "different_model_or_drop"}),
        ("bone-stress-injury", {"symptoms": ["localised_bone_pain"]}),
        ("recent-illness", {"symptoms": ["recent_fever_or_viral_illness"]}),
    ],
)
def test_one_of_its_own_answers_lists_the_cause(cause: str, changes: dict[str, Any]) -> None:
    result = assess(answers(**changes), SEED)
    assert cause in [c.slug for c in result.causes]


def _documented_specific_answers() -> dict[str, set[tuple[str, str]]]:
    """The table in docs/specific-answers.md: cause → its specific (question, value) pairs."""
    text = (SEED_DIR.parents[2] / "docs" / "specific-answers.md").read_text(encoding="utf-8")
    table: dict[str, set[tuple[str, str]]] = {}
    for line in text.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) != 3 or not re.fullmatch(r"`[a-z-]+`", cells[0]):
            continue
        pairs = set()
        for group in cells[1].split(";"):
            tokens = re.findall(r"`([^`]+)`", group)
            question, first = tokens[0].split(": ")
            pairs |= {(question, value) for value in [first, *tokens[1:]]}
        table[cells[0].strip("`")] = pairs
    return table


def test_every_cause_has_specific_answers_and_the_docs_list_them() -> None:
    in_seed: dict[str, set[tuple[str, str]]] = {slug: set() for slug in SEED.causes}
    for key, question in SEED.questions.items():
        for value, choice in question.choices.items():
            for evidence in choice.evidence:
                if evidence.weight > 0 and evidence.specific:
                    in_seed[evidence.cause].add((key, value))
    assert all(in_seed.values()), [slug for slug, pairs in in_seed.items() if not pairs]
    assert _documented_specific_answers() == in_seed


# -- contract version 2 identifiers -------------------------------------------------------

CONTRACT_V2_VALUES = {
    "warning_signs": {
        "stroke_signs", "tense_leg_after_injury", "heat_illness", "near_fainting_on_runs",
        "red_hot_skin_with_fever", "pregnancy_swelling_headache", "dark_urine",
        "confusion_after_overdrinking",
    },
    "onset": {"gradual", "sudden"},
    "trend": {"getting_better", "same", "getting_worse"},
    "injury": {"none", "fall_or_knock", "fracture_or_cast"},
    "symptoms": {"localised_bone_pain", "recent_fever_or_viral_illness"},
    "shoe_change": {"no", "new_pair_same_model", "different_model_or_drop"},
    "terrain": {"mostly_flat", "hilly", "trail", "treadmill"},
    "risk_factors": {
        "gave_birth_last_12_weeks", "previous_clot", "cancer_treatment", "leg_immobilised",
    },
    "medications": {"anticoagulant", "diuretic", "insulin_or_sulfonylurea", "other"},
}  # fmt: skip
CONTRACT_V2_STEPS = {
    "onset": "pattern", "trend": "pattern", "injury": "pattern", "symptoms": "pattern",
    "shoe_change": "training", "terrain": "training", "risk_factors": "health",
    "medications": "health",
}  # fmt: skip
CONTRACT_V2_TRIAGE = {
    ("warning_signs", "stroke_signs"): Triage.EMERGENCY,
    ("warning_signs", "tense_leg_after_injury"): Triage.EMERGENCY,
    ("warning_signs", "heat_illness"): Triage.EMERGENCY,
    ("warning_signs", "near_fainting_on_runs"): Triage.URGENT,
    ("warning_signs", "red_hot_skin_with_fever"): Triage.URGENT,
    ("warning_signs", "pregnancy_swelling_headache"): Triage.URGENT,
    ("symptoms", "localised_bone_pain"): Triage.SOON,
    ("duration", "over_2_weeks"): "",
}


def test_every_contract_v2_identifier_is_in_the_seed() -> None:
    for key, values in CONTRACT_V2_VALUES.items():
        question = SEED.questions[key]
        assert question.active, key
        assert values <= set(question.choices), (key, values - set(question.choices))
    for key, step in CONTRACT_V2_STEPS.items():
        assert SEED.questions[key].step == step, key
    for (key, value), level in CONTRACT_V2_TRIAGE.items():
        assert SEED.questions[key].choices[value].triage == level, (key, value)
    assert {"recent-illness", "bone-stress-injury", "worn-shoes"} <= set(SEED.causes)


def test_the_new_causes_have_every_kind_of_remedy_and_a_see_a_doctor_step() -> None:
    document = json.loads((SEED_DIR / "causes.json").read_text(encoding="utf-8"))
    causes = {c["slug"]: c for c in document["causes"]}
    for slug in ("recent-illness", "bone-stress-injury"):
        kinds = {remedy["kind"] for remedy in causes[slug]["remedies"]}
        assert kinds == {"now", "next_run", "long_term", "professional"}, slug
        assert "doctor" in causes[slug]["see_doctor"], slug
    assert "fever" in causes["recent-illness"]["body"].lower()
    assert "neck" in causes["recent-illness"]["body"].lower()


# -- help-now wording ----------------------------------------------------------------------


def _help_now_messages() -> list[tuple[str, str, str]]:
    messages = [
        (f"{key}={value}", choice.triage, choice.triage_message)
        for key, question in SEED.questions.items()
        for value, choice in question.choices.items()
        if choice.triage in {Triage.EMERGENCY, Triage.URGENT}
    ]
    messages += [
        (r.slug, r.level, r.message)
        for r in SEED.rules
        if r.level in {Triage.EMERGENCY, Triage.URGENT}
    ]
    return messages


@pytest.mark.parametrize(
    ("where", "level", "message"), _help_now_messages(), ids=[m[0] for m in _help_now_messages()]
)
def test_help_now_wording_names_the_emergency_numbers_of_several_countries(
    where: str, level: str, message: str
) -> None:
    # A runner abroad must not be left with only a UK number.
    assert "999, 112 or 911" in message, where
    if level == Triage.URGENT:
        assert "today" in message or "same day" in message, where


def test_the_swollen_leg_warning_sends_an_injured_leg_to_the_emergency_department() -> None:
    # The wizard stops at this urgent answer before it asks about an injury, so the wording
    # itself must carry the compartment-after-injury rule's advice.
    message = SEED.questions["warning_signs"].choices["one_leg_swollen_painful"].triage_message
    assert "after a fall, a knock or a broken bone" in message
    assert "emergency department now" in message


def test_the_overdrinking_warning_says_not_to_drink_more() -> None:
    message = SEED.questions["warning_signs"].choices["confusion_after_overdrinking"]
    assert "Do not drink more water" in message.triage_message
    assert "even if you do not think you drank a lot" in message.triage_message
