"""Public pages kept in the cache for visitors who are not logged in."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib.messages import get_messages
from django.http import HttpRequest, HttpResponseBase
from django.utils.cache import add_never_cache_headers
from django.views.decorators.cache import cache_page

from .models import KnowledgeRevision

View = Callable[..., HttpResponseBase]


def cache_public_page(view: View) -> View:
    """Django's `cache_page` for anonymous visitors, under the knowledge base's revision.

    A logged-in visitor's page shows their own header (and the home page their history), so
    it is drawn afresh, never from nor into the cache, and marked for no browser or proxy to
    keep (`private, no-store`): after logging in or out, nobody sees the other kind of page.
    The revision
    in the key prefix makes an editor's change show at once on every server; Django's cache
    middleware adds `Vary: Cookie`. Pages
    are kept per process (the "local" cache), so a deploy never serves the previous
    build's pages, with their links to static files that are gone.
    """

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        seconds: int = settings.PUBLIC_PAGE_CACHE_SECONDS
        # A page with a message waiting is one visitor's own (Django's cache middleware keys
        # the page on the address alone, and the message cookie is written after it).
        # len() looks at the messages without marking them as shown.
        if request.user.is_authenticated:
            personal = view(request, *args, **kwargs)
            add_never_cache_headers(personal)
            return personal
        if seconds <= 0 or len(get_messages(request)):
            return view(request, *args, **kwargs)
        _, revision = KnowledgeRevision.current()
        cached = cache_page(seconds, cache="local", key_prefix=f"public-{revision}")(view)
        response: HttpResponseBase = cached(request, *args, **kwargs)
        return response

    return wrapper
