"""A request id on every request and one access log line per request.

The id comes from the `X-Request-ID` header when a proxy in front sent a sane one (so a
request can be followed from the load balancer to the app), otherwise it is made here. It is
sent back on the response and attached to every log record written while the request runs.
settings.LOGGING writes the access lines as JSON (python-json-logger). README.md says why the
id is not django-guid's.
"""

from __future__ import annotations

import contextvars
import logging
import re
import time
import uuid
from collections.abc import Callable
from typing import Any

from django.core.signals import request_finished
from django.http import HttpRequest, HttpResponseBase
from django.utils.functional import SimpleLazyObject

from config.redact import redact

HEADER = "X-Request-ID"
REQUEST_LOGGER = "heavylegs.request"
# Anything else (too long, spaces, quotes, control characters) could forge log lines.
SANE_ID = re.compile(r"[A-Za-z0-9-]{1,64}")
NO_REQUEST = "-"

request_id_var: contextvars.ContextVar[str] = contextvars.ContextVar(
    "request_id", default=NO_REQUEST
)
logger = logging.getLogger(REQUEST_LOGGER)


def request_id_from(header: str | None) -> str:
    if header and SANE_ID.fullmatch(header):
        return header
    return uuid.uuid4().hex


def _user_id(request: HttpRequest) -> int | str | None:
    """The signed-in user's id, without loading the session just to log it."""
    user: Any = request.__dict__.get("user")
    if type(user) is SimpleLazyObject:
        # Only a user that the request itself already loaded is logged.
        user = request.__dict__.get("_cached_user")
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    pk: int | str | None = user.pk
    return pk


def forget_request_id(**kwargs: Any) -> None:
    request_id_var.set(NO_REQUEST)


class RequestIdMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response
        # Django logs 4xx and 5xx responses after the last middleware has returned, so the
        # id is kept until the response is closed rather than until this call ends.
        request_finished.connect(forget_request_id, dispatch_uid="forget_request_id")

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        request_id = request_id_from(request.headers.get(HEADER))
        request.request_id = request_id  # type: ignore[attr-defined]
        request_id_var.set(request_id)
        started = time.perf_counter()
        response = self.get_response(request)
        response[HEADER] = request_id
        # Reset and activation links carry a one-time token in the path (config.redact).
        path = redact(request.path)
        logger.info(
            "%s %s %s",
            request.method,
            path,
            response.status_code,
            extra={
                "method": request.method,
                "path": path,
                "status": response.status_code,
                "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                "user_id": _user_id(request),
            },
        )
        return response


class RequestIdFilter(logging.Filter):
    """Adds `request_id` to every record ("-" outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_var.get()
        return True
