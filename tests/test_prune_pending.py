from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from accounts.models import User
from tests.factories import make_user

pytestmark = pytest.mark.django_db


def pending(email: str, days_old: int) -> User:
    user = User.objects.create_user(email=email, password="x-long-password-1", is_active=False)
    User.objects.filter(pk=user.pk).update(date_joined=timezone.now() - timedelta(days=days_old))
    return user


def test_only_old_unconfirmed_accounts_are_deleted() -> None:
    old = pending("old@example.com", days_old=10)
    fresh = pending("fresh@example.com", days_old=1)
    active = make_user("active@example.com")
    switched_off = make_user("off@example.com")
    User.objects.filter(pk=switched_off.pk).update(
        is_active=False, last_login=timezone.now(), date_joined=timezone.now() - timedelta(days=90)
    )
    out = StringIO()
    call_command("prune_pending_accounts", stdout=out)
    assert "Deleted 1 unconfirmed account(s)" in out.getvalue()
    remaining = set(User.objects.values_list("pk", flat=True))
    assert remaining == {fresh.pk, active.pk, switched_off.pk}
    assert old.pk not in remaining


def test_dry_run_deletes_nothing() -> None:
    pending("old@example.com", days_old=30)
    out = StringIO()
    call_command("prune_pending_accounts", "--dry-run", stdout=out)
    assert "1 unconfirmed account(s) would be deleted" in out.getvalue()
    assert User.objects.count() == 1


def test_a_zero_day_window_is_refused() -> None:
    with pytest.raises(CommandError, match="--days must be 1 or more"):
        call_command("prune_pending_accounts", "--days", "0")
