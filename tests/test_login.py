"""Logging in and out, and the lockout after too many failed logins."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any
from unittest import mock

import pytest
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from accounts.templatetags.accounts_extras import duration_words
from tests.factories import (
    LOGIN,
    LOGOUT,
    NEW_PASSWORD,
    PASSWORD,
    PROFILE,
    TEN_KB,
    assert_field_error,
    fail_logins,
    logged_in_user,
    login_post,
    make_user,
    request_reset,
    reset_links,
)

pytestmark = pytest.mark.django_db


# LOG IN AND OUT


@pytest.mark.parametrize(
    "typed", ["runner@example.com", "Runner@Example.COM", " RUNNER@example.com "]
)
def test_login_with_email_in_any_case(client: Client, typed: str) -> None:
    user = make_user("runner@example.com")
    response = login_post(client, typed, PASSWORD)
    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    assert logged_in_user(client) == user


def test_login_follows_a_safe_next(client: Client) -> None:
    make_user()
    response = client.post(
        LOGIN, {"username": "runner@example.com", "password": PASSWORD, "next": PROFILE}
    )
    assert response["Location"] == PROFILE


def test_login_with_wrong_password_says_so_without_logging_in(client: Client) -> None:
    make_user()
    response = login_post(client, "runner@example.com", "not-the-password")
    assert response.status_code == 200
    assert "Please enter a correct email address and password" in response.content.decode()
    assert logged_in_user(client) is None


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"username": "runner", "password": PASSWORD}, "username", "Enter a valid email"),
        ({"username": TEN_KB, "password": PASSWORD}, "username", ""),
        ({"password": PASSWORD}, "username", "This field is required."),
        ({"username": "runner@example.com"}, "password", "This field is required."),
        ({"username": "runner@example.com", "password": ""}, "password", "required"),
    ],
    ids=["not-an-email", "10kB-email", "missing-email", "missing-password", "empty-password"],
)
def test_login_with_bad_input_shows_field_error(
    client: Client, data: dict[str, str], field: str, message: str
) -> None:
    make_user()
    response = client.post(LOGIN, data)
    assert_field_error(response, field, message)
    assert logged_in_user(client) is None


def test_login_with_10kb_password_is_a_plain_failure(client: Client) -> None:
    make_user()
    response = login_post(client, "runner@example.com", TEN_KB)
    assert response.status_code == 200
    assert "Please enter a correct email address and password" in response.content.decode()


def test_logout_by_get_is_not_allowed(client: Client) -> None:
    client.force_login(make_user())
    assert client.get(LOGOUT).status_code == 405
    assert logged_in_user(client) is not None


def test_logout_by_post_ends_the_session(client: Client) -> None:
    client.force_login(make_user())
    response = client.post(LOGOUT)
    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    assert logged_in_user(client) is None


def test_superusers_are_staff_and_log_in_with_email(client: Client) -> None:
    admin = User.objects.create_superuser("boss@example.com", password=PASSWORD)
    assert admin.is_staff and admin.is_superuser
    assert login_post(client, "Boss@Example.com", PASSWORD).status_code == 302


def test_logout_by_get_explains_and_offers_the_button(client: Client) -> None:
    client.force_login(make_user())
    response = client.get(LOGOUT)
    assert response.status_code == 405
    assert response["Allow"] == "POST, OPTIONS"
    assert b'action="' + LOGOUT.encode() + b'"' in response.content


# LOGIN LOCKOUT


def test_lockout_after_the_failure_limit_answers_429_with_a_clear_page(client: Client) -> None:
    make_user()
    limit = settings.AXES_FAILURE_LIMIT
    statuses = fail_logins(client, "runner@example.com", limit)
    assert statuses == [200] * (limit - 1) + [429]

    response = login_post(client, "runner@example.com", PASSWORD)
    assert response.status_code == 429
    content = response.content.decode()
    assert "Logging in is paused" in content
    assert "Please wait 30 minutes and try again." in content
    assert reverse("accounts:password_reset") in content
    assert logged_in_user(client) is None


def test_lockout_counts_every_spelling_of_the_same_email(client: Client) -> None:
    make_user()
    limit = settings.AXES_FAILURE_LIMIT
    spellings = ["runner@example.com", "RUNNER@example.com", "Runner@Example.com"]
    statuses = [
        login_post(client, spellings[n % len(spellings)], "wrong").status_code for n in range(limit)
    ]
    assert statuses[-1] == 429


def test_lockout_does_not_touch_other_accounts_or_other_addresses(client: Client) -> None:
    make_user()
    other = make_user("other@example.com")
    fail_logins(client, "runner@example.com", settings.AXES_FAILURE_LIMIT)
    assert login_post(client, other.email, PASSWORD).status_code == 302
    elsewhere = Client(REMOTE_ADDR="198.51.100.7")
    assert login_post(elsewhere, "runner@example.com", PASSWORD).status_code == 302


def test_failures_below_the_limit_are_forgotten_after_a_good_login(client: Client) -> None:
    make_user()
    limit = settings.AXES_FAILURE_LIMIT
    fail_logins(client, "runner@example.com", limit - 1)
    assert login_post(client, "runner@example.com", PASSWORD).status_code == 302
    client.post(LOGOUT)
    assert fail_logins(client, "runner@example.com", limit - 1) == [200] * (limit - 1)


def test_password_reset_lifts_the_lockout(client: Client, mailoutbox: list[Any]) -> None:
    make_user()
    fail_logins(client, "runner@example.com", settings.AXES_FAILURE_LIMIT)
    request_reset(client, "runner@example.com")
    form_page = client.get(reset_links(mailoutbox[0])["text"], follow=True)
    client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert login_post(client, "runner@example.com", NEW_PASSWORD).status_code == 302


@pytest.mark.parametrize(
    ("length", "words"),
    [
        (timedelta(minutes=30), "30 minutes"),
        (timedelta(minutes=1), "1 minute"),
        (timedelta(seconds=5), "1 minute"),
        (timedelta(hours=1), "1 hour"),
        (timedelta(hours=2, minutes=15), "2 hours and 15 minutes"),
        (None, ""),
    ],
)
def test_lockout_length_reads_in_plain_words(length: timedelta | None, words: str) -> None:
    assert duration_words(length) == words


# SESSION LIFETIME


@contextmanager
def clock_at(moment: datetime) -> Iterator[None]:
    """Django's idea of now (session expiry, the session store's lookups) set to this moment."""
    with mock.patch("django.utils.timezone.now", return_value=moment):
        yield


def is_logged_in(client: Client) -> bool:
    return client.get(PROFILE).status_code == 200


@pytest.fixture
def start(client: Client, settings: Any) -> datetime:
    """A login at a fixed moment, with a 600 s idle timeout and a 1000 s lifetime."""
    settings.SESSION_IDLE_SECONDS = 600
    settings.SESSION_COOKIE_AGE = 1000
    moment = timezone.now()
    with clock_at(moment):
        client.force_login(make_user())
    return moment


def test_a_login_ends_after_the_idle_time_without_a_visit(client: Client, start: datetime) -> None:
    with clock_at(start + timedelta(seconds=601)):
        assert not is_logged_in(client)


def test_each_visit_renews_the_idle_time(client: Client, start: datetime) -> None:
    for seconds in (500, 900):
        with clock_at(start + timedelta(seconds=seconds)):
            assert is_logged_in(client)


def test_a_login_ends_at_its_lifetime_however_active(client: Client, start: datetime) -> None:
    for seconds in (500, 900, 990):
        with clock_at(start + timedelta(seconds=seconds)):
            assert is_logged_in(client)
    with clock_at(start + timedelta(seconds=1001)):
        assert not is_logged_in(client)


def test_an_active_login_is_not_written_on_every_visit(client: Client, start: datetime) -> None:
    def expiry() -> datetime:
        return Session.objects.get(session_key=client.session.session_key).expire_date

    at_login = expiry()
    with clock_at(start + timedelta(seconds=30)):
        assert is_logged_in(client)
    assert expiry() == at_login  # within a tenth of the idle time: left alone
    with clock_at(start + timedelta(seconds=120)):
        assert is_logged_in(client)
    assert expiry() == start + timedelta(seconds=720)


def test_an_older_password_hash_is_upgraded_to_argon2_at_login(
    client: Client, settings: Any
) -> None:
    from config.settings import PASSWORD_HASHERS

    settings.PASSWORD_HASHERS = PASSWORD_HASHERS  # the production list, not the fast test one
    user = make_user()
    user.password = make_password(PASSWORD, hasher="pbkdf2_sha256")
    user.save(update_fields=["password"])

    assert login_post(client, user.email, PASSWORD).status_code == 302
    user.refresh_from_db()
    assert user.password.startswith("argon2$")
