from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from legs.assessment.engine import InvalidAnswers, assess
from legs.knowledge.published import get_knowledge

# Answers are an object of texts or lists of texts; a batch is a list of them. Anything
# nested deeper is refused before parsing, so absurd nesting cannot exhaust the stack.
MAX_DEPTH = {"{": 2, "[": 3}
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')
_BRACKET = re.compile(r"[\[\]{}]")


class AnswersFileError(ValueError):
    """Input that is not answers in the expected JSON form; the message says what is wrong
    with it, to follow its name ("answers.json has the key 'legs' twice …")."""


def _deepest(text: str) -> int:
    """How deeply lists and objects nest in `text` (string contents are ignored)."""
    depth = deepest = 0
    for match in _BRACKET.finditer(_STRING.sub("", text)):
        if match.group() in "[{":
            depth += 1
            deepest = max(deepest, depth)
        else:
            depth -= 1
    return deepest


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    seen: dict[str, Any] = {}
    for key, value in pairs:
        if key in seen:
            raise AnswersFileError(f"has the key {key!r} twice in one answers object")
        seen[key] = value
    return seen


def parse_answers(text: str) -> Any:
    """The JSON in `text`, refusing duplicate keys and nesting deeper than answers go."""
    start = text.lstrip()[:1]
    allowed = MAX_DEPTH.get(start, 0)
    if _deepest(text) > allowed:
        shape = "a list of answer objects" if start == "[" else "an answers object"
        raise AnswersFileError(
            f"is nested deeper than {shape} can be (each answer is a choice value or a list "
            "of choice values)"
        )
    try:
        return json.loads(text, object_pairs_hook=_no_duplicates)
    except json.JSONDecodeError as exc:
        raise AnswersFileError(f"is not valid JSON: {exc}") from exc
    except AnswersFileError:
        raise
    except (ValueError, RecursionError) as exc:
        # e.g. a number too long to read
        raise AnswersFileError(f"is not valid JSON: {exc}") from exc


class Command(BaseCommand):
    help = (
        "Assess one answers object, or a list of them, given as JSON in FILE or on standard "
        "input (-). Prints the triage, warnings and ranked causes as JSON (a list in, a list "
        "out, in the same order). Bad input prints nothing and exits non-zero. "
        "Input: a JSON object of question keys to answers: one choice value for a "
        "single-choice question, a list of values for a multi-choice one (warning_signs, "
        "symptoms); leave out a question that was skipped. Or a JSON list of such objects. "
        'Example: {"warning_signs": ["none"], "timing": "whole_run", "sleep_hours": '
        '"under_6"}. The warning signs are required; a key may appear only once. The keys '
        'and values are the wizard\'s (README.md, "Assess from the command line").'
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "file", nargs="?", default="-", help="JSON file, or - (the default) for stdin."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        source = options["file"]
        name = "standard input" if source == "-" else source
        try:
            text = sys.stdin.read() if source == "-" else Path(source).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(f"Cannot read {name}: {exc}") from exc
        try:
            data = parse_answers(text)
        except AnswersFileError as exc:
            raise CommandError(f"{name} {exc}") from exc
        knowledge = get_knowledge()
        if not knowledge.steps:
            raise CommandError(
                "The knowledge base has no questions. Load it first: manage.py load_knowledge_base"
            )
        batch = isinstance(data, list)
        results = []
        for n, answers in enumerate(data if batch else [data]):
            try:
                results.append(assess(answers, knowledge).to_dict())
            except InvalidAnswers as exc:
                where = f" (item {n} of the list, counting from 0)" if batch else ""
                raise CommandError(f"Invalid answers{where}: {exc}") from exc
        output = results if batch else results[0]
        self.stdout.write(json.dumps(output, indent=2, ensure_ascii=False))
