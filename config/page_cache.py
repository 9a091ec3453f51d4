"""Rendered public pages for anonymous visitors, kept in the cache.

The home page, the cause pages, the FAQ and the warning signs are the same for every visitor
who is not logged in, and rendering them costs far more than serving them. A page is kept
only when it is certainly nobody's own: a GET or HEAD without a session or messages cookie,
a 200 that set no cookie, used no CSRF token, changed no session and added no message. The
key holds the knowledge base's revision, so an editor's change shows within a second.
Logged-in runners always get freshly rendered pages. PAGE_CACHE_SECONDS=0 switches it off.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.utils.cache import patch_vary_headers

logger = logging.getLogger(__name__)
MESSAGES_COOKIE = "messages"
_KEY = "_page_cache_key"
# How long a process trusts the revision it last read. A cached page then costs no query at
# all, and an editor's change reaches every visitor within this second.
REVISION_SECONDS = 1.0
_revision_seen: tuple[float, str] = (float("-inf"), "")
_revision_lock = threading.Lock()


def _revision() -> str:
    global _revision_seen
    read_at, token = _revision_seen
    now = time.monotonic()
    if now - read_at < REVISION_SECONDS:
        return token
    from legs.models import KnowledgeRevision

    token = KnowledgeRevision.current()[1]
    with _revision_lock:
        _revision_seen = (now, token)
    return token


def forget_revision() -> None:
    global _revision_seen
    with _revision_lock:
        _revision_seen = (float("-inf"), "")


def page_key(request: HttpRequest) -> str:
    path = hashlib.sha256(request.path.encode()).hexdigest()
    return f"pagecache:{_revision()}:{path}"


def _is_anonymous_and_plain(request: HttpRequest) -> bool:
    cookies = request.COOKIES
    return (
        request.method in ("GET", "HEAD")
        # Any query string is rendered afresh: random ones must not fill the cache.
        and not request.META.get("QUERY_STRING")
        and settings.SESSION_COOKIE_NAME not in cookies
        and MESSAGES_COOKIE not in cookies
    )


def _is_nobodys_own(request: HttpRequest, response: HttpResponseBase) -> bool:
    session: Any = getattr(request, "session", None)
    messages: Any = getattr(request, "_messages", None)
    return (
        isinstance(response, HttpResponse)
        and not response.streaming
        and response.status_code == 200
        and not response.cookies
        and not response.has_header("Vary")
        and "private" not in response.get("Cache-Control", "")
        and "no-store" not in response.get("Cache-Control", "")
        and not request.META.get("CSRF_COOKIE_NEEDS_UPDATE")
        and not (session is not None and session.modified)
        and not (messages is not None and getattr(messages, "added_new", False))
    )


class AnonymousPageCacheMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        key: str | None = getattr(request, _KEY, None)
        if key is not None and request.method == "GET" and _is_nobodys_own(request, response):
            assert isinstance(response, HttpResponse)  # noqa: S101 - checked just above
            entry = (response.content, response["Content-Type"])
            try:
                cache.set(key, entry, timeout=settings.PAGE_CACHE_SECONDS)
            except Exception:
                logger.exception("A page could not be cached")
        return response

    def process_view(
        self,
        request: HttpRequest,
        view_func: Callable[..., Any],
        view_args: tuple[Any, ...],
        view_kwargs: dict[str, Any],
    ) -> HttpResponse | None:
        seconds: int = getattr(settings, "PAGE_CACHE_SECONDS", 0)
        match = request.resolver_match
        views: frozenset[str] | set[str] = getattr(settings, "PAGE_CACHE_VIEWS", frozenset())
        if seconds <= 0 or match is None or match.view_name not in views:
            return None
        if not _is_anonymous_and_plain(request):
            return None
        try:
            key = page_key(request)
            entry = cache.get(key)
        except Exception:
            logger.exception("The page cache is unavailable")
            return None
        if entry is None:
            setattr(request, _KEY, key)
            return None
        content, content_type = entry
        response = HttpResponse(content, content_type=content_type)
        # The page differs for logged-in runners: a shared proxy must not hand it to them.
        patch_vary_headers(response, ("Cookie",))
        return response
