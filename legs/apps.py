from __future__ import annotations

from django.apps import AppConfig


class LegsConfig(AppConfig):
    """The migrations of the tables from before the domain was split into the knowledge,
    assessment and history apps. It has no models: its last migration hands the tables to
    those apps, so databases created before the split move over without copying a row."""

    name = "legs"
    verbose_name = "Heavy Legs tables before the split"
