from __future__ import annotations

import os
from typing import Any

import pytest
from django.db.models import Model

# Playwright's sync API runs an event loop in the test thread; Django's live_server
# is still called synchronously, which is safe here.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
os.environ.setdefault("SECRET_KEY", "test-only-secret-key-not-for-production")

# Browser fixtures (browser, site, page_at) for the tests marked "browser".
pytest_plugins = ["tests.browser"]


@pytest.fixture(autouse=True)
def _fresh_knowledge_cache() -> None:
    from django.core.cache import caches

    from legs.knowledge.published import clear_local_cache

    clear_local_cache()
    for alias in ("default", "local"):
        caches[alias].clear()


# The seed knowledge base's rows, model by model in the order they can be inserted in.
SeedRows = list[tuple[type[Model], list[dict[str, Any]]]]


@pytest.fixture(scope="session")
def seed_rows(django_db_setup: None, django_db_blocker: Any) -> SeedRows:
    """The seed knowledge base as the run command loads it, read once per test session."""
    from django.core.management import call_command
    from django.db import transaction

    from legs.knowledge.models import (
        Cause,
        Choice,
        Evidence,
        Faq,
        KnowledgeRevision,
        Question,
        Remedy,
        Rule,
        RuleCondition,
        RuleEvidence,
        Source,
        Step,
    )

    models: list[type[Model]] = [
        KnowledgeRevision, Cause, Source, Remedy, Step, Question, Choice, Evidence, Rule,
        RuleCondition, RuleEvidence, Faq, Faq.causes.through,
    ]  # fmt: skip
    with django_db_blocker.unblock(), transaction.atomic():
        call_command("load_knowledge_base", verbosity=0)
        rows = [(model, list(model._default_manager.values())) for model in models]
        # Nothing is left behind: each test that asks for the seed gets its own copy.
        transaction.set_rollback(True)
    return rows


@pytest.fixture
def seeded(db: None, seed_rows: SeedRows) -> None:
    """The seed knowledge base, as the run command loads it (inserted from the rows read
    once per session: the loader itself takes seconds)."""
    from django.core.management.color import no_style
    from django.db import connection

    for model, rows in seed_rows:
        model._default_manager.bulk_create(model(**row) for row in rows)
    # Rows inserted with their ids leave PostgreSQL's sequences behind; set them past them.
    with connection.cursor() as cursor:
        for sql in connection.ops.sequence_reset_sql(no_style(), [m for m, _ in seed_rows]):
            cursor.execute(sql)


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings: Any) -> None:
    """Real hashers take ~0.3 s per password on purpose; tests only need hashing to work."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def database_tasks(settings: Any) -> None:
    """The production backend: tasks wait in the database until a worker runs them
    (tests.factories.run_worker). Tests that run the worker commit for real, with
    @pytest.mark.django_db(transaction=True): it closes its connection between tasks."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
