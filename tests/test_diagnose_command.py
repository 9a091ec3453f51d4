"""`manage.py diagnose`: answers as JSON in, the engine's result as JSON out."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from legs.assessment.engine import assess
from legs.knowledge.published import get_knowledge
from tests.factories import ONE_LEG_ON_THE_PILL, make_one_leg_rule

ROOT = Path(__file__).resolve().parents[1]

SELF_CARE_ANSWERS = {
    "warning_signs": ["none"],
    "timing": "early_then_eases",
    "warmup": "none",
}
SOON_ANSWERS = {"warning_signs": ["none"], "symptoms": ["breathless_on_easy_runs", "cramps"]}
EMERGENCY_ANSWERS = {"warning_signs": ["chest_symptoms"], "warmup": "none"}


def diagnose(data: object, tmp_path: Path) -> Any:
    path = tmp_path / "answers.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    out = io.StringIO()
    call_command("diagnose", str(path), stdout=out)
    return json.loads(out.getvalue())


def diagnose_stdin(text: str, monkeypatch: pytest.MonkeyPatch, *args: str) -> Any:
    monkeypatch.setattr(sys, "stdin", io.StringIO(text))
    out = io.StringIO()
    call_command("diagnose", *args, stdout=out)
    return json.loads(out.getvalue())


@pytest.mark.usefixtures("seeded")
def test_one_answers_object_gives_one_result_as_the_engine_computes_it(tmp_path: Path) -> None:
    output = diagnose(SOON_ANSWERS, tmp_path)
    assert output == assess(SOON_ANSWERS, get_knowledge()).to_dict()
    assert output["triage"] == "soon"
    assert output["warnings"] == [
        {
            "question": "symptoms",
            "value": "breathless_on_easy_runs",
            "level": "soon",
            "message": output["warnings"][0]["message"],
        }
    ]
    assert output["warnings"][0]["message"]
    top = output["causes"][0]
    assert top["slug"] == "iron-deficiency"
    assert set(top) >= {"slug", "name", "score", "band", "because", "remedies"}
    assert top["band"] in ("likely", "possible")
    assert {"question": "symptoms", "value": "breathless_on_easy_runs"}.items() <= top["because"][
        0
    ].items()
    assert all(set(r) >= {"title", "summary"} for r in top["remedies"])


@pytest.mark.usefixtures("seeded")
def test_a_list_gives_a_list_in_the_same_order(tmp_path: Path) -> None:
    batch = [SOON_ANSWERS, EMERGENCY_ANSWERS, SELF_CARE_ANSWERS, {"warning_signs": ["none"]}]
    output = diagnose(batch, tmp_path)
    assert [r["triage"] for r in output] == ["soon", "emergency", "self_care", "self_care"]
    assert output[1]["causes"] == []
    assert output[2]["causes"][0]["slug"] == "insufficient-warmup"
    assert output[3]["causes"] == []


@pytest.mark.usefixtures("seeded")
def test_an_empty_list_gives_an_empty_list(tmp_path: Path) -> None:
    assert diagnose([], tmp_path) == []


@pytest.mark.usefixtures("seeded")
def test_reads_standard_input_with_a_dash_or_no_argument(monkeypatch: pytest.MonkeyPatch) -> None:
    text = json.dumps(SELF_CARE_ANSWERS)
    with_dash = diagnose_stdin(text, monkeypatch, "-")
    assert with_dash["triage"] == "self_care"
    assert diagnose_stdin(text, monkeypatch) == with_dash


@pytest.mark.usefixtures("seeded")
@pytest.mark.parametrize(
    ("data", "words"),
    [
        ({"colour": "red"}, "colour: unknown question"),
        ({"warmup": "sometimes"}, "warmup: unknown value 'sometimes'"),
        ({"warning_signs": "none"}, "warning_signs: expected a list"),
        ({"warning_signs": ["none", "chest_symptoms"]}, "warning_signs: 'none' cannot be"),
        ({"symptoms": []}, "symptoms: pick at least one value"),
        ("warmup", "must be a JSON object"),
        (
            [SELF_CARE_ANSWERS, SOON_ANSWERS, {"legs": "three"}],
            "item 2 of the list, counting from 0): legs: unknown value 'three'",
        ),
    ],
)
def test_invalid_answers_stop_with_a_message_naming_the_problem(
    data: object, words: str, tmp_path: Path
) -> None:
    out = io.StringIO()
    path = tmp_path / "answers.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(CommandError, match="Invalid answers") as error:
        call_command("diagnose", str(path), stdout=out)
    assert words in str(error.value)
    assert out.getvalue() == ""


def diagnose_text(text: str, tmp_path: Path) -> str:
    """The error message for answers given as raw JSON text."""
    path = tmp_path / "answers.json"
    path.write_text(text, encoding="utf-8")
    out = io.StringIO()
    with pytest.raises(CommandError) as error:
        call_command("diagnose", str(path), stdout=out)
    assert out.getvalue() == ""
    message = str(error.value)
    assert "\n" not in message
    return message


DEEP = "[" * 100_000 + "]" * 100_000


@pytest.mark.usefixtures("seeded")
@pytest.mark.parametrize(
    ("text", "words"),
    [
        (
            '{"warning_signs": ["none"], "warmup": "none", "warmup": "good"}',
            "answers.json has the key 'warmup' twice in one answers object",
        ),
        (
            '[{"warning_signs": ["none"]}, {"legs": "one", "legs": "one"}]',
            "has the key 'legs' twice",
        ),
        ('{"warning_signs": [["none"]]}', "answers.json is nested deeper than an answers object"),
        ('[{"warning_signs": [["none"]]}]', "is nested deeper than a list of answer objects"),
        ('{"legs": {"one": {"two": {}}}}', "is nested deeper than an answers object"),
        (DEEP, "is nested deeper than a list of answer objects"),
        ("{" * 50_000, "is nested deeper than an answers object"),
        ('{"legs": "one"}', "Invalid answers: warning_signs: required"),
        ("1" * 5_000, "answers.json is not valid JSON"),
    ],
    ids=[
        "duplicate-key",
        "duplicate-key-in-a-list",
        "list-in-a-list",
        "list-in-a-list-in-a-batch",
        "objects-in-objects",
        "absurdly-deep",
        "absurdly-deep-unclosed",
        "no-warning-signs",
        "number-too-long",
    ],
)
def test_bad_input_is_one_line_naming_the_problem(text: str, words: str, tmp_path: Path) -> None:
    assert words in diagnose_text(text, tmp_path)


@pytest.mark.usefixtures("seeded")
def test_brackets_and_braces_inside_answers_text_are_not_nesting(tmp_path: Path) -> None:
    # Unknown values are reported by name: the brackets inside them were not counted.
    message = diagnose_text('{"warning_signs": ["[[{{ \\" ]]"], "legs": "}}]]"}', tmp_path)
    assert "warning_signs: unknown value" in message
    assert "legs: unknown value '}}]]'" in message


@pytest.mark.usefixtures("seeded")
def test_a_rule_warning_is_printed_with_the_answers_that_fired_it(tmp_path: Path) -> None:
    from legs.knowledge.models import Rule

    Rule.objects.all().delete()  # the seed's own clot rule would fire on the same answers
    make_one_leg_rule(serious=True)
    answers = {**SELF_CARE_ANSWERS, **ONE_LEG_ON_THE_PILL}
    output = diagnose(answers, tmp_path)
    assert output == assess(answers, get_knowledge()).to_dict()
    assert output["warnings"][0]["rule"] == "test-one-leg-with-risk"
    assert output["warnings"][0]["serious"] is True
    assert [r["value"] for r in output["warnings"][0]["because"]] == [
        "one",
        "hormonal_contraception_or_hrt",
    ]


@pytest.mark.usefixtures("seeded")
def test_invalid_json_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "answers.json"
    path.write_text('{"warmup": "none",}', encoding="utf-8")
    with pytest.raises(CommandError, match=r"answers.json is not valid JSON: .*line 1"):
        call_command("diagnose", str(path), stdout=io.StringIO())


@pytest.mark.usefixtures("seeded")
def test_invalid_json_on_standard_input_is_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))
    with pytest.raises(CommandError, match="standard input is not valid JSON"):
        call_command("diagnose", "-", stdout=io.StringIO())


@pytest.mark.usefixtures("seeded")
def test_a_missing_file_is_reported(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match=r"Cannot read .*missing.json: .*No such file"):
        call_command("diagnose", str(tmp_path / "missing.json"), stdout=io.StringIO())


@pytest.mark.usefixtures("seeded")
def test_a_file_that_is_not_text_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "answers.json"
    path.write_bytes(b"\xff\xfe\x00{")
    with pytest.raises(CommandError, match="Cannot read"):
        call_command("diagnose", str(path), stdout=io.StringIO())


@pytest.mark.django_db
def test_an_empty_knowledge_base_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "answers.json"
    path.write_text("{}", encoding="utf-8")
    with pytest.raises(CommandError, match="knowledge base has no questions.*load_knowledge_base"):
        call_command("diagnose", str(path), stdout=io.StringIO())


def run_manage(*args: str, db: Path, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "DEBUG": "true",
        "DATABASE_URL": f"sqlite:///{db}",
        "CACHE_URL": "locmemcache://",
    }
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.slow
def test_the_real_command_exits_non_zero_with_the_message_on_standard_error(
    tmp_path: Path,
) -> None:
    db = tmp_path / "db.sqlite3"
    bad_json = run_manage("diagnose", "-", db=db, stdin="{not json")
    assert bad_json.returncode != 0
    assert "standard input is not valid JSON" in bad_json.stderr
    assert bad_json.stdout == ""

    assert run_manage("migrate", "--verbosity=0", db=db).returncode == 0
    empty = run_manage("diagnose", db=db, stdin="{}")
    assert empty.returncode != 0
    assert "knowledge base has no questions" in empty.stderr

    assert run_manage("load_knowledge_base", db=db).returncode == 0
    batch = [SELF_CARE_ANSWERS, EMERGENCY_ANSWERS]
    ok = run_manage("diagnose", "-", db=db, stdin=json.dumps(batch))
    assert ok.returncode == 0, ok.stderr
    assert [r["triage"] for r in json.loads(ok.stdout)] == ["self_care", "emergency"]

    bad_item = run_manage("diagnose", db=db, stdin=json.dumps([*batch, {"warmup": 1}]))
    assert bad_item.returncode != 0
    assert "item 2 of the list" in bad_item.stderr
    assert "warmup: expected a single choice value" in bad_item.stderr
    assert bad_item.stdout == ""

    for bad in ['{"warning_signs": ["none"], "legs": "one", "legs": "both"}', DEEP, "{}"]:
        refused = run_manage("diagnose", db=db, stdin=bad)
        assert refused.returncode != 0
        assert refused.stdout == ""
        assert "Traceback" not in refused.stderr
        assert len(refused.stderr.strip().splitlines()) == 1, refused.stderr

    missing = run_manage("diagnose", str(tmp_path / "nope.json"), db=db)
    assert missing.returncode != 0
    assert "Cannot read" in missing.stderr
    assert "nope.json" in missing.stderr


def test_help_describes_the_input_format() -> None:
    from legs.assessment.management.commands.diagnose import Command

    text = " ".join(Command().create_parser("manage.py", "diagnose").format_help().split())

    assert "a JSON object of question keys to answers" in text
    assert "a list of values for a multi-choice one" in text
    assert "Or a JSON list of such objects." in text
    assert '{"warning_signs": ["none"], "timing": "whole_run", "sleep_hours": "under_6"}' in text
