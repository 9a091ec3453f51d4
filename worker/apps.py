from __future__ import annotations

from django.apps import AppConfig


class WorkerConfig(AppConfig):
    """The background worker: runs the site's tasks (django.tasks, kept in the database by
    django-tasks-db), retries the ones that fail and requeues the ones a dead worker left."""

    name = "worker"
    verbose_name = "Background worker"
