from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from legs.knowledge.exchange import export_knowledge


class Command(BaseCommand):
    help = (
        "Write the whole knowledge base (published or not) as JSON, to a file or to standard "
        "output. import_knowledge reads it back."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", nargs="?", default="-", help="Output file, or - for stdout.")

    def handle(self, *args: Any, **options: Any) -> None:
        text = json.dumps(export_knowledge(), indent=2, ensure_ascii=False) + "\n"
        if options["file"] == "-":
            self.stdout.write(text, ending="")
            return
        try:
            Path(options["file"]).write_text(text, encoding="utf-8")
        except OSError as exc:
            raise CommandError(f"Cannot write {options['file']}: {exc.strerror or exc}") from exc
        self.stderr.write(f"Knowledge base written to {options['file']}.")
