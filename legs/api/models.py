"""Personal access tokens: how a runner lets an app of theirs read (or write) their history.

Only a SHA-256 digest of each token is stored, with a short visible prefix so the runner can
tell their tokens apart. A token carries 256 random bits, so a plain digest cannot be
guessed back (a slow password hash would only slow down every API request).
"""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.crypto import constant_time_compare

# Every token starts with this, so a leaked one is easy to recognise (and to scan for).
TOKEN_START = "hl_"  # noqa: S105 - a marker, not a secret
# The start of the token shown on the tokens page: TOKEN_START and 6 random characters.
PREFIX_LENGTH = 9
# How many days a new token lasts, offered on the tokens page; every token expires.
EXPIRY_DAYS = (7, 30, 90, 365)
DEFAULT_EXPIRY_DAYS = 90


def digest_of(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def new_secret() -> str:
    return TOKEN_START + secrets.token_urlsafe(32)


class TokenScope(models.TextChoices):
    READ = "read", "Read your history"
    READ_WRITE = "read_write", "Read and add to your history"


class ApiTokenQuerySet(models.QuerySet["ApiToken"]):
    def for_user(self, user: Any) -> ApiTokenQuerySet:
        """The tokens `user` owns; nothing at all for anyone not logged in."""
        if not getattr(user, "is_authenticated", False):
            return self.none()
        return self.filter(owner=user)


class ApiToken(models.Model):
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(max_length=80, help_text="The runner's name for it, e.g. “Watch app”.")
    prefix = models.CharField(max_length=PREFIX_LENGTH, help_text="The token's visible start.")
    digest = models.CharField(max_length=64, unique=True, help_text="SHA-256 of the token.")
    scope = models.CharField(max_length=10, choices=TokenScope.choices, default=TokenScope.READ)
    expires_at = models.DateTimeField()
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    # The owner's session hash (derived from their password) when the token was made: a
    # password change or reset ends every token, as it ends every other session.
    password_marker = models.CharField(max_length=128, default="", editable=False)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        ordering = ("-created_at", "-pk")
        verbose_name = "API token"

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def can_write(self) -> bool:
        return self.scope == TokenScope.READ_WRITE

    @property
    def expired(self) -> bool:
        return self.expires_at <= timezone.now()

    @property
    def password_changed(self) -> bool:
        """The owner's password changed since the token was made (the token is over)."""
        return not constant_time_compare(self.password_marker, self.owner.get_session_auth_hash())

    @property
    def active(self) -> bool:
        return self.revoked_at is None and not self.expired and not self.password_changed

    def status(self) -> str:
        if self.revoked_at is not None:
            return "revoked"
        if self.password_changed:
            return "ended by a password change"
        return "expired" if self.expired else "active"
