"""Changing a password, and resetting a forgotten one by email."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Any
from unittest import mock

import pytest
from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.contrib.sessions.models import Session
from django.core.cache import cache
from django.db import connection
from django.tasks import TaskResultStatus
from django.template import loader
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from accounts.forms import minimum_password_length
from tests.factories import (
    LOGIN,
    LOGOUT,
    NEW_PASSWORD,
    PASSWORD,
    TEN_KB,
    assert_field_error,
    logged_in_user,
    login_post,
    make_user,
    request_reset,
    reset_links,
    run_worker,
)

pytestmark = pytest.mark.django_db


# PASSWORD CHANGE


def test_password_change_replaces_the_password(client: Client) -> None:
    user = make_user()
    client.force_login(user)
    response = client.post(
        reverse("accounts:password_change"),
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
        follow=True,
    )
    assert response.redirect_chain == [(reverse("accounts:password_change_done"), 302)]
    assert "Your new password is in place." in response.content.decode()
    assert logged_in_user(client) == user  # the session survives the change
    client.post(LOGOUT)
    assert login_post(client, user.email, PASSWORD).status_code == 200
    assert login_post(client, user.email, NEW_PASSWORD).status_code == 302


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"old_password": "wrong-old-password"}, "old_password", "incorrectly"),
        ({"new_password2": "something-else-entirely"}, "new_password2", "didn’t match"),
        ({"new_password1": "password", "new_password2": "password"}, "new_password2", "common"),
        ({"new_password1": None}, "new_password1", "required"),
        ({"old_password": TEN_KB}, "old_password", "incorrectly"),
    ],
    ids=["wrong-old", "mismatch", "common", "missing-new", "10kB-old"],
)
def test_password_change_with_bad_input_keeps_the_old_password(
    client: Client, data: dict[str, Any], field: str, message: str
) -> None:
    user = make_user()
    client.force_login(user)
    post = {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    post.update(data)
    response = client.post(
        reverse("accounts:password_change"), {k: v for k, v in post.items() if v is not None}
    )
    assert_field_error(response, field, message)
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


def test_a_new_password_needs_at_least_12_characters(client: Client) -> None:
    user = make_user()
    client.force_login(user)
    eleven = "tqv-plum-81"
    page = client.get(reverse("accounts:password_change")).content.decode()
    response = client.post(
        reverse("accounts:password_change"),
        {"old_password": PASSWORD, "new_password1": eleven, "new_password2": eleven},
    )
    assert "At least 12 characters." in page
    assert_field_error(response, "new_password2", "at least 12 characters")
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


def test_wrong_old_passwords_lock_the_account_like_failed_logins(client: Client) -> None:
    user = make_user()
    client.force_login(user)
    limit = settings.AXES_FAILURE_LIMIT
    change = reverse("accounts:password_change")
    statuses = [
        client.post(
            change,
            {
                "old_password": f"wrong-{n}",
                "new_password1": NEW_PASSWORD,
                "new_password2": NEW_PASSWORD,
            },
        ).status_code
        for n in range(limit)
    ]
    assert statuses == [200] * (limit - 1) + [429]

    # Locked out, the right password changes nothing, and logging in is paused too.
    right = {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}
    response = client.post(change, right)
    assert response.status_code == 429
    assert "Logging in is paused" in response.content.decode()
    user.refresh_from_db()
    assert user.check_password(PASSWORD)
    assert login_post(Client(), user.email, PASSWORD).status_code == 429


SESSION_ENGINES = [
    "django.contrib.sessions.backends.db",
    "django.contrib.sessions.backends.cached_db",
]


def cached_session(session_key: str) -> Any:
    """The copy of a session kept in the cache by the cached_db engine."""
    return cache.get(f"django.contrib.sessions.cached_db{session_key}")


@pytest.mark.parametrize("engine", SESSION_ENGINES, ids=["db", "cached_db"])
def test_password_change_ends_the_users_other_sessions(
    client: Client, settings: Any, engine: str
) -> None:
    settings.SESSION_ENGINE = engine
    user = make_user()
    someone = make_user("someone@example.com")
    elsewhere, other_user = Client(), Client()
    elsewhere.force_login(user)
    other_user.force_login(someone)
    client.force_login(user)
    elsewhere_key = elsewhere.session.session_key
    if engine.endswith("cached_db"):
        assert cached_session(elsewhere_key) is not None

    client.post(
        reverse("accounts:password_change"),
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )

    assert not Session.objects.filter(session_key=elsewhere_key).exists()
    assert cached_session(elsewhere_key) is None
    assert logged_in_user(elsewhere) is None
    assert logged_in_user(client) == user  # this session stays
    assert logged_in_user(other_user) == someone
    # The kept session, under its new key, is still found by the next change.
    client.post(
        reverse("accounts:password_change"),
        {"old_password": NEW_PASSWORD, "new_password1": PASSWORD, "new_password2": PASSWORD},
    )
    assert user.login_sessions.get().session_id == client.session.session_key


def test_password_change_needs_login(client: Client) -> None:
    response = client.get(reverse("accounts:password_change"))
    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN)


def test_password_help_falls_back_when_no_length_rule_is_set(settings: Any) -> None:
    settings.AUTH_PASSWORD_VALIDATORS = []  # Django drops its cached validators on change
    assert minimum_password_length() == 1


# PASSWORD RESET BY EMAIL


def test_reset_request_sends_one_email_with_text_and_html_links(
    client: Client, mailoutbox: list[Any]
) -> None:
    make_user("runner@example.com")
    response = request_reset(client, "Runner@Example.com")
    assert response.redirect_chain == [(reverse("accounts:password_reset_done"), 302)]
    assert "Check your email" in response.content.decode()
    assert len(mailoutbox) == 1
    message = mailoutbox[0]
    assert message.to == ["runner@example.com"]
    assert message.subject == "Reset your Heavy Legs password"
    links = reset_links(message)
    assert links["text"] == links["html"]


def test_reset_for_an_unknown_email_looks_the_same_and_sends_nothing(
    client: Client, mailoutbox: list[Any]
) -> None:
    response = request_reset(client, "nobody@example.com")
    assert response.redirect_chain == [(reverse("accounts:password_reset_done"), 302)]
    assert mailoutbox == []


@dataclass(frozen=True)
class ResetWork:
    """What a reset request did in the request itself."""

    statements: list[str]  # each SQL statement's verb and table
    tokens_made: int
    templates_rendered: list[str]
    tasks_queued: list[str]


def statement(sql: str) -> str:
    """`INSERT django_tasks_database_dbtaskresult`, `SELECT accounts_user`…"""
    verb = sql.split(None, 1)[0].upper()
    table = re.search(r'(?:FROM|INTO|UPDATE)\s+"?(\w+)', sql, re.IGNORECASE)
    return f"{verb} {table.group(1) if table else ''}"


def reset_work(client: Client, email: str) -> ResetWork:
    queued_before = set(DBTaskResult.objects.values_list("pk", flat=True))
    with (
        CaptureQueriesContext(connection) as queries,
        mock.patch.object(loader, "render_to_string", wraps=loader.render_to_string) as render,
        mock.patch.object(
            default_token_generator, "make_token", wraps=default_token_generator.make_token
        ) as make_token,
    ):
        response = client.post(reverse("accounts:password_reset"), {"email": email})
    assert response.status_code == 302
    queued = DBTaskResult.objects.exclude(pk__in=queued_before)
    return ResetWork(
        statements=[statement(query["sql"]) for query in queries.captured_queries],
        tokens_made=make_token.call_count,
        templates_rendered=[call.args[0] for call in render.call_args_list],
        tasks_queued=[task.task_path for task in queued],
    )


@pytest.mark.django_db(transaction=True)
def test_reset_does_the_same_work_for_an_unknown_address_and_only_the_known_one_is_mailed(
    client: Client, mailoutbox: list[Any], database_tasks: None
) -> None:
    """Both answers look the address up, make a token and queue one email task, with the
    same queries; no template is rendered and no mail server is waited on in the request.
    Only the worker learns there is nobody to send to."""
    make_user("runner@example.com")

    known = reset_work(client, "runner@example.com")
    unknown = reset_work(client, "nobody@example.com")

    assert known == unknown
    assert known.tokens_made == 1
    assert known.templates_rendered == []
    assert known.tasks_queued == ["accounts.tasks.send_password_reset_email"]
    assert "INSERT django_tasks_database_dbtaskresult" in known.statements
    assert mailoutbox == []

    run_worker()
    assert [message.to for message in mailoutbox] == [["runner@example.com"]]
    assert mailoutbox[0].subject == "Reset your Heavy Legs password"
    finished = DBTaskResult.objects.values_list("status", flat=True)
    assert set(finished) == {TaskResultStatus.SUCCESSFUL}


@pytest.mark.django_db(transaction=True)
def test_the_queued_reset_holds_no_token_and_the_link_the_worker_mails_works(
    client: Client, mailoutbox: list[Any], database_tasks: None, caplog: pytest.LogCaptureFixture
) -> None:
    user = make_user("runner@example.com")
    request_reset(client, "runner@example.com")
    [queued] = DBTaskResult.objects.all()
    assert queued.args_kwargs == {
        "args": [],
        "kwargs": {"user_id": user.pk, "protocol": "http", "domain": "testserver"},
    }

    caplog.set_level(logging.DEBUG)
    run_worker()
    link = reset_links(mailoutbox[0])["text"]
    token = link.rstrip("/").rsplit("/", 1)[1]
    assert token not in caplog.text
    form_page = client.get(link, follow=True)
    assert "new_password1" in form_page.content.decode()


@pytest.mark.parametrize("email", ["not-an-email", "", TEN_KB])
def test_reset_request_with_bad_email_shows_field_error(
    client: Client, mailoutbox: list[Any], email: str
) -> None:
    response = client.post(reverse("accounts:password_reset"), {"email": email})
    assert_field_error(response, "email")
    assert mailoutbox == []


@pytest.mark.parametrize("which", ["text", "html"])
def test_reset_link_from_the_email_sets_a_password_that_logs_in(
    client: Client, mailoutbox: list[Any], which: str
) -> None:
    user = make_user("runner@example.com")
    request_reset(client, user.email)
    link = reset_links(mailoutbox[0])[which]

    # Django swaps the token in the link for a session value and redirects to the form.
    form_page = client.get(link, follow=True)
    assert form_page.status_code == 200
    assert "Choose a new password" in form_page.content.decode()
    set_password_url = form_page.redirect_chain[-1][0]

    done = client.post(
        set_password_url,
        {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
        follow=True,
    )
    assert done.redirect_chain[-1][0] == reverse("accounts:password_reset_complete")
    assert "Your new password is saved" in done.content.decode()

    assert login_post(client, "runner@example.com", PASSWORD).status_code == 200
    assert login_post(client, "runner@example.com", NEW_PASSWORD).status_code == 302
    assert logged_in_user(client) == user


def test_reset_link_works_only_once(client: Client, mailoutbox: list[Any]) -> None:
    make_user()
    request_reset(client, "runner@example.com")
    link = reset_links(mailoutbox[0])["text"]
    form_page = client.get(link, follow=True)
    client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    again = Client().get(link, follow=True)
    assert "This link no longer works" in again.content.decode()


def test_reset_form_rejects_a_weak_new_password(client: Client, mailoutbox: list[Any]) -> None:
    user = make_user()
    request_reset(client, user.email)
    form_page = client.get(reset_links(mailoutbox[0])["text"], follow=True)
    response = client.post(
        form_page.redirect_chain[-1][0], {"new_password1": "123", "new_password2": "123"}
    )
    assert_field_error(response, "new_password2", "too short")
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


def test_a_reset_ends_every_session_of_the_account(client: Client, mailoutbox: list[Any]) -> None:
    user = make_user()
    elsewhere = Client()
    elsewhere.force_login(user)
    key = elsewhere.session.session_key

    request_reset(client, user.email)
    form_page = client.get(reset_links(mailoutbox[0])["text"], follow=True)
    client.post(
        form_page.redirect_chain[-1][0],
        {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )

    assert not Session.objects.filter(session_key=key).exists()
    assert not user.login_sessions.exists()
