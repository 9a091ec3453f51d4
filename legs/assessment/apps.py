from __future__ import annotations

from django.apps import AppConfig


class AssessmentConfig(AppConfig):
    name = "legs.assessment"
    label = "assessment"
    verbose_name = "Assessment"
