"""Logging in and out, and the lockout after too many failed logins."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

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
