from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from legs.api.api import api

DEFAULT_PATH = Path(settings.BASE_DIR) / "docs" / "openapi.json"


def openapi_text() -> str:
    """The API's OpenAPI document as checked into docs/openapi.json."""
    schema = api.get_openapi_schema(path_prefix="/api/v1/")
    return json.dumps(schema, indent=2, ensure_ascii=False, sort_keys=True) + "\n"


class Command(BaseCommand):
    help = (
        "Write the API's OpenAPI document to docs/openapi.json (or FILE); with --check, "
        "exit non-zero when the file differs from the live document instead."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", nargs="?", default=str(DEFAULT_PATH))
        parser.add_argument("--check", action="store_true")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        text = openapi_text()
        if options["check"]:
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                raise CommandError(f"{path} is out of date: run manage.py write_openapi")
            return
        path.write_text(text, encoding="utf-8")
        self.stdout.write(f"Wrote {path}")
