"""The knowledge base: model validation, sanitised Markdown, the seed loader, export/import."""

from __future__ import annotations

import io
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import IntegrityError, transaction

from legs.knowledge.exchange import (
    SEED_DIR,
    SEED_FILES,
    KnowledgeFileError,
    export_knowledge,
    import_knowledge,
    schema_validator,
)
from legs.knowledge.markup import render_markdown
from legs.knowledge.models import (
    Cause,
    Choice,
    Evidence,
    Faq,
    KnowledgeRevision,
    Question,
    Remedy,
    Rule,
    RuleCondition,
    RuleEvidence,
    Source,
    Step,
)
from legs.knowledge.published import get_knowledge
from legs.knowledge.triage import Triage
from tests.factories import (
    make_cause,
    make_choice,
    make_evidence,
    make_question,
    make_rule,
    make_step,
)

pytestmark = pytest.mark.django_db

CONTRACT_CAUSES = {
    "insufficient-warmup", "overtraining", "underfueling", "dehydration", "poor-sleep",
    "load-spike", "easy-runs-too-hard", "worn-shoes", "running-form", "weak-muscles",
    "strength-session-fatigue", "iron-deficiency", "low-energy-availability",
    "venous-insufficiency", "peripheral-artery-disease", "compartment-syndrome",
    "nerve-compression", "hypothyroidism", "medication-side-effects",
    # Contract version 2
    "recent-illness", "bone-stress-injury",
}  # fmt: skip

CONTRACT_TRIAGE = {
    ("warning_signs", "chest_symptoms"): "emergency",
    ("warning_signs", "sudden_cold_pale_leg"): "emergency",
    ("warning_signs", "dark_urine"): "emergency",
    ("warning_signs", "saddle_numbness"): "emergency",
    ("warning_signs", "confusion_after_overdrinking"): "emergency",
    ("warning_signs", "stroke_signs"): "emergency",
    ("warning_signs", "tense_leg_after_injury"): "emergency",
    ("warning_signs", "heat_illness"): "emergency",
    ("warning_signs", "one_leg_swollen_painful"): "urgent",
    ("warning_signs", "rest_pain_or_sores"): "urgent",
    ("warning_signs", "foot_drop_or_new_weakness"): "urgent",
    ("warning_signs", "near_fainting_on_runs"): "urgent",
    ("warning_signs", "red_hot_skin_with_fever"): "urgent",
    ("warning_signs", "pregnancy_swelling_headache"): "urgent",
    ("timing", "same_point_every_run"): "soon",
    ("relief", "needs_sitting_or_bending_forward"): "soon",
    ("symptoms", "numbness_tingling"): "soon",
    ("symptoms", "breathless_on_easy_runs"): "soon",
    ("symptoms", "ankle_swelling_evening"): "soon",
    ("symptoms", "cold_intolerance_weight_gain"): "soon",
    ("symptoms", "pale_or_unusually_tired"): "soon",
    ("symptoms", "localised_bone_pain"): "soon",
    ("menstruation", "missed_or_irregular"): "soon",
    ("weight_change", "lost_unintentionally"): "soon",
    ("medications", "statin"): "soon",
}


def knowledge_counts() -> dict[str, int]:
    models = (
        Cause, Remedy, Source, Step, Question, Choice, Evidence, Rule, RuleCondition,
        RuleEvidence, Faq,
    )  # fmt: skip
    return {m.__name__: m.objects.count() for m in models}


def run(command: str, *args: str) -> str:
    out = io.StringIO()
    call_command(command, *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


# MODELS AND VALIDATION -----------------------------------------------------------------


def test_cause_slugs_are_unique() -> None:
    make_cause("overtraining")
    with pytest.raises(ValidationError) as excinfo:
        Cause(slug="overtraining", name="Again", category="training", summary="x").full_clean()
    assert "slug" in excinfo.value.message_dict
    with pytest.raises(IntegrityError), transaction.atomic():
        make_cause("overtraining")


def test_question_keys_are_unique_across_steps() -> None:
    make_question("timing", step=make_step("pattern"))
    with pytest.raises(IntegrityError), transaction.atomic():
        make_question("timing", step=make_step("training"))


def test_choice_values_are_unique_within_a_question_only() -> None:
    first, second = make_question("timing"), make_question("relief")
    make_choice(first, "not_sure")
    make_choice(second, "not_sure")  # same value, other question: fine
    with pytest.raises(ValidationError):
        Choice(question=first, value="not_sure", label="Again").full_clean()
    with pytest.raises(IntegrityError), transaction.atomic():
        make_choice(first, "not_sure")


@pytest.mark.parametrize("weight", ["-10.5", "10.1", "11", "-99"])
def test_evidence_weight_outside_minus_10_to_10_is_rejected(weight: str) -> None:
    choice = make_choice(make_question())
    evidence = Evidence(choice=choice, cause=make_cause(), weight=Decimal(weight))
    with pytest.raises(ValidationError) as excinfo:
        evidence.full_clean()
    assert "weight" in excinfo.value.message_dict


@pytest.mark.parametrize("weight", ["-10", "0", "2.5", "10"])
def test_evidence_weight_within_range_is_accepted(weight: str) -> None:
    evidence = Evidence(
        choice=make_choice(make_question()), cause=make_cause(), weight=Decimal(weight)
    )
    evidence.full_clean()


def test_database_refuses_an_out_of_range_weight_even_without_form_validation() -> None:
    choice, cause = make_choice(make_question()), make_cause()
    with pytest.raises(IntegrityError), transaction.atomic():
        Evidence.objects.create(choice=choice, cause=cause, weight=Decimal("12"))


def test_one_answer_points_to_a_cause_only_once() -> None:
    choice, cause = make_choice(make_question()), make_cause()
    make_evidence(choice, cause, 2)
    with pytest.raises(ValidationError):
        Evidence(choice=choice, cause=cause, weight=Decimal(3)).full_clean()


def test_triage_level_without_a_message_is_a_field_error() -> None:
    choice = Choice(question=make_question(), value="x", label="X", triage=Triage.URGENT)
    with pytest.raises(ValidationError) as excinfo:
        choice.full_clean()
    assert "triage_message" in excinfo.value.message_dict


def test_triage_message_without_a_level_is_a_field_error() -> None:
    choice = Choice(question=make_question(), value="x", label="X", triage_message="Go now.")
    with pytest.raises(ValidationError) as excinfo:
        choice.full_clean()
    assert "triage" in excinfo.value.message_dict


def test_database_refuses_a_triage_level_without_a_message() -> None:
    question = make_question()
    with pytest.raises(IntegrityError), transaction.atomic():
        Choice.objects.create(question=question, value="x", label="X", triage="urgent")


def test_every_knowledge_edit_starts_a_new_revision() -> None:
    numbers = [KnowledgeRevision.current()[0]]
    cause = make_cause()
    numbers.append(KnowledgeRevision.current()[0])
    Cause.objects.filter(pk=cause.pk).update(published=False)
    numbers.append(KnowledgeRevision.current()[0])
    cause.delete()
    numbers.append(KnowledgeRevision.current()[0])
    assert numbers == sorted(set(numbers)), numbers


def test_an_edit_changes_the_snapshot_the_engine_scores_with() -> None:
    make_cause("overtraining", name="Overtraining")
    assert get_knowledge().causes["overtraining"].name == "Overtraining"
    cause = Cause.objects.get(slug="overtraining")
    cause.name = "Too much training"
    cause.save()
    assert get_knowledge().causes["overtraining"].name == "Too much training"


# SANITISING ----------------------------------------------------------------------------


def test_body_markdown_is_rendered_to_html_on_save() -> None:
    cause = make_cause(body="Some **bold** text.\n\n- one\n- two")
    assert "<strong>bold</strong>" in cause.body_html
    assert "<li>one</li>" in cause.body_html


@pytest.mark.parametrize(
    "evil",
    [
        "<script>alert('x')</script>",
        '<img src="x" onerror="alert(1)">',
        '<p onclick="alert(1)">click</p>',
        "<iframe src='https://evil.example'></iframe>",
        '<svg onload="alert(1)"></svg>',
        "<style>body{display:none}</style>",
    ],
)
def test_script_and_event_handlers_in_a_body_never_survive(evil: str) -> None:
    cause = make_cause(body=f"Hello.\n\n{evil}", see_doctor=evil)
    remedy = Remedy.objects.create(cause=cause, title="Rest", body=evil)
    faq = Faq.objects.create(slug="q", question="Q?", answer=evil)
    for html in (cause.body_html, cause.see_doctor_html, remedy.body_html, faq.answer_html):
        lowered = html.lower()
        for marker in ("<script", "onerror", "onclick", "onload", "<iframe", "<style", "<img"):
            assert marker not in lowered, html


@pytest.mark.parametrize(
    "link",
    [
        "[click](javascript:alert(1))",
        "[click](JaVaScRiPt:alert(1))",
        '<a href="javascript:alert(1)">click</a>',
        "[click](data:text/html;base64,PHNjcmlwdD4=)",
    ],
)
def test_javascript_and_data_links_are_stripped(link: str) -> None:
    html = render_markdown(link)
    assert "click" in html
    assert "javascript" not in html.lower()
    assert "data:" not in html


def test_safe_links_are_kept_and_marked_nofollow() -> None:
    html = render_markdown("[NHS](https://www.nhs.uk/) and [FAQ](/faq/#recovery-time)")
    assert 'href="https://www.nhs.uk/"' in html
    assert 'href="/faq/#recovery-time"' in html
    assert 'rel="noopener noreferrer nofollow"' in html


def test_editor_headings_start_below_the_page_title() -> None:
    html = render_markdown("# Why\n\n## How")
    assert "<h1" not in html
    assert "<h2>Why</h2>" in html
    assert "<h3>How</h3>" in html


# SEED LOADER ---------------------------------------------------------------------------


def test_seed_holds_every_contract_cause_with_complete_content(seeded: None) -> None:
    causes = Cause.objects.prefetch_related("remedies", "sources")
    assert {c.slug for c in causes} == CONTRACT_CAUSES
    for cause in causes:
        assert cause.summary and cause.body_html and cause.see_doctor_html, cause.slug
        assert 2 <= len(cause.remedies.all()) <= 5, cause.slug
        assert len(cause.sources.all()) >= 1, cause.slug


def test_seed_gives_every_cause_an_answer_that_points_to_it(seeded: None) -> None:
    pointed = set(
        Evidence.objects.filter(weight__gt=0, choice__question__active=True).values_list(
            "cause__slug", flat=True
        )
    )
    assert pointed == CONTRACT_CAUSES


def test_seed_triage_rules_match_the_contract(seeded: None) -> None:
    triage = {
        (q, v): level
        for q, v, level in Choice.objects.exclude(triage="").values_list(
            "question__key", "value", "triage"
        )
    }
    assert triage == CONTRACT_TRIAGE
    assert not Choice.objects.exclude(triage="").filter(triage_message="").exists()


def test_seed_has_the_article_faq_and_the_runners_questions(seeded: None) -> None:
    faqs = Faq.objects.all()
    assert faqs.count() >= 9
    assert all(f.answer.strip() for f in faqs)
    questions = " ".join(f.question.lower() for f in faqs)
    assert "doms" in questions
    assert "doctor" in questions


def test_running_the_seed_loader_twice_creates_nothing_the_second_time(seeded: None) -> None:
    before = knowledge_counts()
    revision = KnowledgeRevision.current()
    output = run("load_knowledge_base")
    assert knowledge_counts() == before
    assert "0 created, 0 updated" in output
    assert KnowledgeRevision.current() == revision


def test_an_editors_change_survives_a_rerun_of_the_seed_loader(seeded: None) -> None:
    cause = Cause.objects.get(slug="dehydration")
    cause.summary = "Edited by an editor."
    cause.save()
    Remedy.objects.filter(cause=cause).first().delete()  # type: ignore[union-attr]
    remedies = Remedy.objects.filter(cause=cause).count()
    run("load_knowledge_base")
    cause.refresh_from_db()
    assert cause.summary == "Edited by an editor."
    assert Remedy.objects.filter(cause=cause).count() == remedies


def test_reset_restores_the_seed_text(seeded: None) -> None:
    seed = json.loads((SEED_DIR / "causes.json").read_text(encoding="utf-8"))
    original = next(c for c in seed["causes"] if c["slug"] == "dehydration")
    Cause.objects.filter(slug="dehydration").update(summary="Edited by an editor.")
    before = knowledge_counts()
    output = run("load_knowledge_base", "--reset")
    assert Cause.objects.get(slug="dehydration").summary == original["summary"]
    assert knowledge_counts() == before
    assert "0 created" in output


def test_reset_keeps_causes_that_editors_added(seeded: None) -> None:
    make_cause("shin-splints")
    run("load_knowledge_base", "--reset")
    assert Cause.objects.filter(slug="shin-splints").exists()


# EXPORT AND IMPORT ---------------------------------------------------------------------


def export_text(tmp_path: Path, name: str) -> str:
    target = tmp_path / name
    call_command("export_knowledge", str(target), stderr=io.StringIO())
    return target.read_text(encoding="utf-8")


def edit_in_ways_the_seed_does_not_cover() -> None:
    cause = Cause.objects.get(slug="worn-shoes")
    cause.published = False
    cause.reviewed_by = "A physiotherapist"
    cause.reviewed_on = "2026-03-01"  # type: ignore[assignment]
    cause.save()
    question = Question.objects.get(key="overstriding")
    question.active = False
    question.save()
    make_evidence(Choice.objects.get(question__key="legs", value="one"), cause, "-2.5")
    general = Evidence.objects.filter(weight__gt=0).order_by("pk").first()
    assert general is not None
    general.specific = False
    general.save()
    add_a_rule_with_every_feature()
    faq = Faq.objects.first()
    assert faq is not None
    faq.published = False
    faq.save()


def add_a_rule_with_every_feature() -> Rule:
    """Alternatives in a group, at_least, evidence, an inactive rule beside it."""
    rule = make_rule(
        "one-leg-with-risk",
        (Question.objects.get(key="legs"), ["one"]),
        (
            Question.objects.get(key="risk_factors"),
            ["smoker", "diabetes", "high_bp_or_cholesterol"],
            2,
        ),
        evidence=((Cause.objects.get(slug="venous-insufficiency"), "2.5"),),
        serious=True,
        note="Why the rule exists.",
    )
    RuleCondition.objects.create(
        rule=rule,
        group=1,
        question=Question.objects.get(key="symptoms"),
        values=["ankle_swelling_evening"],
    )
    make_rule(
        "retired-rule",
        (Question.objects.get(key="legs"), ["both"]),
        level="",
        message="",
        active=False,
    )
    return rule


def test_export_then_import_into_an_empty_database_is_lossless(
    seeded: None, tmp_path: Path
) -> None:
    edit_in_ways_the_seed_does_not_cover()
    first = export_text(tmp_path, "first.json")
    before = knowledge_counts()
    call_command(
        "import_knowledge", str(tmp_path / "first.json"), "--replace", stdout=io.StringIO()
    )
    assert knowledge_counts() == before
    assert export_text(tmp_path, "second.json") == first
    data = json.loads(first)
    shoes = next(c for c in data["causes"] if c["slug"] == "worn-shoes")
    assert shoes["published"] is False
    assert shoes["reviewed_on"] == "2026-03-01"
    assert next(r for r in data["rules"] if r["slug"] == "one-leg-with-risk") == {
        "slug": "one-leg-with-risk",
        "name": "One leg with risk",
        "level": "soon",
        "message": "See a doctor about one-leg-with-risk.",
        "serious": True,
        "order": 100,
        "active": True,
        "note": "Why the rule exists.",
        "conditions": [
            {
                "any": [
                    {"question": "legs", "values": ["one"]},
                    {"question": "symptoms", "values": ["ankle_swelling_evening"]},
                ]
            },
            {
                "question": "risk_factors",
                "values": ["smoker", "diabetes", "high_bp_or_cholesterol"],
                "at_least": 2,
            },
        ],
        "evidence": [{"cause": "venous-insufficiency", "weight": 2.5}],
    }
    assert next(r for r in data["rules"] if r["slug"] == "retired-rule")["active"] is False
    general = [
        e for step in data["steps"] for q in step["questions"] for c in q["choices"]
        for e in c["evidence"] if "specific" in e
    ]  # fmt: skip
    # Only general evidence carries the flag, and all of it came through the round trip.
    assert {e["specific"] for e in general} == {False}
    assert len(general) == Evidence.objects.filter(specific=False).count()
    # The imported rule is the one the engine applies; the retired one is not applied.
    applied = {r.slug: r for r in get_knowledge().rules}
    assert "retired-rule" not in applied
    rule = applied["one-leg-with-risk"]
    assert (rule.slug, rule.serious, [len(g) for g in rule.groups]) == (
        "one-leg-with-risk",
        True,
        [2, 1],
    )


def test_export_to_standard_output_is_the_same_json() -> None:
    make_cause("overtraining")
    out = run("export_knowledge")
    assert json.loads(out) == export_knowledge()
    assert json.loads(out)["format"] == 1


def test_import_by_default_adds_missing_rows_and_keeps_existing_ones(
    seeded: None, tmp_path: Path
) -> None:
    data = export_knowledge()
    data["causes"][0]["summary"] = "Changed on staging."
    data["causes"].append({**data["causes"][0], "slug": "new-cause", "name": "New cause"})
    target = tmp_path / "kb.json"
    target.write_text(json.dumps(data), encoding="utf-8")
    call_command("import_knowledge", str(target), stdout=io.StringIO())
    first = Cause.objects.get(slug=data["causes"][0]["slug"])
    assert first.summary != "Changed on staging."
    assert Cause.objects.filter(slug="new-cause").exists()
    call_command("import_knowledge", str(target), "--update", stdout=io.StringIO())
    first.refresh_from_db()
    assert first.summary == "Changed on staging."


def bad_file_cases() -> list[tuple[str, Any, str]]:
    """(name, change to an exported document, words the error must contain)."""

    def unknown_cause(doc: dict[str, Any]) -> None:
        doc["steps"][0]["questions"][0]["choices"][1]["evidence"] = [
            {"cause": "no-such-cause", "weight": 3}
        ]

    def weight_out_of_range(doc: dict[str, Any]) -> None:
        doc["steps"][1]["questions"][1]["choices"][0]["evidence"][0]["weight"] = 42

    def missing_key(doc: dict[str, Any]) -> None:
        del doc["causes"][2]["summary"]

    def wrong_format(doc: dict[str, Any]) -> None:
        doc["format"] = 99

    def duplicate_slug(doc: dict[str, Any]) -> None:
        doc["causes"][3]["slug"] = doc["causes"][0]["slug"]

    def unknown_key(doc: dict[str, Any]) -> None:
        doc["causes"][1]["sumary"] = doc["causes"][1].pop("summary")

    def bad_category(doc: dict[str, Any]) -> None:
        doc["causes"][4]["category"] = "magic"

    def triage_without_message(doc: dict[str, Any]) -> None:
        doc["steps"][0]["questions"][0]["choices"][0]["triage_message"] = ""

    def weight_not_a_number(doc: dict[str, Any]) -> None:
        doc["steps"][1]["questions"][1]["choices"][0]["evidence"][0]["weight"] = "lots"

    def missing_nested_key(doc: dict[str, Any]) -> None:
        del doc["causes"][2]["remedies"][0]["title"]

    def wrong_type(doc: dict[str, Any]) -> None:
        doc["faqs"][0]["published"] = "yes"

    def rule(**changes: Any) -> Any:
        def change(doc: dict[str, Any]) -> None:
            doc["rules"] = [
                {
                    "slug": "clot",
                    "name": "Clot",
                    "level": "urgent",
                    "message": "Get help today.",
                    "conditions": [
                        {"question": "legs", "values": ["one"]},
                        {"any": [{"question": "risk_factors", "values": ["smoker", "diabetes"]}]},
                    ],
                    "evidence": [{"cause": "venous-insufficiency", "weight": 2}],
                    **changes,
                }
            ]

        return change

    def any_group(**changes: Any) -> Any:
        return rule(conditions=[{"any": [{"question": "legs", "values": ["one"], **changes}]}])

    def twice(doc: dict[str, Any]) -> None:
        rule()(doc)
        doc["rules"].append(dict(doc["rules"][0]))

    return [
        ("unknown cause", unknown_cause, "evidence[0]: unknown cause 'no-such-cause'"),
        ("weight out of range", weight_out_of_range, "weight"),
        ("missing key", missing_key, "causes[2]"),
        ("wrong format", wrong_format, "unsupported format 99"),
        ("duplicate slug", duplicate_slug, "already appears at causes[0]"),
        ("unknown key", unknown_key, "unexpected key 'sumary'"),
        ("bad category", bad_category, "causes[4]"),
        ("triage without message", triage_without_message, "triage_message"),
        ("weight not a number", weight_not_a_number, "evidence[0].weight: expected a number"),
        ("missing nested key", missing_nested_key, "remedies[0]: missing 'title'"),
        ("wrong type", wrong_type, ".published: expected true or false"),
        (
            "rule: unknown question",
            any_group(question="colour"),
            "rules[0] (clot).conditions[0].any[0]: unknown question 'colour'",
        ),
        (
            "rule: unknown answer",
            any_group(values=["one", "three"]),
            "'three' is not an answer to the question 'legs'",
        ),
        (
            "rule: at_least on a pick-one question",
            any_group(values=["one", "both"], at_least=2),
            "at_least above 1 needs a pick-all question",
        ),
        (
            "rule: at_least above the values",
            rule(conditions=[{"question": "risk_factors", "values": ["smoker"], "at_least": 2}]),
            "at_least is 2 but only 1 values are listed",
        ),
        ("rule: at_least zero", any_group(at_least=0), "at_least: must be at least 1"),
        ("rule: level without message", rule(message=""), "message"),
        ("rule: message without level", rule(level=""), "Pick a triage level"),
        ("rule: serious without level", rule(level="", message="", serious=True), "serious"),
        ("rule: unknown level", rule(level="later"), "later"),
        (
            "rule: no conditions",
            rule(conditions=[]),
            "rules[0] (clot).conditions: must not be empty",
        ),
        ("rule: empty values", any_group(values=[]), "values: must not be empty"),
        ("rule: misspelt key", any_group(valuse=["one"]), "unexpected key 'valuse'"),
        ("rule: missing values", rule(conditions=[{"question": "legs"}]), "missing 'values'"),
        (
            "rule: unknown cause",
            rule(evidence=[{"cause": "gout", "weight": 1}]),
            "rules[0] (clot).evidence[0]: unknown cause 'gout'",
        ),
        ("rule: weight", rule(evidence=[{"cause": "dehydration", "weight": 11}]), "weight"),
        ("rule: slug twice", twice, "rule slug 'clot' already appears at rules[0]"),
    ]


@pytest.mark.parametrize(("name", "change", "words"), bad_file_cases(), ids=lambda v: str(v))
def test_a_bad_file_is_refused_with_its_place_and_nothing_is_written(
    seeded: None, tmp_path: Path, name: str, change: Any, words: str
) -> None:
    data = export_knowledge()
    change(data)
    target = tmp_path / "bad.json"
    target.write_text(json.dumps(data), encoding="utf-8")
    Cause.objects.filter(slug="dehydration").update(summary="Only in this database.")
    before = knowledge_counts()
    revision = KnowledgeRevision.current()
    for mode in ((), ("--update",), ("--replace",)):
        with pytest.raises(CommandError) as excinfo:
            call_command("import_knowledge", str(target), *mode, stdout=io.StringIO())
        assert "Nothing was imported" in str(excinfo.value)
        assert words in str(excinfo.value)
        assert knowledge_counts() == before
    assert Cause.objects.get(slug="dehydration").summary == "Only in this database."
    assert KnowledgeRevision.current() == revision


def test_a_rule_may_name_a_question_and_answer_the_same_file_adds(
    seeded: None, tmp_path: Path
) -> None:
    data = export_knowledge()
    data["steps"][1]["questions"].append(
        {"key": "knocked", "text": "Injured?", "choices": [{"value": "fall", "label": "A fall"}]}
    )
    data["rules"] = [
        {
            "slug": "after-a-fall",
            "name": "After a fall",
            "level": "soon",
            "message": "See a doctor.",
            "conditions": [{"question": "knocked", "values": ["fall"]}],
        }
    ]
    target = tmp_path / "kb.json"
    target.write_text(json.dumps(data), encoding="utf-8")
    run("import_knowledge", str(target))
    assert "after-a-fall" in [r.slug for r in get_knowledge().rules]
    # Without --update the stored question keeps its answers: a rule naming an answer
    # only the file has is refused.
    data["steps"][1]["questions"][-1]["choices"] = [{"value": "fracture", "label": "A fracture"}]
    data["rules"][0]["conditions"] = [{"question": "knocked", "values": ["fracture"]}]
    target.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(CommandError, match="'fracture' is not an answer"):
        run("import_knowledge", str(target))
    run("import_knowledge", str(target), "--update")
    rule = next(r for r in get_knowledge().rules if r.slug == "after-a-fall")
    assert rule.groups[0][0].values == {"fracture"}


def test_replacing_the_knowledge_base_replaces_its_rules(seeded: None, tmp_path: Path) -> None:
    add_a_rule_with_every_feature()
    data = export_knowledge()
    data["rules"] = []
    target = tmp_path / "kb.json"
    target.write_text(json.dumps(data), encoding="utf-8")
    # Rules keep the questions they name from being deleted: they go first.
    run("import_knowledge", str(target), "--replace")
    assert not Rule.objects.exists()
    assert Question.objects.filter(key="legs").exists()


def test_a_weight_error_names_the_question_and_answer(seeded: None, tmp_path: Path) -> None:
    data = export_knowledge()
    question = data["steps"][1]["questions"][1]
    choice = question["choices"][0]
    choice["evidence"][0]["weight"] = 42
    target = tmp_path / "bad.json"
    target.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(CommandError) as excinfo:
        call_command("import_knowledge", str(target), "--update", stdout=io.StringIO())
    message = str(excinfo.value)
    assert f"({question['key']})" in message
    assert f"({choice['value']})" in message
    assert "less than or equal to 10" in message


def test_invalid_json_is_refused_with_the_line(tmp_path: Path) -> None:
    target = tmp_path / "broken.json"
    target.write_text('{"format": 1,\n "causes": [}', encoding="utf-8")
    with pytest.raises(CommandError, match=r"not valid JSON: .* line 2"):
        call_command("import_knowledge", str(target))


def test_a_file_without_format_is_refused(tmp_path: Path) -> None:
    target = tmp_path / "plain.json"
    target.write_text('{"causes": []}', encoding="utf-8")
    with pytest.raises(CommandError, match="format"):
        call_command("import_knowledge", str(target))


def test_a_missing_file_is_refused_with_its_name(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="Cannot read .*nowhere.json"):
        call_command("import_knowledge", str(tmp_path / "nowhere.json"))


def test_export_to_an_unwritable_place_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="Cannot write"):
        call_command("export_knowledge", str(tmp_path / "missing-dir" / "kb.json"))


def test_import_from_standard_input(monkeypatch: pytest.MonkeyPatch) -> None:
    doc = {
        "format": 1,
        "causes": [{"slug": "x", "name": "X", "category": "training", "summary": "S"}],
    }
    monkeypatch.setattr("sys.stdin", io.StringIO(json.dumps(doc)))
    output = run("import_knowledge", "-")
    assert "1 created" in output
    assert Cause.objects.filter(slug="x").exists()


def test_import_documents_with_a_non_object_is_refused() -> None:
    with pytest.raises(KnowledgeFileError, match="document 1: expected a JSON object"):
        import_knowledge([["not", "an", "object"]])


def test_the_schema_is_valid_json_schema_2020_12() -> None:
    validator = schema_validator()
    assert validator.schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    validator.check_schema(validator.schema)


@pytest.mark.parametrize("name", SEED_FILES)
def test_every_seed_file_matches_the_schema(name: str) -> None:
    document = json.loads((SEED_DIR / name).read_text(encoding="utf-8"))
    assert [error.message for error in schema_validator().iter_errors(document)] == []


def test_an_export_matches_the_schema(seeded: None) -> None:
    edit_in_ways_the_seed_does_not_cover()
    assert [e.message for e in schema_validator().iter_errors(export_knowledge())] == []


def test_a_wrong_item_in_a_list_of_slugs_is_named_by_its_place() -> None:
    doc = {
        "format": 1,
        "faqs": [{"slug": "f", "question": "Q?", "answer": "A", "causes": ["a", 3]}],
    }
    with pytest.raises(KnowledgeFileError, match=r"^faqs\[0\] \(f\)\.causes\[1\]: expected text$"):
        import_knowledge([doc])
