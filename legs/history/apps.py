from __future__ import annotations

from django.apps import AppConfig


class HistoryConfig(AppConfig):
    name = "legs.history"
    label = "history"
    verbose_name = "Episode history"
