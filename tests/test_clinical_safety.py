"""The clinical safety case (docs/clinical-safety.md) names, for every hazard, tests that exist."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SAFETY_CASE = ROOT / "docs" / "clinical-safety.md"
TEST_REFERENCE = re.compile(r"`(tests/[\w/]+\.py)::(\w+)`")


def hazards() -> dict[str, list[tuple[str, str]]]:
    """Hazard id → the (module, test name) pairs its row names."""
    found: dict[str, list[tuple[str, str]]] = {}
    for line in SAFETY_CASE.read_text(encoding="utf-8").splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) == 5 and re.fullmatch(r"H\d+", cells[0]):
            assert cells[0] not in found, f"{cells[0]} appears twice"
            found[cells[0]] = TEST_REFERENCE.findall(cells[4])
    return found


def defined_tests(module: Path) -> set[str]:
    tree = ast.parse(module.read_text(encoding="utf-8"))
    return {
        node.name
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and node.name.startswith("test_")
    }


def test_the_safety_case_has_a_hazard_log_with_the_issues_hazards() -> None:
    text = SAFETY_CASE.read_text(encoding="utf-8").lower()
    for heading in ("## scope", "## intended use", "## hazard log", "## residual risk"):
        assert heading in text
    for hazard in (
        "clot reassured as training fatigue",
        "emergency advice not shown",
        "editor weakens a rule",
        "stale knowledge shown",
        "warning not shown because a question was skipped",
        "runner in another country given uk numbers",
    ):
        assert hazard in text
    assert len(hazards()) >= 10


HAZARD_IDS: list[str] = sorted(hazards(), key=lambda hazard: int(hazard.removeprefix("H")))


@pytest.mark.parametrize("hazard", HAZARD_IDS)
def test_every_hazard_names_tests_that_exist(hazard: str) -> None:
    references = hazards()[hazard]
    assert references, f"{hazard} names no test"
    for module, name in references:
        path = ROOT / module
        assert path.is_file(), f"{hazard}: {module} does not exist"
        assert name in defined_tests(path), f"{hazard}: {module}::{name} does not exist"


def test_a_misspelt_test_name_would_be_caught() -> None:
    names = defined_tests(Path(__file__))
    assert "test_every_hazard_names_tests_that_exist" in names
    assert "test_every_hazard_names_tests_that_exists" not in names
