from __future__ import annotations

from django.apps import AppConfig


class LegsConfig(AppConfig):
    name = "legs"
    verbose_name = "Heavy legs knowledge base"
