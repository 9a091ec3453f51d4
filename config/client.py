"""The client's address, as login lockouts (axes) and rate limits (django-ratelimit) see it."""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest

# Stands for "no usable address" (a Unix socket, a broken proxy): such clients share one count,
# and the value still fits the IP address columns axes writes.
UNKNOWN = "0.0.0.0"  # noqa: S104 - a value to count under, nothing listens on it


def _address(text: str) -> str | None:
    try:
        return str(ipaddress.ip_address(text.strip()))
    except ValueError:
        return None


def client_ip(request: HttpRequest) -> str:
    """REMOTE_ADDR, or behind PROXY_COUNT proxies the address the outermost of them saw.

    Each proxy appends the address it was reached from to X-Forwarded-For, so only the last
    PROXY_COUNT entries were written by proxies we run; anything left of them came from the
    client and may be forged.
    """
    proxy_count: int = settings.PROXY_COUNT
    if proxy_count > 0:
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
        if len(forwarded) >= proxy_count:
            seen = _address(forwarded[-proxy_count])
            if seen is not None:
                return seen
    return _address(request.META.get("REMOTE_ADDR", "")) or UNKNOWN
