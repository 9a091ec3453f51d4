"""Rate limits on the forms that attackers hammer, counted by django-ratelimit in the cache.

With Redis (CACHE_URL=redis://…) every app server counts together; with the per-process memory
cache each process counts alone, which still slows a single attacker down.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import wraps
from typing import Any, Concatenate

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import render
from django_ratelimit.core import get_usage

logger = logging.getLogger(__name__)


def too_many_tries(request: HttpRequest, seconds_left: int) -> HttpResponse:
    seconds_left = max(1, seconds_left)
    response = render(
        request,
        "429.html",
        {"retry_minutes": max(1, round(seconds_left / 60))},
        status=429,
    )
    response["Retry-After"] = str(seconds_left)
    return response


def post_usage(request: HttpRequest, fn: Callable[..., Any]) -> dict[str, Any] | None:
    """Counts a POST to `fn` against settings.RATELIMIT_RATE for the client's address.

    django-ratelimit's usage (`should_limit`, `time_left`…), or None when nothing was counted
    (not a POST, rate limits off, or the cache unavailable).
    """
    try:
        # key "ip" is config.client.client_ip, through RATELIMIT_IP_META_KEY.
        usage: dict[str, Any] | None = get_usage(
            request,
            fn=fn,
            key="ip",
            rate=settings.RATELIMIT_RATE,
            method="POST",
            increment=True,
        )
    except Exception:
        # A cache outage must not lock everybody out of logging in; /healthz reports it.
        logger.exception("Rate limit not checked: the cache is unavailable")
        return None
    return usage


def limit_posts[**P](
    view: Callable[Concatenate[HttpRequest, P], HttpResponseBase],
) -> Callable[Concatenate[HttpRequest, P], HttpResponseBase]:
    """Answers 429 to POSTs beyond settings.RATELIMIT_RATE from one client address.

    Built on get_usage rather than the @ratelimit decorator: the decorator lets a cache outage
    through as a 500 and its exception does not say when the window ends (Retry-After).
    """

    @wraps(view)
    def limited(request: HttpRequest, /, *args: P.args, **kwargs: P.kwargs) -> HttpResponseBase:
        usage = post_usage(request, view)
        if usage is not None and usage["should_limit"]:
            # The URL name, not the path: an activation path holds a secret token.
            match = request.resolver_match
            name = match.view_name if match is not None else "?"
            logger.warning("Rate limit %s reached on %s", settings.RATELIMIT_RATE, name)
            return too_many_tries(request, int(usage["time_left"]))
        return view(request, *args, **kwargs)

    return limited
