"""What an edit to the knowledge base would do to the public vignettes, before it is saved.

The vignettes are runner stories with the answers they give and the result a clinician
expects (tests/data/vignettes_public.json). The admin scores each with the knowledge base as
it is and as it would be after the edit; a story whose triage or top cause moves is shown to
the editor, and one whose triage drops needs an explicit confirmation. Plain Python.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from legs.knowledge.snapshot import Knowledge
from legs.knowledge.triage import Triage

from .engine import InvalidAnswers, assess


@dataclass(frozen=True, slots=True)
class Outcome:
    """A story's triage and top cause, or why its answers no longer fit the questions."""

    triage: Triage | None
    top: str = ""
    problem: str = ""

    def __str__(self) -> str:
        if self.triage is None:
            return f"answers refused: {self.problem}"
        return f"{self.triage.short}, {self.top}" if self.top else self.triage.short


@dataclass(frozen=True, slots=True)
class VignetteChange:
    id: str
    story: str
    expected: str
    before: Outcome
    after: Outcome

    @property
    def lowers(self) -> bool:
        """The story would be sent to a doctor less urgently, or its answers (a warning
        sign among them) would be refused altogether."""
        if self.before.triage is None:
            return False
        if self.after.triage is None:
            return self.before.triage.rank > 0
        return self.after.triage.rank < self.before.triage.rank

    @property
    def raises(self) -> bool:
        return (
            self.before.triage is not None
            and self.after.triage is not None
            and self.after.triage.rank > self.before.triage.rank
        )


def load_vignettes(path: Path) -> list[dict[str, Any]]:
    """The stories in `path`; ValueError naming the problem when it cannot be read."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"the public vignettes cannot be read from {path}: {exc}") from exc
    if not isinstance(data, list) or not all(
        isinstance(v, dict) and isinstance(v.get("answers"), dict) for v in data
    ):
        raise ValueError(f"{path} is not a list of vignettes with answers")
    return data


def outcome(answers: Mapping[str, Any], knowledge: Knowledge) -> Outcome:
    # As the vignette tests walk them: a story that leaves out the warning signs was asked
    # them and ticked "None of these".
    try:
        result = assess({"warning_signs": ["none"], **answers}, knowledge)
    except InvalidAnswers as exc:
        return Outcome(None, problem=str(exc))
    return Outcome(result.triage, result.causes[0].slug if result.causes else "")


def vignette_changes(
    vignettes: Iterable[Mapping[str, Any]], before: Knowledge, after: Knowledge
) -> list[VignetteChange]:
    """The stories whose triage or top cause differs between `before` and `after`. A story
    the knowledge base already refuses (it names a question an editor has removed) is left
    out: there is no result of it to compare."""
    changes = []
    for n, vignette in enumerate(vignettes):
        old = outcome(vignette["answers"], before)
        if old.triage is None:
            continue
        new = outcome(vignette["answers"], after)
        if old == new:
            continue
        expect = vignette.get("expect", {})
        changes.append(
            VignetteChange(
                id=str(vignette.get("id", f"vignette {n}")),
                story=str(vignette.get("story", "")),
                expected=str(expect.get("triage", "")) if isinstance(expect, dict) else "",
                before=old,
                after=new,
            )
        )
    return changes


def changes_token(changes: Iterable[VignetteChange]) -> str:
    """Stands for what the editor was shown: a different effect needs a new look."""
    shown = [(c.id, str(c.before), str(c.after)) for c in changes]
    return hashlib.sha256(json.dumps(shown).encode()).hexdigest()[:32]
