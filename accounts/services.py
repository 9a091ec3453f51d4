from __future__ import annotations

from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from axes.utils import reset as axes_reset
from django.db import transaction

from .models import User


@transaction.atomic
def account_delete(*, user: User) -> None:
    """Remove the user and every row they own.

    Owned rows (episodes, follow-ups, admin log entries, group memberships) hang off the user
    with on_delete=CASCADE, so deleting the user removes them in the same transaction. The
    login-protection records of django-axes hold the email address as text rather than a
    foreign key, so they are removed by address.
    """
    for model in (AccessAttempt, AccessFailureLog, AccessLog):
        model.objects.filter(username__iexact=user.email).delete()
    user.delete()


def login_lockout_clear(*, user: User) -> int:
    """Lift a login lockout for this account; returns how many failure records were removed.

    Called once the person has proved they own the address by following a password reset link,
    so the new password works at once instead of after the cool-off.
    """
    removed: int = axes_reset(username=user.email)
    return removed
