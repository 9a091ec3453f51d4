from __future__ import annotations

from django.db import transaction

from .models import User


@transaction.atomic
def account_delete(*, user: User) -> None:
    """Remove the user and every row they own.

    Owned rows (episodes, follow-ups, login records) hang off the user with
    on_delete=CASCADE, so deleting the user removes them in the same transaction.
    """
    from axes.models import AccessAttempt, AccessLog

    AccessAttempt.objects.filter(username__iexact=user.email).delete()
    AccessLog.objects.filter(username__iexact=user.email).delete()
    user.delete()
