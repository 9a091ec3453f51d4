"""The diagnosis engine (plain Python) and the knowledge snapshot it scores with."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from legs.assessment.engine import (
    LIKELY,
    LIKELY_SCORE,
    MIN_LISTED_SCORE,
    POSSIBLE,
    InvalidAnswers,
    Result,
    assess,
    escalation_questions,
)
from legs.knowledge.exchange import rule_conditions
from legs.knowledge.snapshot import (
    MULTI,
    NONE_VALUE,
    SAFETY_STEP,
    SINGLE,
    CauseInfo,
    ChoiceInfo,
    ConditionInfo,
    EvidenceInfo,
    Knowledge,
    QuestionInfo,
    RemedyInfo,
    RuleDraft,
    RuleInfo,
    StepInfo,
    build_rules,
    rule_problem,
)
from legs.knowledge.triage import Triage

SEED_DIR = Path(__file__).resolve().parents[1] / "legs" / "knowledge" / "seed"


# -- a small hand-built knowledge base --------------------------------------------------


def q(key: str, kind: str, step: str, *choices: ChoiceInfo, active: bool = True) -> QuestionInfo:
    return QuestionInfo(key, key.title(), kind, step, {c.value: c for c in choices}, active)


def c(
    value: str,
    *evidence: tuple[str, float] | EvidenceInfo,
    triage: str = "",
    because: str = "",
) -> ChoiceInfo:
    """A choice; its evidence is specific unless given as EvidenceInfo(..., specific=False)."""
    message = f"{triage} advice for {value}" if triage else ""
    return ChoiceInfo(
        value,
        value.title(),
        because or f"you said {value}",
        triage,
        message,
        tuple(EvidenceInfo(*e) for e in evidence),
    )


def cause(slug: str, order: int) -> CauseInfo:
    return CauseInfo(slug, slug.title(), "", order, (RemedyInfo(f"Fix {slug}", "", "now"),))


def tiny(causes: tuple[CauseInfo, ...] | None = None) -> Knowledge:
    questions = [
        q(
            "signs",
            MULTI,
            "safety",
            c("chest", triage=Triage.EMERGENCY),
            c("clot", triage=Triage.URGENT),
            c(NONE_VALUE),
        ),
        q(
            "timing",
            SINGLE,
            "pattern",
            c("early", ("warmup", 6.0)),
            c("late", ("fuel", 3.0), ("load", 2.0)),
            c("same_point", ("artery", 5.0), triage=Triage.SOON),
        ),
        q(
            "warmup",
            SINGLE,
            "training",
            c("none", ("warmup", 5.0), ("form", -1.0)),
            c("good", ("warmup", -4.0)),
        ),
        q(
            "symptoms",
            MULTI,
            "pattern",
            c("cramps", ("fuel", 2.0), ("hydration", 2.0)),
            c("tingling", ("nerve", 4.0), triage=Triage.SOON),
            c("twinge", ("hydration", 0.5)),
            c(NONE_VALUE),
        ),
        q("retired", SINGLE, "training", c("yes", ("warmup", 9.0)), active=False),
        q("ghost", SINGLE, "training", c("yes", ("unpublished-cause", 9.0))),
    ]
    causes = causes or tuple(
        cause(slug, order)
        for order, slug in enumerate(
            ("warmup", "fuel", "load", "hydration", "artery", "nerve", "form"), start=1
        )
    )
    return Knowledge(
        questions={question.key: question for question in questions},
        causes={x.slug: x for x in causes},
        steps=(StepInfo("safety", "Safety", "", ("signs",)),),
    )


TINY = tiny()


def slugs(result: Result) -> list[str]:
    return [x.slug for x in result.causes]


def test_no_answers_gives_self_care_and_no_causes() -> None:
    assert assess({}, TINY) == Result(Triage.SELF_CARE, (), ())


def test_most_serious_level_wins_and_only_help_now_warnings_are_kept() -> None:
    result = assess({"signs": ["clot", "chest"], "timing": "same_point"}, TINY)
    assert result.triage == Triage.EMERGENCY
    assert [(w.value, w.level) for w in result.warnings] == [
        ("chest", Triage.EMERGENCY),
        ("clot", Triage.URGENT),
    ]


def test_urgent_beats_soon() -> None:
    result = assess({"signs": ["clot"], "symptoms": ["tingling"]}, TINY)
    assert result.triage == Triage.URGENT
    assert [w.value for w in result.warnings] == ["clot"]


@pytest.mark.parametrize("sign", ["chest", "clot"])
def test_no_causes_are_listed_when_help_is_needed_now(sign: str) -> None:
    answers = {"signs": [sign], "timing": "early", "warmup": "none", "symptoms": ["cramps"]}
    result = assess(answers, TINY)
    assert result.stops
    assert result.causes == ()
    assert result.to_dict()["causes"] == []


def test_soon_keeps_ranked_causes_and_lists_every_soon_warning() -> None:
    result = assess({"timing": "same_point", "symptoms": ["tingling", "cramps"]}, TINY)
    assert result.triage == Triage.SOON
    assert not result.stops
    assert [w.value for w in result.warnings] == ["same_point", "tingling"]
    assert slugs(result) == ["artery", "nerve", "fuel", "hydration"]


def test_causes_are_ranked_by_total_evidence_with_the_answers_that_point_to_them() -> None:
    result = assess({"timing": "late", "warmup": "none", "symptoms": ["cramps"]}, TINY)
    assert [(x.slug, x.score) for x in result.causes] == [
        ("warmup", 5.0),
        ("fuel", 5.0),
        ("load", 2.0),
        ("hydration", 2.0),
    ]
    fuel = result.causes[1]
    assert [(r.question, r.value, r.text) for r in fuel.because] == [
        ("timing", "late", "you said late"),
        ("symptoms", "cramps", "you said cramps"),
    ]
    assert fuel.remedies == (RemedyInfo("Fix fuel", "", "now"),)


def test_answers_against_a_cause_lower_its_score_and_are_not_given_as_reasons() -> None:
    result = assess({"timing": "early", "warmup": "good"}, TINY)
    assert [(x.slug, x.score) for x in result.causes] == [("warmup", 2.0)]
    assert [r.question for r in result.causes[0].because] == ["timing"]


def test_a_cause_with_only_evidence_against_it_is_left_out() -> None:
    assert slugs(assess({"warmup": "none"}, TINY)) == ["warmup"]  # "form" only had -1


def test_equal_scores_follow_the_editors_cause_order() -> None:
    # warmup (order 1) and fuel (order 2) both score 5.0.
    result = assess({"timing": "late", "warmup": "none", "symptoms": ["cramps"]}, TINY)
    assert slugs(result)[:2] == ["warmup", "fuel"]
    reordered = tiny(
        causes=(cause("fuel", 1), cause("warmup", 2), cause("load", 3), cause("hydration", 4))
    )
    result = assess({"timing": "late", "warmup": "none", "symptoms": ["cramps"]}, reordered)
    assert slugs(result)[:2] == ["fuel", "warmup"]


def test_equal_scores_and_equal_order_fall_back_to_the_slug() -> None:
    same_order = tiny(causes=(cause("warmup", 5), cause("fuel", 5), cause("load", 5)))
    result = assess({"timing": "late", "warmup": "none", "symptoms": ["cramps"]}, same_order)
    assert slugs(result) == ["fuel", "warmup", "load"]


def test_float_rounding_noise_does_not_break_a_tie() -> None:
    # 1.1 + 2.2 is 3.3000000000000003 in floating point; it must still tie with 3.3.
    knowledge = Knowledge(
        questions={
            "a": q("a", SINGLE, "s", c("x", ("beta", 1.1))),
            "b": q("b", SINGLE, "s", c("x", ("beta", 2.2))),
            "d": q("d", SINGLE, "s", c("x", ("alpha", 3.3))),
        },
        causes={"alpha": cause("alpha", 1), "beta": cause("beta", 2)},
    )
    result = assess({"a": "x", "b": "x", "d": "x"}, knowledge)
    assert [(x.slug, x.score) for x in result.causes] == [("alpha", 3.3), ("beta", 3.3)]


def test_bands_need_a_strong_score_close_to_the_best() -> None:
    result = assess({"timing": "early", "warmup": "none", "symptoms": ["cramps"]}, TINY)
    bands = {x.slug: x.band for x in result.causes}
    assert bands == {"warmup": LIKELY, "fuel": POSSIBLE, "hydration": POSSIBLE}
    assert result.causes[0].score == 11.0 >= LIKELY_SCORE


def test_a_strong_score_far_below_the_best_is_only_possible() -> None:
    knowledge = Knowledge(
        questions={
            "a": q("a", SINGLE, "s", c("x", ("alpha", 10.0))),
            "b": q("b", SINGLE, "s", c("x", ("alpha", 10.0), ("beta", 7.0))),
        },
        causes={"alpha": cause("alpha", 1), "beta": cause("beta", 2)},
    )
    result = assess({"a": "x", "b": "x"}, knowledge)
    assert [(x.slug, x.band) for x in result.causes] == [("alpha", LIKELY), ("beta", POSSIBLE)]


def test_causes_below_the_listing_threshold_are_left_out() -> None:
    # "twinge" gives hydration 0.5, below MIN_LISTED_SCORE.
    assert MIN_LISTED_SCORE > 0.5
    assert assess({"symptoms": ["twinge"]}, TINY).causes == ()
    knowledge = Knowledge(
        questions={"a": q("a", SINGLE, "s", c("x", ("alpha", MIN_LISTED_SCORE)))},
        causes={"alpha": cause("alpha", 1)},
    )
    assert slugs(assess({"a": "x"}, knowledge)) == ["alpha"]


def test_partial_answers_are_scored_with_what_was_given() -> None:
    result = assess({"warmup": "none"}, TINY)
    assert result.triage == Triage.SELF_CARE
    assert [(x.slug, x.score) for x in result.causes] == [("warmup", 5.0)]


def test_inactive_questions_are_accepted_but_ignored() -> None:
    assert assess({"retired": "yes"}, TINY) == assess({}, TINY)
    with pytest.raises(InvalidAnswers) as error:
        assess({"retired": "maybe"}, TINY)
    assert "retired" in error.value.errors


def test_evidence_for_a_cause_missing_from_the_snapshot_is_ignored() -> None:
    assert assess({"ghost": "yes"}, TINY).causes == ()


def test_repeated_values_in_a_multi_answer_count_once() -> None:
    once = assess({"symptoms": ["cramps"]}, TINY)
    assert assess({"symptoms": ["cramps", "cramps"]}, TINY) == once


@pytest.mark.parametrize(
    ("answers", "key", "words"),
    [
        ([], "answers", "JSON object"),
        ("warmup=none", "answers", "JSON object"),
        (None, "answers", "JSON object"),
        (42, "answers", "JSON object"),
        ({"colour": "red"}, "colour", "unknown question"),
        ({"warmup": "sometimes"}, "warmup", "unknown value 'sometimes'"),
        ({"symptoms": ["cramps", "gout"]}, "symptoms", "unknown value 'gout'"),
        ({"warmup": ["none"]}, "warmup", "single choice value"),
        ({"warmup": 3}, "warmup", "single choice value"),
        ({"warmup": None}, "warmup", "single choice value"),
        ({"symptoms": "cramps"}, "symptoms", "list of choice values"),
        ({"symptoms": ["cramps", 7]}, "symptoms", "list of choice values"),
        ({"symptoms": {"cramps": True}}, "symptoms", "list of choice values"),
        ({"symptoms": []}, "symptoms", "at least one value"),
        ({"symptoms": ["none", "cramps"]}, "symptoms", "'none' cannot be combined"),
        ({1: "none"}, "1", "keys must be strings"),
        ({("warmup",): "none"}, "('warmup',)", "keys must be strings"),
    ],
)
def test_bad_answers_are_rejected_with_an_error_naming_the_key(
    answers: object, key: str, words: str
) -> None:
    with pytest.raises(InvalidAnswers) as error:
        assess(answers, TINY)
    assert error.value.errors.keys() == {key}
    assert words in error.value.errors[key]
    assert key in str(error.value)


def test_every_bad_key_is_reported_at_once() -> None:
    with pytest.raises(InvalidAnswers) as error:
        assess({"warmup": "x", "colour": "red", "timing": "early"}, TINY)
    assert set(error.value.errors) == {"warmup", "colour"}


def test_output_does_not_depend_on_the_order_of_the_answers() -> None:
    answers: dict[str, Any] = {
        "symptoms": ["tingling", "cramps"],
        "warmup": "none",
        "timing": "same_point",
    }
    first = assess(answers, TINY)
    assert assess(dict(reversed(answers.items())), TINY) == first
    assert assess({**answers, "symptoms": ["cramps", "tingling"]}, TINY) == first
    # Warnings come in question order (timing before symptoms), not in the order given.
    assert [w.value for w in first.warnings] == ["same_point", "tingling"]


def test_json_form_follows_the_contract() -> None:
    result = assess({"timing": "same_point", "warmup": "none"}, TINY).to_dict()
    assert json.loads(json.dumps(result)) == result
    assert result == {
        "triage": Triage.SOON,
        "warnings": [
            {
                "question": "timing",
                "value": "same_point",
                "level": Triage.SOON,
                "message": "soon advice for same_point",
            }
        ],
        "causes": [
            {
                "slug": slug,
                "name": slug.title(),
                "score": 5.0,
                "band": band,
                "because": [{"question": question, "value": value, "text": f"you said {value}"}],
                "remedies": [{"title": f"Fix {slug}", "summary": "", "kind": "now"}],
            }
            for slug, band, question, value in [
                ("warmup", "possible", "warmup", "none"),
                ("artery", "possible", "timing", "same_point"),
            ]
        ],
    }


# -- rules over several answers, evidence that counts -------------------------------------


def cond(question: str, *values: str, at_least: int = 1) -> ConditionInfo:
    return ConditionInfo(question, frozenset(values), at_least)


def rule(
    slug: str,
    *groups: ConditionInfo | tuple[ConditionInfo, ...],
    level: str = Triage.SOON,
    serious: bool = False,
    evidence: tuple[tuple[str, float], ...] = (),
) -> RuleInfo:
    """A rule; each argument is a group: one condition, or a tuple of alternatives."""
    return RuleInfo(
        slug,
        slug.title(),
        tuple(g if isinstance(g, tuple) else (g,) for g in groups),
        level,
        f"{level} advice for {slug}" if level else "",
        serious,
        evidence,
    )


def with_rules(*rules: RuleInfo, base: Knowledge = TINY) -> Knowledge:
    return replace(base, rules=rules)


CLOT = rule(
    "clot",
    cond("timing", "late", "same_point"),
    (cond("symptoms", "cramps", "tingling", at_least=2), cond("warmup", "none")),
    level=Triage.URGENT,
)


def rule_warnings(result: Result) -> list[str]:
    return [w.rule for w in result.warnings if w.rule]


def test_a_rule_fires_when_every_group_holds_and_says_which_answers_fired_it() -> None:
    result = assess({"warmup": "none", "timing": "late"}, with_rules(CLOT))
    assert result.triage == Triage.URGENT
    assert result.causes == ()
    [warning] = result.warnings
    assert (warning.rule, warning.level, warning.message) == (
        "clot",
        "urgent",
        "urgent advice for clot",
    )
    # In question order (timing, then warmup), whatever order the answers came in.
    assert [(r.question, r.value, r.text) for r in warning.because] == [
        ("timing", "late", "you said late"),
        ("warmup", "none", "you said none"),
    ]


@pytest.mark.parametrize(
    "answers",
    [
        {"timing": "late"},  # the second group has no answer
        {"warmup": "none"},  # the first group has no answer
        {"timing": "early", "warmup": "none"},  # an answer, but not one of the values
        {"timing": "late", "warmup": "good"},
        {"timing": "late", "symptoms": ["cramps"]},  # one of the two needed
        {"timing": "late", "symptoms": ["cramps", "twinge"]},
    ],
)
def test_a_rule_with_a_group_that_does_not_hold_does_not_fire(answers: dict[str, Any]) -> None:
    result = assess(answers, with_rules(CLOT))
    assert rule_warnings(result) == []
    assert result == assess(answers, TINY)


@pytest.mark.parametrize(
    "answers",
    [
        {"timing": "same_point", "warmup": "none"},  # the second alternative of group two
        {"timing": "late", "symptoms": ["cramps", "tingling"]},  # the first, two of two
        {"timing": "late", "symptoms": ["tingling", "cramps", "twinge"], "warmup": "none"},
    ],
)
def test_any_alternative_of_a_group_is_enough(answers: dict[str, Any]) -> None:
    assert rule_warnings(assess(answers, with_rules(CLOT))) == ["clot"]


def test_at_least_counts_the_ticked_values_among_the_listed_ones() -> None:
    two_of = with_rules(rule("two", cond("symptoms", "cramps", "tingling", "twinge", at_least=2)))
    assert rule_warnings(assess({"symptoms": ["cramps"]}, two_of)) == []
    assert rule_warnings(assess({"symptoms": ["cramps", "cramps"]}, two_of)) == []
    result = assess({"symptoms": ["twinge", "cramps"]}, two_of)
    assert rule_warnings(result) == ["two"]
    assert [r.value for r in result.warnings[-1].because] == ["cramps", "twinge"]


def test_at_least_above_one_never_holds_on_a_pick_one_question() -> None:
    knowledge = with_rules(rule("odd", cond("warmup", "none", "good", at_least=2)))
    assert rule_warnings(assess({"warmup": "none"}, knowledge)) == []


def test_a_skipped_question_never_satisfies_a_condition() -> None:
    # Every value of the question is listed: still, no answer is no answer.
    every = with_rules(rule("any-warmup", cond("warmup", "none", "good")))
    assert rule_warnings(assess({}, every)) == []
    assert rule_warnings(assess({"timing": "late"}, every)) == []
    assert rule_warnings(assess({"warmup": "good"}, every)) == ["any-warmup"]


def test_an_inactive_question_never_satisfies_a_condition() -> None:
    # The snapshot builder skips such a rule; the engine is safe even if it were not.
    knowledge = with_rules(rule("retired", cond("retired", "yes")))
    assert rule_warnings(assess({"retired": "yes"}, knowledge)) == []


def test_a_rule_never_lowers_the_triage() -> None:
    knowledge = with_rules(rule("mild", cond("signs", "chest"), cond("warmup", "none")))
    result = assess({"signs": ["chest"], "warmup": "none"}, knowledge)
    assert result.triage == Triage.EMERGENCY
    # Only what needs help now is kept: the soon rule is not shown beside the emergency.
    assert [(w.value, w.rule) for w in result.warnings] == [("chest", "")]


def test_a_rule_raises_the_triage_above_every_single_answer() -> None:
    answers = {"timing": "same_point", "warmup": "none"}
    assert assess(answers, TINY).triage == Triage.SOON
    result = assess(answers, with_rules(CLOT))
    assert result.triage == Triage.URGENT
    assert result.stops
    assert result.causes == ()
    # Warnings at the stopping levels only, the rule's among them.
    assert [w.rule for w in result.warnings] == ["clot"]


def test_an_emergency_rule_stops_and_lists_the_answer_warnings_that_stop_too() -> None:
    knowledge = with_rules(rule("bad", cond("warmup", "none"), level=Triage.EMERGENCY))
    result = assess({"signs": ["clot"], "warmup": "none", "timing": "same_point"}, knowledge)
    assert result.triage == Triage.EMERGENCY
    assert [(w.level, w.rule or w.value) for w in result.warnings] == [
        (Triage.EMERGENCY, "bad"),
        (Triage.URGENT, "clot"),
    ]


SERIOUS = rule("heart", cond("timing", "early"), cond("warmup", "none"), serious=True)


def test_a_serious_soon_rule_leads_and_no_cause_is_likely() -> None:
    answers = {"timing": "early", "warmup": "none", "symptoms": ["tingling"]}
    plain = assess(answers, TINY)
    assert plain.causes[0].band == LIKELY
    assert not plain.serious
    result = assess(answers, with_rules(SERIOUS))
    assert result.triage == Triage.SOON
    assert result.serious
    # The serious rule comes first at its level, before the answer's own soon warning.
    assert [(w.rule, w.value, w.serious) for w in result.warnings] == [
        ("heart", "", True),
        ("", "tingling", False),
    ]
    # The same causes and scores, none of them "likely".
    assert [(c.slug, c.score) for c in result.causes] == [(c.slug, c.score) for c in plain.causes]
    assert {c.band for c in result.causes} == {POSSIBLE}


def test_a_rule_that_is_not_serious_keeps_the_bands() -> None:
    answers = {"timing": "early", "warmup": "none"}
    result = assess(answers, with_rules(replace(SERIOUS, serious=False)))
    assert result.triage == Triage.SOON
    assert not result.serious
    assert result.causes[0].band == LIKELY


def test_a_serious_rule_under_an_urgent_answer_is_not_shown() -> None:
    result = assess({"signs": ["clot"], "timing": "early", "warmup": "none"}, with_rules(SERIOUS))
    assert result.triage == Triage.URGENT
    assert not result.serious
    assert [w.value for w in result.warnings] == ["clot"]


def test_a_rule_without_a_level_only_adds_evidence() -> None:
    knowledge = with_rules(
        rule(
            "combo",
            cond("timing", "late"),
            cond("warmup", "none"),
            level="",
            evidence=(("load", 4.0),),
        )
    )
    result = assess({"timing": "late", "warmup": "none"}, knowledge)
    assert result.triage == Triage.SELF_CARE
    assert result.warnings == ()
    assert {c.slug: c.score for c in result.causes}["load"] == 6.0


# "feel" gives only general evidence: it adds to a listed cause, never lists one.
GENERAL = replace(
    TINY,
    questions={
        **TINY.questions,
        "feel": q(
            "feel",
            SINGLE,
            "pattern",
            c("heavy", EvidenceInfo("fuel", 3.0, False), EvidenceInfo("nerve", 4.0, False)),
            c("sore", EvidenceInfo("form", 2.0, False)),
        ),
    },
)


def test_general_answers_never_list_a_cause_alone() -> None:
    assert assess({"feel": "heavy"}, GENERAL).causes == ()
    assert assess({"feel": "sore", "warmup": "none"}, GENERAL).causes[0].slug == "warmup"
    assert "form" not in slugs(assess({"feel": "sore", "warmup": "none"}, GENERAL))


def test_general_answers_add_to_a_cause_a_specific_answer_lists() -> None:
    result = assess({"feel": "heavy", "symptoms": ["cramps"]}, GENERAL)
    # fuel: 2 (cramps, specific) + 3 (heavy, general); nerve has only the general answer.
    assert [(x.slug, x.score) for x in result.causes] == [("fuel", 5.0), ("hydration", 2.0)]
    assert [r.value for r in result.causes[0].because] == ["cramps", "heavy"]


def test_a_fired_rules_evidence_counts_as_specific() -> None:
    knowledge = with_rules(
        rule(
            "nerve-combo",
            cond("feel", "heavy"),
            cond("warmup", "good"),
            level="",
            evidence=(("nerve", 2.0),),
        ),
        base=GENERAL,
    )
    result = assess({"feel": "heavy", "warmup": "good"}, knowledge)
    assert [(x.slug, x.score) for x in result.causes] == [("nerve", 6.0)]
    # The reasons are the answers that fired the rule, in question order.
    assert [(r.question, r.value) for r in result.causes[0].because] == [
        ("warmup", "good"),
        ("feel", "heavy"),
    ]
    assert assess({"feel": "heavy"}, knowledge).causes == ()


def test_rule_evidence_for_a_cause_missing_from_the_snapshot_is_ignored() -> None:
    knowledge = with_rules(
        rule("ghostly", cond("warmup", "good"), level="", evidence=(("unpublished-cause", 9.0),))
    )
    assert assess({"warmup": "good"}, knowledge).causes == ()


def test_both_kinds_of_warning_survive_the_json_round_trip() -> None:
    answers = {"timing": "early", "warmup": "none", "symptoms": ["tingling"]}
    result = assess(answers, with_rules(SERIOUS))
    data = result.to_dict()
    assert json.loads(json.dumps(data)) == data
    assert data["warnings"] == [
        {
            "rule": "heart",
            "level": "soon",
            "message": "soon advice for heart",
            "serious": True,
            "because": [
                {"question": "timing", "value": "early", "text": "you said early"},
                {"question": "warmup", "value": "none", "text": "you said none"},
            ],
        },
        {
            "question": "symptoms",
            "value": "tingling",
            "level": "soon",
            "message": "soon advice for tingling",
        },
    ]
    again = Result.from_dict(data)
    assert again == result
    assert again.serious


@pytest.mark.parametrize(
    ("warning", "words"),
    [
        ({"rule": "x", "level": "soon", "message": "m", "serious": "yes"}, "serious"),
        ({"rule": 3, "level": "soon", "message": "m"}, "rule is not text"),
        ({"rule": "x", "level": "soon", "message": "m", "because": "timing"}, "because"),
        ({"rule": "x", "level": "later", "message": "m"}, "later"),
        ({"rule": "x", "level": "soon"}, "message"),
    ],
)
def test_a_damaged_rule_warning_is_a_clear_error(warning: dict[str, Any], words: str) -> None:
    with pytest.raises(ValueError, match=words):
        Result.from_dict({"triage": "soon", "warnings": [warning], "causes": []})


REQUIRED = replace(
    TINY,
    questions={
        key: replace(question, required=key in {"signs", "warmup"})
        for key, question in TINY.questions.items()
    },
)


def test_a_required_question_left_out_is_an_error_naming_it() -> None:
    with pytest.raises(InvalidAnswers) as error:
        assess({"timing": "early"}, REQUIRED)
    assert set(error.value.errors) == {"signs", "warmup"}
    assert "required" in error.value.errors["signs"]
    assert assess({"signs": ["none"], "warmup": "none"}, REQUIRED).causes


def test_answers_so_far_need_only_the_warning_signs() -> None:
    # The wizard checks after each page whether to stop; later pages are still to come.
    assert assess({"signs": ["none"]}, REQUIRED, complete=False).triage == Triage.SELF_CARE
    with pytest.raises(InvalidAnswers) as error:
        assess({"timing": "early"}, REQUIRED, complete=False)
    assert set(error.value.errors) == {"signs"}


# -- questions that could still raise the triage ----------------------------------------

# An emergency when the urgent sign comes with no warm-up (warmup, a later question).
TENSE = rule("tense", cond("signs", "clot"), cond("warmup", "none"), level=Triage.EMERGENCY)


def test_a_rule_above_the_triage_asks_its_unanswered_questions() -> None:
    knowledge = with_rules(TENSE)
    assert assess({"signs": ["clot"]}, knowledge, complete=False).triage == Triage.URGENT
    assert escalation_questions({"signs": ["clot"]}, knowledge) == ("warmup",)


@pytest.mark.parametrize(
    ("answers", "why"),
    [
        ({"signs": ["clot"], "warmup": "good"}, "answered: the rule can no longer fire"),
        ({"signs": ["clot"], "warmup": "none"}, "it fired: nothing is more urgent"),
        ({"signs": ["chest", "clot"]}, "already an emergency"),
        (
            {"signs": ["none"], "timing": "early", "symptoms": ["none"]},
            "its answered group does not hold",
        ),
    ],
)
def test_nothing_is_asked_when_no_rule_could_still_raise_the_triage(
    answers: dict[str, Any], why: str
) -> None:
    assert escalation_questions(answers, with_rules(TENSE)) == (), why


def test_a_rule_at_or_below_the_triage_asks_nothing() -> None:
    urgent = rule("same", cond("signs", "clot"), cond("warmup", "none"), level=Triage.URGENT)
    soon = rule("lower", cond("signs", "clot"), cond("timing", "late"))
    no_level = rule("evidence-only", cond("signs", "clot"), cond("timing", "late"), level="")
    knowledge = with_rules(urgent, soon, no_level)
    assert escalation_questions({"signs": ["clot"]}, knowledge) == ()


def test_only_the_groups_that_do_not_hold_yet_are_asked() -> None:
    # CLOT (urgent): timing late or at the same point, then two symptoms or no warm-up.
    answers: dict[str, Any] = {"signs": ["none"]}
    assert escalation_questions(answers, with_rules(CLOT)) == ("timing", "warmup", "symptoms")
    answers["timing"] = "late"
    assert escalation_questions(answers, with_rules(CLOT)) == ("warmup", "symptoms")
    # One alternative answered and not holding: the other may still hold.
    answers["warmup"] = "good"
    assert escalation_questions(answers, with_rules(CLOT)) == ("symptoms",)
    answers["symptoms"] = ["cramps"]
    assert escalation_questions(answers, with_rules(CLOT)) == ()


def test_the_questions_come_once_in_wizard_order() -> None:
    # Rule order names symptoms first; the answer follows the questions' order.
    other = rule(
        "other",
        cond("signs", "clot"),
        cond("symptoms", "tingling"),
        cond("warmup", "none"),
        level=Triage.EMERGENCY,
    )
    knowledge = with_rules(other, TENSE)
    assert escalation_questions({"signs": ["clot"]}, knowledge) == ("warmup", "symptoms")


def test_an_inactive_question_is_never_asked() -> None:
    retired = rule("retired", cond("signs", "clot"), cond("retired", "yes"), level=Triage.EMERGENCY)
    either = rule(
        "either",
        cond("signs", "clot"),
        (cond("retired", "yes"), cond("timing", "late")),
        level=Triage.EMERGENCY,
    )
    assert escalation_questions({"signs": ["clot"]}, with_rules(retired)) == ()
    assert escalation_questions({"signs": ["clot"]}, with_rules(either)) == ("timing",)


def test_a_later_single_answer_above_the_triage_is_asked_too() -> None:
    """An editor may put a help-now answer on a later step: it is looked ahead as a rule is."""
    assert escalation_questions({"signs": ["none"]}, TINY) == ("timing", "symptoms")
    assert escalation_questions({"signs": ["none"], "timing": "early"}, TINY) == ("symptoms",)
    assert escalation_questions({"signs": ["clot"]}, TINY) == ()
    emergency_later = replace(
        TINY,
        questions={
            **TINY.questions,
            "timing": q(
                "timing", SINGLE, "pattern", c("early"), c("cold_leg", triage=Triage.EMERGENCY)
            ),
        },
    )
    assert escalation_questions({"signs": ["clot"]}, emergency_later) == ("timing",)


def test_bad_answers_are_an_error_here_too() -> None:
    with pytest.raises(InvalidAnswers):
        escalation_questions({"signs": ["clot"], "warmup": "sometimes"}, with_rules(TENSE))


def test_the_snapshot_builder_skips_rules_that_can_never_fire_and_keeps_the_rest() -> None:
    """What no runner can answer (an unknown or inactive question, a deleted answer) is left
    out of a rule; the rule is skipped only when a whole group is left with nothing."""

    def draft(
        slug: str, *conditions: tuple[int, str, tuple[str, ...], int], active: bool = True
    ) -> RuleDraft:
        return RuleDraft(
            slug, slug, "soon", "m", False, active, conditions, (("warmup", 1.0), ("gone", 2.0))
        )

    drafts = [
        draft(
            "ok",
            (1, "timing", ("late",), 1),
            (2, "warmup", ("none",), 1),
            (2, "symptoms", ("cramps",), 1),
        ),
        draft("unknown-question", (1, "colour", ("red",), 1)),
        draft("inactive-question", (1, "retired", ("yes",), 1)),
        draft("deleted-answer", (1, "timing", ("late", "midnight"), 1)),
        draft("all-deleted", (1, "timing", ("midnight",), 1)),
        draft("too-few-left", (1, "symptoms", ("cramps", "gone"), 2)),
        draft("retired-alternative", (1, "timing", ("late",), 1), (1, "retired", ("yes",), 1)),
        draft("no-conditions"),
        draft("inactive-rule", (1, "timing", ("late",), 1), active=False),
    ]
    built, deleted_answer, retired_alternative = build_rules(drafts, TINY.questions, TINY.causes)
    assert deleted_answer.groups == ((ConditionInfo("timing", frozenset({"late"})),),)
    assert retired_alternative.groups == ((ConditionInfo("timing", frozenset({"late"})),),)
    assert built == RuleInfo(
        "ok",
        "ok",
        (
            (ConditionInfo("timing", frozenset({"late"})),),
            (
                ConditionInfo("warmup", frozenset({"none"})),
                ConditionInfo("symptoms", frozenset({"cramps"})),
            ),
        ),
        "soon",
        "m",
        False,
        (("warmup", 1.0),),
    )
    assert rule_problem(drafts[3], TINY.questions) == (
        "its condition on 'timing' names the deleted or unknown answer 'midnight'"
    )


def test_retiring_one_question_of_a_clot_rule_keeps_the_rule_working() -> None:
    """The seed's clot rules accept a clot risk from `risk_factors` or from `injury`:
    retiring `injury` must not switch them off."""
    seed = seed_knowledge()
    answers = {
        "warning_signs": ["none"],
        "legs": "one",
        "risk_factors": ["hormonal_contraception_or_hrt"],
        "relief": "legs_raised",
    }
    retired = replace(
        seed,
        questions={
            **seed.questions,
            "injury": replace(seed.questions["injury"], active=False),
        },
    )
    retired = replace(
        retired, rules=build_rules(seed_rule_drafts(), retired.questions, seed.causes)
    )

    assert assess(answers, seed).triage == Triage.URGENT
    assert assess(answers, retired).triage == Triage.URGENT


# -- the seed knowledge base --------------------------------------------------------------


def _seed_document(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((SEED_DIR / name).read_text(encoding="utf-8"))
    return data


def seed_rule_drafts() -> list[RuleDraft]:
    """The seed's rules as stored, in the editors' order."""
    items = list(enumerate(_seed_document("rules.json")["rules"]))
    return [
        RuleDraft(
            item["slug"],
            item["name"],
            item.get("level") or "",
            item.get("message") or "",
            item.get("serious", False),
            item.get("active", True),
            tuple(
                (
                    group,
                    condition["question"],
                    tuple(condition["values"]),
                    condition.get("at_least", 1),
                )
                for group, condition, _ in rule_conditions(item)
            ),
            tuple((e["cause"], float(e["weight"])) for e in item.get("evidence", [])),
        )
        for i, item in sorted(
            items, key=lambda x: (x[1].get("order", (x[0] + 1) * 10), x[1]["slug"])
        )
    ]


def seed_knowledge() -> Knowledge:
    """The seed files as the engine sees them once loaded (see legs.knowledge.load_knowledge)."""
    causes = {}
    for i, item in enumerate(_seed_document("causes.json")["causes"]):
        if not item.get("published", True):
            continue
        remedies = tuple(
            RemedyInfo(r["title"], r.get("summary", ""), r["kind"]) for r in item["remedies"]
        )
        order = item.get("order", (i + 1) * 10)
        causes[item["slug"]] = CauseInfo(
            item["slug"], item["name"], item["summary"], order, remedies
        )
    questions: dict[str, QuestionInfo] = {}
    steps = []
    seed_steps = _seed_document("questions.json")["steps"]
    for step in sorted(seed_steps, key=lambda s: (s["key"] != SAFETY_STEP, s["order"])):
        keys = []
        for item in sorted(step["questions"], key=lambda x: x["order"]):
            choices = {
                ch["value"]: ChoiceInfo(
                    ch["value"],
                    ch["label"],
                    ch.get("because", ""),
                    ch.get("triage", ""),
                    ch.get("triage_message", ""),
                    tuple(
                        sorted(
                            EvidenceInfo(e["cause"], float(e["weight"]), e.get("specific", True))
                            for e in ch.get("evidence", [])
                            if e["cause"] in causes
                        )
                    ),
                )
                for ch in item["choices"]
            }
            active = item.get("active", True)
            questions[item["key"]] = QuestionInfo(
                item["key"],
                item["text"],
                item.get("kind", SINGLE),
                step["key"],
                choices,
                active,
                item.get("help_text", ""),
                item.get("required", False),
            )
            if active and choices:
                keys.append(item["key"])
        if keys:
            steps.append(StepInfo(step["key"], step["title"], step.get("intro", ""), tuple(keys)))
    return Knowledge(
        questions=questions,
        causes=causes,
        steps=tuple(steps),
        rules=build_rules(seed_rule_drafts(), questions, causes),
    )


SEED = seed_knowledge()


def with_signs(answers: dict[str, Any]) -> dict[str, Any]:
    """Answers as the wizard gives them: the warning signs are always asked first."""
    return {"warning_signs": ["none"], **answers}


SEED_TRIGGERS = [
    pytest.param(question.key, choice.value, choice.triage, id=f"{question.key}={choice.value}")
    for question in SEED.questions.values()
    for choice in question.choices.values()
    if choice.triage
]


CONTRACT_TRIGGERS = {
    **dict.fromkeys(
        [
            ("warning_signs", "chest_symptoms"),
            ("warning_signs", "sudden_cold_pale_leg"),
            ("warning_signs", "dark_urine"),
            ("warning_signs", "saddle_numbness"),
            ("warning_signs", "confusion_after_overdrinking"),
            ("warning_signs", "stroke_signs"),
            ("warning_signs", "tense_leg_after_injury"),
            ("warning_signs", "heat_illness"),
        ],
        Triage.EMERGENCY,
    ),
    **dict.fromkeys(
        [
            ("warning_signs", "one_leg_swollen_painful"),
            ("warning_signs", "rest_pain_or_sores"),
            ("warning_signs", "foot_drop_or_new_weakness"),
            ("warning_signs", "near_fainting_on_runs"),
            ("warning_signs", "red_hot_skin_with_fever"),
            ("warning_signs", "pregnancy_swelling_headache"),
        ],
        Triage.URGENT,
    ),
    **dict.fromkeys(
        [
            ("timing", "same_point_every_run"),
            ("relief", "needs_sitting_or_bending_forward"),
            ("symptoms", "numbness_tingling"),
            ("symptoms", "breathless_on_easy_runs"),
            ("symptoms", "ankle_swelling_evening"),
            ("symptoms", "cold_intolerance_weight_gain"),
            ("symptoms", "pale_or_unusually_tired"),
            ("symptoms", "localised_bone_pain"),
            ("menstruation", "missed_or_irregular"),
            ("weight_change", "lost_unintentionally"),
            ("medications", "statin"),
        ],
        Triage.SOON,
    ),
}


def test_the_seed_has_exactly_the_contracts_warning_signs() -> None:
    assert {(k, v): level for k, v, level in (p.values for p in SEED_TRIGGERS)} == CONTRACT_TRIGGERS


def test_the_seed_asks_about_an_injury_after_a_swollen_leg() -> None:
    swollen = {"warning_signs": ["one_leg_swollen_painful"]}
    assert escalation_questions(swollen, SEED) == ("injury",)
    assert assess({**swollen, "injury": "fall_or_knock"}, SEED).triage == Triage.EMERGENCY
    assert escalation_questions({**swollen, "injury": "none"}, SEED) == ()
    assert escalation_questions({**swollen, "injury": "fracture_or_cast"}, SEED) == ()


@pytest.mark.parametrize(
    ("key", "value", "level"),
    [p for p in SEED_TRIGGERS if p.values[2] in (Triage.EMERGENCY, Triage.URGENT)],
)
def test_no_other_seed_help_now_sign_alone_has_more_to_ask(
    key: str, value: str, level: str
) -> None:
    answers = with_signs({key: [value] if SEED.questions[key].kind == MULTI else value})
    expected = ("injury",) if value == "one_leg_swollen_painful" else ()
    assert escalation_questions(answers, SEED) == expected


@pytest.mark.parametrize(("key", "value", "level"), SEED_TRIGGERS)
def test_each_seed_warning_sign_alone_gives_its_level(key: str, value: str, level: str) -> None:
    question = SEED.questions[key]
    answer: str | list[str] = [value] if question.kind == MULTI else value
    result = assess(with_signs({key: answer}), SEED)
    assert result.triage == level
    assert [(w.question, w.value, w.level) for w in result.warnings] == [(key, value, level)]
    assert result.warnings[0].message == question.choices[value].triage_message
    if level in {Triage.EMERGENCY, Triage.URGENT}:
        assert result.causes == ()


@st.composite
def valid_answers(draw: st.DrawFn, knowledge: Knowledge = SEED) -> dict[str, Any]:
    answers: dict[str, Any] = {}
    for key, question in knowledge.questions.items():
        if not question.active or (not question.required and not draw(st.booleans())):
            continue
        values = list(question.choices)
        if question.kind == MULTI:
            others = [v for v in values if v != NONE_VALUE]
            if NONE_VALUE in values and draw(st.booleans()):
                answers[key] = [NONE_VALUE]
            else:
                answers[key] = draw(st.lists(st.sampled_from(others), min_size=1, unique=True))
        else:
            answers[key] = draw(st.sampled_from(values))
    return answers


def rule_fires(rule: RuleInfo, answers: dict[str, Any]) -> bool:
    """The rule's meaning, written out independently of the engine: every group has a
    condition with at least `at_least` of its values among the answers."""

    def holds(condition: ConditionInfo) -> bool:
        given = answers.get(condition.question)
        picked = set() if given is None else {given} if isinstance(given, str) else set(given)
        return len(picked & condition.values) >= condition.at_least

    return all(any(holds(condition) for condition in group) for group in rule.groups)


def triggered_levels(answers: dict[str, Any], knowledge: Knowledge = SEED) -> set[str]:
    levels = {rule.level for rule in knowledge.rules if rule.level and rule_fires(rule, answers)}
    for key, value in answers.items():
        for v in [value] if isinstance(value, str) else value:
            if knowledge.questions[key].choices[v].triage:
                levels.add(knowledge.questions[key].choices[v].triage)
    return levels


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(valid_answers())
def test_random_valid_answers_are_triaged_safely(answers: dict[str, Any]) -> None:
    result = assess(answers, SEED)
    levels = triggered_levels(answers)
    expected = max(levels, key=lambda level: Triage(level).rank) if levels else Triage.SELF_CARE
    # Never under-triaged, never escalated without a warning sign or a rule.
    assert result.triage == expected
    if Triage.EMERGENCY in levels:
        assert result.triage == Triage.EMERGENCY
    if Triage.SOON in levels:
        assert result.triage != Triage.SELF_CARE
    if result.triage == Triage.SELF_CARE:
        assert not levels
        assert result.warnings == ()
    if result.stops:
        assert result.causes == ()
        assert {w.level for w in result.warnings} <= {Triage.EMERGENCY, Triage.URGENT}
    else:
        assert {w.level for w in result.warnings} == levels


@settings(max_examples=300, deadline=None)
@given(valid_answers())
def test_random_valid_answers_give_a_well_formed_ranking(answers: dict[str, Any]) -> None:
    result = assess(answers, SEED)
    scores = [x.score for x in result.causes]
    assert scores == sorted(scores, reverse=True)
    assert len(set(slugs(result))) == len(scores)
    for ranked in result.causes:
        assert ranked.score >= MIN_LISTED_SCORE
        assert ranked.band in (LIKELY, POSSIBLE)
        assert ranked.because
        for reason in ranked.because:
            given_value = answers[reason.question]
            assert reason.value == given_value or reason.value in given_value
    # Same answers in another order, same result.
    assert assess(dict(reversed(list(answers.items()))), SEED) == result
    assert json.loads(json.dumps(result.to_dict())) == result.to_dict()


def _corrupt(draw: st.DrawFn, answers: dict[str, Any]) -> tuple[dict[str, Any], str]:
    keys = [k for k, question in SEED.questions.items() if question.active]
    multi_keys = [k for k in keys if SEED.questions[k].kind == MULTI]
    single_keys = [k for k in keys if SEED.questions[k].kind == SINGLE]
    how = draw(
        st.sampled_from(
            ["unknown_key", "unknown_value", "wrong_type", "empty_list", "none_mixed", "bad_item"]
        )
    )
    junk = draw(st.text(min_size=1, max_size=12).filter(lambda s: s not in SEED.questions))
    if how == "unknown_key":
        return {**answers, junk: "none"}, junk
    if how == "unknown_value":
        key = draw(st.sampled_from(single_keys))
        value = draw(st.text(max_size=12).filter(lambda v: v not in SEED.questions[key].choices))
        return {**answers, key: value}, key
    if how == "wrong_type":
        key = draw(st.sampled_from(keys))
        wrong: Any = draw(
            st.one_of(
                st.none(),
                st.integers(),
                st.floats(),
                st.booleans(),
                st.dictionaries(st.text(), st.text()),
            )
            if SEED.questions[key].kind == MULTI
            else st.one_of(st.none(), st.integers(), st.booleans(), st.lists(st.text(), max_size=2))
        )
        return {**answers, key: wrong}, key
    key = draw(st.sampled_from(multi_keys))
    if how == "empty_list":
        return {**answers, key: []}, key
    if how == "none_mixed":
        other = draw(st.sampled_from([v for v in SEED.questions[key].choices if v != NONE_VALUE]))
        return {**answers, key: draw(st.permutations([NONE_VALUE, other]))}, key
    bad_item: Any = draw(st.one_of(st.integers(), st.none(), st.just(junk)))
    return {**answers, key: [*SEED.questions[key].choices][:1] + [bad_item]}, key


@st.composite
def invalid_answers(draw: st.DrawFn) -> tuple[dict[str, Any], str]:
    return _corrupt(draw, draw(valid_answers()))


@settings(max_examples=300, deadline=None)
@given(invalid_answers())
def test_random_invalid_answers_are_rejected_naming_the_bad_key(
    case: tuple[dict[str, Any], str],
) -> None:
    answers, key = case
    with pytest.raises(InvalidAnswers) as error:
        assess(answers, SEED)
    assert key in error.value.errors


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=10,
)


@settings(max_examples=300, deadline=None)
@given(
    st.one_of(
        JSON,
        st.dictionaries(st.sampled_from(list(SEED.questions)), JSON, max_size=5),
    )
)
def test_arbitrary_json_gives_a_result_or_a_clear_error_and_nothing_else(raw: object) -> None:
    try:
        result = assess(raw, SEED)
    except InvalidAnswers as error:
        assert error.errors
        assert all(isinstance(k, str) and v for k, v in error.errors.items())
    else:
        assert result.triage in set(Triage)


# -- the snapshot: loading, caching, invalidation -------------------------------------------


@pytest.mark.usefixtures("seeded")
def test_the_database_snapshot_matches_the_seed_files() -> None:
    from legs.knowledge.published import load_knowledge

    assert load_knowledge() == SEED


@pytest.mark.usefixtures("seeded")
def test_the_snapshot_loads_in_seven_queries(django_assert_num_queries: Any) -> None:
    from legs.knowledge.published import load_knowledge

    # causes, remedies, evidence, choices, questions with their steps, rule evidence,
    # rule conditions with their rules and questions
    with django_assert_num_queries(7):
        knowledge = load_knowledge()
    assert len(knowledge.steps) == 6


@pytest.mark.usefixtures("seeded")
def test_the_snapshot_is_cached_until_an_editor_changes_something(
    django_assert_num_queries: Any,
) -> None:
    from legs.knowledge.models import KnowledgeRevision
    from legs.knowledge.published import clear_local_cache, get_knowledge

    # revision, then the seven loading queries
    with django_assert_num_queries(8):
        first = get_knowledge()
    # every later call reads the revision (one query) and keeps the snapshot
    with django_assert_num_queries(1):
        assert get_knowledge() is first
    # another process: revision, then the seven loading queries
    clear_local_cache()
    with django_assert_num_queries(8):
        assert get_knowledge() == first
    # an editor's change: revision, then the seven loading queries for the new one
    KnowledgeRevision.bump()
    with django_assert_num_queries(8):
        edited = get_knowledge()
    assert edited.version == first.version + 1


@pytest.mark.usefixtures("seeded")
def test_saving_a_choice_gives_new_results_at_once() -> None:
    from legs.knowledge.models import Choice
    from legs.knowledge.published import get_knowledge

    assert assess(with_signs({"legs": "one"}), get_knowledge()).triage == Triage.SELF_CARE
    choice = Choice.objects.get(question__key="legs", value="one")
    choice.triage = Triage.SOON
    choice.triage_message = "See a doctor about one heavy leg."
    choice.save()
    result = assess(with_signs({"legs": "one"}), get_knowledge())
    assert result.triage == Triage.SOON
    assert result.warnings[0].message == "See a doctor about one heavy leg."


@pytest.mark.usefixtures("seeded")
def test_saving_evidence_gives_new_results_at_once() -> None:
    from legs.knowledge.models import Evidence
    from legs.knowledge.published import get_knowledge

    answers = with_signs({"warmup": "none"})
    assert assess(answers, get_knowledge()).causes[0].score == 4.0
    evidence = Evidence.objects.get(choice__question__key="warmup", choice__value="none")
    evidence.weight = 7
    evidence.save()
    assert assess(answers, get_knowledge()).causes[0].score == 7.0
    evidence.delete()
    assert assess(answers, get_knowledge()).causes == ()


@pytest.mark.usefixtures("seeded")
def test_unpublished_causes_are_not_scored() -> None:
    from legs.knowledge.models import Cause
    from legs.knowledge.published import get_knowledge

    answers = with_signs({"warmup": "none", "timing": "early_then_eases"})
    assert slugs(assess(answers, get_knowledge())) == ["insufficient-warmup"]
    Cause.objects.filter(slug="insufficient-warmup").update(published=False)
    knowledge = get_knowledge()
    assert "insufficient-warmup" not in knowledge.causes
    assert assess(answers, knowledge).causes == ()


@pytest.mark.usefixtures("seeded")
def test_the_safety_step_stays_first_and_inactive_questions_are_not_asked() -> None:
    from legs.knowledge.models import Question, Step
    from legs.knowledge.published import get_knowledge

    Step.objects.filter(key=SAFETY_STEP).update(order=99)
    Question.objects.filter(key="legs").update(active=False)
    knowledge = get_knowledge()
    assert knowledge.steps[0].key == SAFETY_STEP
    assert [s.key for s in knowledge.steps[1:]] == [
        "pattern",
        "training",
        "fuel",
        "recovery",
        "health",
    ]
    assert "legs" not in knowledge.steps[1].questions
    assert not knowledge.questions["legs"].active


@pytest.mark.django_db
def test_an_empty_knowledge_base_gives_an_empty_snapshot() -> None:
    from legs.knowledge.published import get_knowledge

    knowledge = get_knowledge()
    assert knowledge.questions == {}
    assert knowledge.steps == ()
