"""Rate limits on the forms that attackers hammer: sign-up, log-in and password reset.

A fixed-window counter per client address and form, kept in the cache. With Redis
(CACHE_URL=redis://…) every app server counts together; with the per-process memory cache
each process counts alone, which still slows a single attacker down.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import render

logger = logging.getLogger(__name__)

_RATE = re.compile(r"^\s*(\d+)\s*/\s*(\d*)\s*([smhd])\s*$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


@dataclass(frozen=True, slots=True)
class Rate:
    limit: int
    period: int

    def __str__(self) -> str:
        return f"{self.limit} per {self.period} s"


def parse_rate(text: str) -> Rate:
    """“20/m” → 20 per minute; “100/5m” → 100 per five minutes."""
    match = _RATE.match(text)
    if match is None or int(match[1]) < 1:
        raise ImproperlyConfigured(
            f"A rate limit must look like 20/m (count / s, m, h or d), got {text!r}."
        )
    return Rate(limit=int(match[1]), period=int(match[2] or 1) * _UNIT_SECONDS[match[3]])


def client_address(request: HttpRequest, proxy_count: int) -> str:
    """The client's address: REMOTE_ADDR, or the one the nearest trusted proxy saw."""
    if proxy_count > 0:
        forwarded = [
            part.strip()
            for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
            if part.strip()
        ]
        if len(forwarded) >= proxy_count:
            return str(forwarded[-proxy_count])[:64]
    return str(request.META.get("REMOTE_ADDR", ""))[:64]


def hit(key: str, rate: Rate, now: float | None = None) -> tuple[bool, int]:
    """Count one request; (allowed, seconds until the window ends)."""
    now = time.time() if now is None else now
    window = int(now // rate.period)
    retry_after = max(1, int((window + 1) * rate.period - now))
    cache_key = f"ratelimit:{key}:{window}"
    cache.add(cache_key, 0, timeout=rate.period + 1)
    try:
        count = cache.incr(cache_key)
    except ValueError:
        # The window's key expired between add() and incr(): this is its first request.
        cache.set(cache_key, 1, timeout=rate.period + 1)
        count = 1
    return count <= rate.limit, retry_after


class RateLimitMiddleware:
    """Answers 429 to POSTs beyond the rate on the URL names in settings.RATELIMIT_VIEWS."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response
        # A mistyped rate stops the server at start-up with a clear message.
        for rate in getattr(settings, "RATELIMIT_VIEWS", {}).values():
            parse_rate(rate)

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        return self.get_response(request)

    def process_view(
        self,
        request: HttpRequest,
        view_func: Callable[..., Any],
        view_args: tuple[Any, ...],
        view_kwargs: dict[str, Any],
    ) -> HttpResponse | None:
        if request.method != "POST" or not getattr(settings, "RATELIMIT_ENABLE", True):
            return None
        match = request.resolver_match
        views: Mapping[str, str] = getattr(settings, "RATELIMIT_VIEWS", {})
        if match is None or match.view_name not in views:
            return None
        rate = parse_rate(views[match.view_name])
        address = client_address(request, int(getattr(settings, "RATELIMIT_PROXY_COUNT", 0)))
        try:
            allowed, retry_after = hit(f"{match.view_name}:{address}", rate)
        except Exception:
            # A cache outage must not lock everybody out of logging in; /healthz reports it.
            logger.exception("Rate limit not checked: the cache is unavailable")
            return None
        if allowed:
            return None
        logger.warning("Rate limit %s reached on %s", rate, match.view_name)
        response = render(
            request,
            "429.html",
            {"retry_minutes": max(1, round(retry_after / 60))},
            status=429,
        )
        response["Retry-After"] = str(retry_after)
        return response
