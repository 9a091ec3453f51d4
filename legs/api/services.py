"""Creating and revoking a runner's API tokens."""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from accounts.models import User

from .models import PREFIX_LENGTH, ApiToken, digest_of, new_secret


@transaction.atomic
def token_create(
    *, owner: User, name: str, scope: str, lifetime: timedelta
) -> tuple[ApiToken, str]:
    """A new token and its secret, which is shown once and never stored."""
    secret = new_secret()
    token = ApiToken(
        owner=owner,
        name=name,
        prefix=secret[:PREFIX_LENGTH],
        digest=digest_of(secret),
        scope=scope,
        expires_at=timezone.now() + lifetime,
        password_marker=owner.get_session_auth_hash(),
    )
    token.full_clean()
    token.save()
    return token, secret


@transaction.atomic
def token_revoke(*, token: ApiToken) -> None:
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])


@transaction.atomic
def tokens_revoke(*, tokens: QuerySet[ApiToken]) -> int:
    """Revoke every token in `tokens` that is not revoked yet; returns how many were."""
    revoked: int = tokens.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())
    return revoked
