"""Ends a login after SESSION_IDLE_SECONDS without a visit, and SESSION_COOKIE_AGE after it
began however active it is."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from django.conf import settings
from django.http import HttpRequest, HttpResponseBase
from django.utils import timezone

from .services import login_session_deadline

# The stored expiry is moved forward only once it has fallen this far behind the deadline, so
# that an active login is written about once an hour, not on every request (the idle timeout
# is thus kept to within this much).
RENEW_AFTER = timedelta(hours=1)


class SessionLifetimeMiddleware:
    """Slides a login session's expiry forward as it is used, never past its absolute end.

    The session stores (database row, cached copy, cookie) already refuse a session past its
    expiry, so keeping that expiry right is all it takes: login_session_start sets it at login.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        session = getattr(request, "session", None)
        # A session nobody read this request costs nothing, and one without a login is left
        # to Django's own expiry (SESSION_COOKIE_AGE from its last change).
        if session is None or not session.accessed or session.is_empty():
            return response
        now = timezone.now()
        deadline = login_session_deadline(session, now)
        if deadline is None:
            return response
        slack = min(RENEW_AFTER, timedelta(seconds=settings.SESSION_IDLE_SECONDS) / 10)
        if deadline - session.get_expiry_date() > slack:
            session.set_expiry(deadline)
        return response
