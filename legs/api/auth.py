"""Who is calling: a personal access token (Authorization: Bearer …) or the site's session.

The session is for the site's own pages and is CSRF-checked (ninja's `django_auth`); a
token is for a runner's apps, and a read token cannot write.
"""

from __future__ import annotations

from datetime import timedelta

from django.http import HttpRequest
from django.utils import timezone
from ninja.errors import HttpError
from ninja.security import HttpBearer, django_auth

from accounts.models import User

from .models import ApiToken, digest_of

# last_used_at is written at most this often per token: a busy app does not write a row on
# every request.
LAST_USED_PRECISION = timedelta(minutes=1)


class BearerToken(HttpBearer):
    def __init__(self, *, write: bool = False) -> None:
        super().__init__()
        self.write = write

    def authenticate(self, request: HttpRequest, token: str) -> User:
        found = ApiToken.objects.select_related("owner").filter(digest=digest_of(token)).first()
        if found is None or not found.owner.is_active:
            raise HttpError(401, "Unknown API token.")
        if found.revoked_at is not None:
            raise HttpError(401, "This API token has been revoked.")
        if found.expired:
            raise HttpError(401, "This API token has expired.")
        if found.password_changed:
            raise HttpError(401, "This API token ended when the account's password changed.")
        if self.write and not found.can_write:
            raise HttpError(403, "This API token can only read; create a read and write token.")
        now = timezone.now()
        if found.last_used_at is None or now - found.last_used_at > LAST_USED_PRECISION:
            ApiToken.objects.filter(pk=found.pk).update(last_used_at=now)
        return found.owner


READ = [BearerToken(), django_auth]
WRITE = [BearerToken(write=True), django_auth]


def runner(request: HttpRequest) -> User:
    """The runner the request acts for (set by READ or WRITE)."""
    user = request.auth  # type: ignore[attr-defined]
    assert isinstance(user, User)  # noqa: S101 - both READ and WRITE return a User
    return user
