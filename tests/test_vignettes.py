"""The public runner stories: `manage.py diagnose` and the web wizard give the expected answer,
and the same one."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client

from legs.assessment.wizard import RESULT_SESSION_KEY
from legs.knowledge.triage import Triage
from tests.test_wizard import walk_wizard

VIGNETTES: list[dict[str, Any]] = json.loads(
    (Path(__file__).parent / "data" / "vignettes_public.json").read_text(encoding="utf-8")
)
pytestmark = pytest.mark.usefixtures("seeded")


def diagnose(data: object, tmp_path: Path) -> Any:
    path = tmp_path / "answers.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    out = io.StringIO()
    call_command("diagnose", str(path), stdout=out)
    return json.loads(out.getvalue())


def check_expectations(result: dict[str, Any], expect: dict[str, Any]) -> None:
    assert result["triage"] == expect["triage"]
    ranked = [cause["slug"] for cause in result["causes"]]
    for slug in expect.get("top3", []):
        assert slug in ranked[:3], f"{slug} not in the top three: {ranked[:5]}"
    if "top1" in expect:
        assert ranked[:1] == [expect["top1"]], ranked[:3]
    if result["triage"] in {Triage.EMERGENCY, Triage.URGENT}:
        assert ranked == []


def test_there_are_public_vignettes_of_every_level() -> None:
    assert {v["expect"]["triage"] for v in VIGNETTES} == {
        "emergency",
        "urgent",
        "soon",
        "self_care",
    }


def test_the_whole_list_through_diagnose_at_once(tmp_path: Path) -> None:
    results = diagnose([v["answers"] for v in VIGNETTES], tmp_path)
    assert len(results) == len(VIGNETTES)
    for vignette, result in zip(VIGNETTES, results, strict=True):
        check_expectations(result, vignette["expect"])


@pytest.mark.parametrize("vignette", VIGNETTES, ids=[v["id"] for v in VIGNETTES])
def test_diagnose_and_the_wizard_agree_with_the_expected_answer(
    vignette: dict[str, Any], client: Client, tmp_path: Path
) -> None:
    answers = vignette["answers"]
    from_command = diagnose(answers, tmp_path)
    check_expectations(from_command, vignette["expect"])

    # The wizard cannot be passed without the warning-signs question; a story that leaves
    # it out is walked with "None of these", which carries no evidence.
    walked = {"warning_signs": ["none"], **answers}
    response, _ = walk_wizard(client, walked)
    assert response.status_code == 200
    saved = client.session[RESULT_SESSION_KEY]
    assert saved["result"] == from_command
    assert diagnose(saved["answers"], tmp_path) == from_command
    if from_command["triage"] in {Triage.EMERGENCY, Triage.URGENT}:
        # The wizard stopped at the warning signs.
        assert saved["answers"] == {"warning_signs": walked["warning_signs"]}
    else:
        assert saved["answers"] == walked
