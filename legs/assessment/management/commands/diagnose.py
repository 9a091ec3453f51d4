from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from legs.assessment.engine import InvalidAnswers, assess
from legs.knowledge.published import get_knowledge


class Command(BaseCommand):
    help = (
        "Assess one answers object, or a list of them, given as JSON in FILE or on standard "
        "input (-). Prints the triage, warnings and ranked causes as JSON (a list in, a list "
        "out, in the same order). Bad input prints nothing and exits non-zero. "
        "Input: a JSON object of question keys to answers: one choice value for a "
        "single-choice question, a list of values for a multi-choice one (warning_signs, "
        "symptoms); leave out a question that was skipped. Or a JSON list of such objects. "
        'Example: {"warning_signs": ["none"], "timing": "whole_run", "sleep_hours": '
        '"under_6"}. The keys and values are the wizard\'s (README.md, "Assess from the '
        'command line").'
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
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise CommandError(f"{name} is not valid JSON: {exc}") from exc
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
