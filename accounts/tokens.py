from __future__ import annotations

from django.contrib.auth.tokens import PasswordResetTokenGenerator

from .models import User


class ActivationTokenGenerator(PasswordResetTokenGenerator):
    """One-time links that confirm a new account's email address.

    Its own salt keeps activation and password-reset links apart. Activation flips is_active
    and logging in sets last_login, both in the hash, so a link works once; a new password
    (signing up again) retires the links sent before it. Links expire after
    PASSWORD_RESET_TIMEOUT, like reset links.
    """

    key_salt = "accounts.tokens.ActivationTokenGenerator"

    def _make_hash_value(self, user: User, timestamp: int) -> str:
        return f"{super()._make_hash_value(user, timestamp)}{user.is_active}"


activation_token = ActivationTokenGenerator()
