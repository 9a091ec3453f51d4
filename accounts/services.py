from __future__ import annotations

import email.message
import email.policy
import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.policy import Policy
from enum import StrEnum
from importlib import import_module
from typing import Any
from urllib.parse import urlencode

from axes.handlers.proxy import AxesProxyHandler
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from axes.utils import reset as axes_reset
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.auth.signals import user_login_failed
from django.contrib.sessions.backends.base import SessionBase
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.template import loader
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_decode, urlsafe_base64_encode

from .models import LoginSession, User
from .tokens import activation_token

logger = logging.getLogger(__name__)


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


@dataclass(frozen=True, slots=True)
class SiteAddress:
    """Where links in emails point: the scheme and host the request came to, as in Django's
    password reset (the host is one of ALLOWED_HOSTS)."""

    protocol: str
    domain: str

    def url(self, path: str, next_url: str | None = None) -> str:
        query = f"?{urlencode({'next': next_url})}" if next_url else ""
        return f"{self.protocol}://{self.domain}{path}{query}"


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
    hashes the submitted password once, so they take about the same time.
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
    if outcome is SignupOutcome.ALREADY_REGISTERED:
        _send_signup_attempt_notice(user=user, site=site, next_url=next_url)
        return SignupResult(outcome=outcome, browser_marker=signup_marker(None))
    activation_email_send(user=user, site=site, next_url=next_url)
    return SignupResult(outcome=outcome, browser_marker=signup_marker(user))


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


def activation_email_send(*, user: User, site: SiteAddress, next_url: str | None = None) -> None:
    path = reverse(
        "accounts:activate",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": activation_token.make_token(user),
        },
    )
    _send_email(
        "activation",
        user=user,
        context={"email": user.email, "activate_url": site.url(path, next_url)},
    )


def _send_signup_attempt_notice(*, user: User, site: SiteAddress, next_url: str | None) -> None:
    _send_email(
        "signup_attempt",
        user=user,
        context={
            "email": user.email,
            "login_url": site.url(reverse("accounts:login"), next_url),
            "reset_url": site.url(reverse("accounts:password_reset")),
        },
    )


class PlainTextEmail(EmailMultiAlternatives):
    """An email whose text parts go out as they are (7bit, or 8bit when not ASCII), never
    quoted-printable, which breaks long lines with a stray `=`: a link then reads whole on
    one line, in a mail client's source view and in the console backend of `make run`."""

    def message(
        self, *, policy: Policy | None = email.policy.default
    ) -> email.message.EmailMessage:
        msg = super().message(policy=policy)
        for part in msg.walk():
            if part.get_content_maintype() != "text" or part.is_attachment():
                continue
            text = part.get_content()
            cte = "7bit" if text.isascii() else "8bit"
            part.set_content(text, subtype=part.get_content_subtype(), charset="utf-8", cte=cte)
        return msg


def email_from_templates(
    *,
    subject_template: str,
    body_template: str,
    html_template: str | None,
    context: dict[str, Any],
    to: str,
    from_email: str | None = None,
) -> PlainTextEmail:
    """The message rendered from a subject, a text body and (optionally) an HTML body."""
    subject = "".join(loader.render_to_string(subject_template, context).splitlines())
    body = loader.render_to_string(body_template, context)
    message = PlainTextEmail(subject, body, from_email, [to])
    if html_template is not None:
        message.attach_alternative(loader.render_to_string(html_template, context), "text/html")
    return message


def _send_email(name: str, *, user: User, context: dict[str, Any]) -> None:
    """registration/<name>_subject.txt, <name>_email.txt and <name>_email.html, sent to the user.

    A mail server failure is logged, not shown: the visitor's answer must not depend on it.
    """
    message = email_from_templates(
        subject_template=f"registration/{name}_subject.txt",
        body_template=f"registration/{name}_email.txt",
        html_template=f"registration/{name}_email.html",
        context=context,
        to=user.email,
    )
    try:
        message.send()
    except Exception:
        logger.exception("Failed to send the %s email to user %s", name, user.pk)


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
    activation_email_send(user=user, site=site, next_url=next_url)
    return True
