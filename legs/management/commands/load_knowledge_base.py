from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from legs.exchange import KnowledgeFileError, import_knowledge, seed_documents


class Command(BaseCommand):
    help = (
        "Load the seed knowledge base (causes, remedies, questions, FAQ). Safe to re-run: rows "
        "that exist are left as editors changed them unless --reset is given."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--reset",
            action="store_true",
            help="Overwrite existing rows with the seed content (editors' changes are lost).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            counts = import_knowledge(seed_documents(), update=options["reset"])
        except KnowledgeFileError as exc:
            raise CommandError(f"Seed content is invalid: {exc}") from exc
        self.stdout.write(
            "Knowledge base: {created} created, {updated} updated, {skipped} kept as they were.".format(
                **counts
            )
        )
