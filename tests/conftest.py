from __future__ import annotations

import os

import pytest

# Playwright's sync API runs an event loop in the test thread; Django's live_server
# is still called synchronously, which is safe here.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
os.environ.setdefault("SECRET_KEY", "test-only-secret-key-not-for-production")


@pytest.fixture(autouse=True)
def _fresh_knowledge_cache() -> None:
    from django.core.cache import cache

    from legs.knowledge import clear_local_cache

    clear_local_cache()
    cache.clear()


@pytest.fixture
def seeded(db: None) -> None:
    """The seed knowledge base, as the run command loads it."""
    from django.core.management import call_command

    call_command("load_knowledge_base", verbosity=0)
