from __future__ import annotations

import os
from typing import Any

import pytest

# Playwright's sync API runs an event loop in the test thread; Django's live_server
# is still called synchronously, which is safe here.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
os.environ.setdefault("SECRET_KEY", "test-only-secret-key-not-for-production")

# Browser fixtures (browser, site, page_at) for the tests marked "browser".
pytest_plugins = ["tests.browser"]


@pytest.fixture(autouse=True)
def _fresh_knowledge_cache() -> None:
    from django.core.cache import cache

    from legs.knowledge.published import clear_local_cache

    clear_local_cache()
    cache.clear()


@pytest.fixture
def seeded(db: None) -> None:
    """The seed knowledge base, as the run command loads it."""
    from django.core.management import call_command

    call_command("load_knowledge_base", verbosity=0)


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings: Any) -> None:
    """Real hashers take ~0.3 s per password on purpose; tests only need hashing to work."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
