from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from legs.knowledge.exchange import FORMAT, KnowledgeFileError, import_knowledge


class Command(BaseCommand):
    help = (
        "Load a knowledge-base JSON file written by export_knowledge. By default only missing "
        "rows are added; --update overwrites matching rows; --replace makes the knowledge base "
        "exactly the file. The file is checked in full first: on any error nothing is written."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="JSON file, or - for standard input.")
        mode = parser.add_mutually_exclusive_group()
        mode.add_argument("--update", action="store_true", help="Overwrite matching rows.")
        mode.add_argument(
            "--replace", action="store_true", help="Delete the knowledge base, then load the file."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        name = options["file"]
        try:
            text = sys.stdin.read() if name == "-" else Path(name).read_text(encoding="utf-8")
        except OSError as exc:
            raise CommandError(f"Cannot read {name}: {exc.strerror or exc}") from exc
        except UnicodeDecodeError as exc:
            raise CommandError(f"Cannot read {name}: it is not UTF-8 text.") from exc
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise CommandError(
                f"{name} is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}."
            ) from exc
        if isinstance(data, dict) and "format" not in data:
            raise CommandError(
                f'{name} is not a knowledge-base export: "format": {FORMAT} is missing.'
            )
        try:
            counts = import_knowledge([data], update=options["update"], replace=options["replace"])
        except KnowledgeFileError as exc:
            raise CommandError(f"Nothing was imported. {name}: {exc}") from exc
        self.stdout.write(
            "Imported: {created} created, {updated} updated, {skipped} kept as they were.".format(
                **counts
            )
        )
