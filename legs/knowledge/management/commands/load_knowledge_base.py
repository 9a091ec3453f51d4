from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from legs.knowledge.exchange import KnowledgeFileError, import_knowledge, seed_documents


class Command(BaseCommand):
    help = (
        "Load the seed knowledge base (causes, remedies, questions, FAQ). Safe to re-run: only "
        "missing rows are added, and rows that exist stay as editors changed them unless "
        "--reset is given."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--reset",
            action="store_true",
            help="Overwrite the seed rows with the seed content (editors' changes to them are "
            "lost; causes and questions editors added are kept).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            counts = import_knowledge(seed_documents(), update=options["reset"])
        except KnowledgeFileError as exc:
            raise CommandError(f"Seed content is invalid, nothing was loaded. {exc}") from exc
        if options["verbosity"] > 0:
            self.stdout.write(
                f"Knowledge base: {counts['created']} created, {counts['updated']} updated, "
                f"{counts['skipped']} kept as they were."
            )
