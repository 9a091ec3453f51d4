from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from importlib import import_module
from typing import Any

from axes.handlers.proxy import AxesProxyHandler
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from axes.utils import reset as axes_reset
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.auth.signals import user_login_failed
from django.contrib.sessions.backends.base import SessionBase
from django.core import signing
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.http import urlsafe_base64_decode

from .emails import SiteAddress
from .models import LoginSession, User
from .tasks import send_signup_email
from .tokens import activation_token


@transaction.atomic
def account_delete(*, user: User) -> None:
    """Remove the user, every row they own and every session they are still logged in to.

    Owned rows (episodes, follow-ups, admin log entries, group memberships) hang off the user
    with on_delete=CASCADE, so deleting the user removes them in the same transaction. The
    login-protection records of django-axes hold the email address as text rather than a
    foreign key, so they are removed by address.
    """
    login_sessions_end(user=user)
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


def password_check(*, request: HttpRequest, user: User, password: str) -> bool:
    """Whether this is the user's password, tried like a login: a wrong one counts towards the
    account's login lockout (django-axes), and while it is locked out no password is tried.
    AxesMiddleware then answers with the lockout page, as for the login form. Used wherever a
    form asks for a password outside the login form (password change, account deletion, the
    activation password), so none of them can be used to guess it without the lockout."""
    credentials = {settings.AXES_USERNAME_FORM_FIELD: user.email}
    if getattr(settings, "AXES_ENABLED", True) and not AxesProxyHandler.is_allowed(
        request, credentials
    ):
        request.axes_locked_out = True  # type: ignore[attr-defined]
        user_login_failed.send(sender=__name__, credentials=credentials, request=request)
        return False
    if user.check_password(password):
        return True
    user_login_failed.send(sender=__name__, credentials=credentials, request=request)
    return False


# LOGIN SESSIONS

# When the login began (a POSIX timestamp): the session ends SESSION_COOKIE_AGE after it
# however active it is, and SESSION_IDLE_SECONDS after the last visit.
LOGIN_STARTED_SESSION_KEY = "accounts_login_started"


def login_session_deadline(session: SessionBase, now: datetime) -> datetime | None:
    """When this session should end if nothing else happens; None if it holds no login."""
    started = session.get(LOGIN_STARTED_SESSION_KEY)
    if not isinstance(started, int | float):
        return None
    return min(
        now + timedelta(seconds=settings.SESSION_IDLE_SECONDS),
        datetime.fromtimestamp(started, tz=UTC) + timedelta(seconds=settings.SESSION_COOKIE_AGE),
    )


def login_session_start(*, user: User, session: SessionBase) -> None:
    """A login has just happened in this session: start its lifetime and record it under the
    user, so login_sessions_end can find it."""
    now = timezone.now()
    session[LOGIN_STARTED_SESSION_KEY] = now.timestamp()
    session.set_expiry(login_session_deadline(session, now))
    if session.session_key is None:
        # Django's login() flushed the session of another user: store this one now, so it
        # has the key that is recorded below.
        session.save()
    LoginSession.objects.update_or_create(session_id=session.session_key, defaults={"user": user})


def login_sessions_end(*, user: User, keep: SessionBase | None = None) -> int:
    """End every session the user is logged in to except `keep`; returns how many ended.

    Each goes through the session store, so with Redis (cached_db) the cached copy goes with
    the database row; the LoginSession record goes with the row. `keep` (the session that
    changed the password) is recorded again, as changing the password gave it a new key.
    """
    others = LoginSession.objects.filter(user=user)
    if keep is not None:
        others = others.exclude(session_id=keep.session_key)
    store = import_module(settings.SESSION_ENGINE).SessionStore
    keys = list(others.values_list("session_id", flat=True))
    for key in keys:
        store().delete(key)
    if keep is not None and keep.session_key is not None:
        LoginSession.objects.update_or_create(session_id=keep.session_key, defaults={"user": user})
    return len(keys)


# SIGN-UP WITH A CONFIRMED EMAIL ADDRESS


class SignupOutcome(StrEnum):
    CREATED = "created"
    PENDING_RENEWED = "pending_renewed"
    ALREADY_REGISTERED = "already_registered"


@dataclass(frozen=True, slots=True)
class SignupResult:
    """What a sign-up did, and the marker the browser that made it keeps in its session
    (under PENDING_SIGNUP_SESSION_KEY)."""

    outcome: SignupOutcome
    browser_marker: dict[str, Any]


# The browser that made the latest sign-up for an account may follow the activation link
# straight in; any other browser is asked for the password chosen at sign-up. Without this,
# someone could sign up with another person's address (or sign up again after them, which
# replaces the pending password), and that person's click on the emailed link would log
# them in to an account whose password the other one knows.
PENDING_SIGNUP_SESSION_KEY = "accounts_pending_signup"
_SIGNUP_MARKER_SALT = "accounts.services.signup_marker"


def _password_check(user: User) -> str:
    # Bound to the stored hash, so a later sign-up (a new password) retires older markers.
    return salted_hmac(_SIGNUP_MARKER_SALT, user.password, algorithm="sha256").hexdigest()


def signup_marker(user: User | None) -> dict[str, Any]:
    """The session marker for a sign-up of this pending account; for a registered address an
    empty one, so every sign-up writes the session alike and tells nothing by it."""
    if user is None:
        return {"user": None, "check": ""}
    return {"user": user.pk, "check": _password_check(user)}


def signup_marker_matches(marker: object, user: User) -> bool:
    """Whether a session's marker comes from the latest sign-up for this account."""
    if not isinstance(marker, dict) or user.pk is None or marker.get("user") != user.pk:
        return False
    check = marker.get("check")
    return isinstance(check, str) and constant_time_compare(check, _password_check(user))


def signup_request(
    *,
    email: str,
    password: str,
    display_name: str,
    distance_unit: str,
    site: SiteAddress,
    next_url: str | None = None,
) -> SignupResult:
    """Start an account for this address, or tell the address's owner that someone tried.

    The visitor sees the same answer in every case, so sign-up cannot be used to find out
    whether an address is registered; only the mailbox learns which case it was. Each branch
    hashes the submitted password once and queues one email for the worker (none waits on
    the mail server), so they take about the same time.
    """
    # Hash before the transaction: on SQLite the write lock would otherwise be held for the
    # whole (deliberately slow) hash, and concurrent sign-ups would queue behind it.
    password_hash = make_password(password)
    outcome, user = _signup_write(
        email=email,
        password_hash=password_hash,
        display_name=display_name,
        distance_unit=distance_unit,
    )
    signup_email_queue(user=user, site=site, next_url=next_url)
    marker = signup_marker(None if outcome is SignupOutcome.ALREADY_REGISTERED else user)
    return SignupResult(outcome=outcome, browser_marker=marker)


@transaction.atomic
def _signup_write(
    *, email: str, password_hash: str, display_name: str, distance_unit: str
) -> tuple[SignupOutcome, User]:
    email = User.objects.normalize_email(email).lower()
    user = User.objects.select_for_update().filter(email__iexact=email).first()
    if user is None:
        try:
            with transaction.atomic():
                created = User(
                    email=email,
                    password=password_hash,
                    is_active=False,
                    display_name=display_name,
                    distance_unit=distance_unit,
                )
                created.save()
        except IntegrityError:
            # A sign-up with the same address committed first: carry on as if it had been there.
            user = User.objects.select_for_update().get(email__iexact=email)
        else:
            return SignupOutcome.CREATED, created
    if user.is_pending:
        # The latest sign-up wins; its new password retires the links sent before.
        user.password = password_hash
        user.display_name = display_name
        user.distance_unit = distance_unit
        user.save(update_fields=["password", "display_name", "distance_unit"])
        return SignupOutcome.PENDING_RENEWED, user
    return SignupOutcome.ALREADY_REGISTERED, user


def signup_email_queue(*, user: User, site: SiteAddress, next_url: str | None = None) -> None:
    """Have the worker email the account's address: its activation link while it is pending,
    or else a notice that someone tried to sign up with it (accounts.tasks)."""
    send_signup_email.enqueue(
        user_id=user.pk, protocol=site.protocol, domain=site.domain, next_url=next_url
    )


def activation_link_user(*, uidb64: str, token: str) -> User | None:
    """The pending account an activation link is for, or None if the link is no good
    (mangled, for another kind of link, expired, already used or replaced by a newer one)."""
    try:
        user = User.objects.get(pk=urlsafe_base64_decode(uidb64).decode())
    except (TypeError, ValueError, OverflowError, ValidationError, User.DoesNotExist):
        return None
    if user.is_pending and activation_token.check_token(user, token):
        return user
    return None


@transaction.atomic
def account_activate(*, user: User) -> None:
    """The address is confirmed: the account can log in, and any lockout from tries made
    before confirming is lifted (the owner has just proved they hold the mailbox)."""
    user.is_active = True
    user.save(update_fields=["is_active"])
    login_lockout_clear(user=user)


def activation_resend(*, email: str, site: SiteAddress, next_url: str | None = None) -> bool:
    """Send a fresh activation link if a pending account uses this address; True if sent.

    The caller answers the same either way."""
    user = User.objects.pending().filter(email__iexact=email.strip()).first()
    if user is None:
        return False
    signup_email_queue(user=user, site=site, next_url=next_url)
    return True


# FOLLOW-UP REMINDERS

# The link in every reminder that switches them off, without logging in: signed, so only
# the account's own emails carry a working one. It does nothing else, so it never expires
# (a mail program may offer it as one-click unsubscribe long after the email came).
_REMINDERS_STOP_SALT = "accounts.services.reminders_stop"


def reminders_stop_path(user: User) -> str:
    token = signing.Signer(salt=_REMINDERS_STOP_SALT).sign(str(user.pk))
    return reverse("accounts:reminders_stop", kwargs={"token": token})


def reminders_stop_user(token: str) -> User | None:
    """The account a reminders link is for, or None if the link was not made by the site."""
    try:
        user_id = signing.Signer(salt=_REMINDERS_STOP_SALT).unsign(token)
    except signing.BadSignature:
        return None
    return User.objects.filter(pk=user_id).first()


def reminders_switch_off(*, user: User) -> None:
    """No more follow-up reminders for this account (the profile page switches them back on)."""
    User.objects.filter(pk=user.pk).update(follow_up_reminders=False)
    user.follow_up_reminders = False
