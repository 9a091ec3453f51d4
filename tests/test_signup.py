"""Sign-up and activation: the form, the emailed link (in the same browser or another one),
pending accounts and the form for a new link."""

from __future__ import annotations

import html
import logging
import re
from datetime import datetime, timedelta
from smtplib import SMTPException
from typing import Any
from unittest import mock
from urllib.parse import urlencode

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth import password_validation
from django.contrib.auth.hashers import MD5PasswordHasher
from django.contrib.auth.tokens import default_token_generator
from django.contrib.messages import get_messages
from django.core.mail import EmailMultiAlternatives
from django.tasks import TaskResultStatus
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django_tasks_db.models import DBTaskResult

from accounts.models import DistanceUnit, User
from accounts.services import PENDING_SIGNUP_SESSION_KEY
from accounts.tokens import ActivationTokenGenerator
from legs.assessment.wizard import RESULT_SESSION_KEY
from legs.history.views import SAVE_SESSION_KEY
from tests.factories import (
    LOGIN,
    LOGOUT,
    NEW_PASSWORD,
    PASSWORD,
    TEN_KB,
    activation_links,
    assert_field_error,
    fail_logins,
    field_block,
    logged_in_user,
    login_post,
    make_user,
    request_reset,
    run_worker,
    visible_text,
)

pytestmark = pytest.mark.django_db

SIGNUP = reverse("accounts:signup")
SIGNUP_SENT = reverse("accounts:signup_sent")
RESEND = reverse("accounts:activation_resend")
ACTIVATION_SUBJECT = "Confirm your email address for Heavy Legs"
NOTICE_SUBJECT = "Someone tried to create a Heavy Legs account with your address"
ASKED_FOR_PASSWORD = "For your safety, enter the password you chose when you signed up."


def signup_data(**overrides: Any) -> dict[str, Any]:
    data = {
        "email": "new.runner@example.com",
        "display_name": "Sam",
        "distance_unit": "km",
        "password1": NEW_PASSWORD,
        "password2": NEW_PASSWORD,
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def sign_up_and_confirm(client: Client, mailbox: list[Any], **overrides: Any) -> Any:
    """Sign up through the form, then follow the link from the email in the same client."""
    sent = client.post(SIGNUP, signup_data(**overrides))
    assert sent.status_code == 302, sent.content.decode()[:2000]
    return client.get(activation_links(mailbox[-1])["text"])


# SIGN-UP


def test_signup_form_renders_through_crispy_bootstrap(client: Client) -> None:
    response = client.get(SIGNUP)
    content = response.content.decode()
    assert response.status_code == 200
    assert 'class="emailinput form-control"' in content
    assert 'autocomplete="new-password"' in content
    assert "csrfmiddlewaretoken" in content


@pytest.mark.parametrize(
    ("url", "as_member"),
    [(SIGNUP, False), (reverse("accounts:password_change"), True)],
    ids=["signup", "password-change"],
)
def test_password_help_is_plain_words_that_match_the_validators(
    client: Client, url: str, as_member: bool
) -> None:
    if as_member:
        client.force_login(make_user())
    minimum = next(
        v.min_length
        for v in password_validation.get_default_password_validators()
        if isinstance(v, password_validation.MinimumLengthValidator)
    )
    content = html.unescape(client.get(url).content.decode())
    assert f"At least {minimum} characters." in content
    assert "Confirm password" in content
    assert "can’t be entirely numeric" not in content


def test_signup_of_a_new_address_stores_an_inactive_account_and_emails_a_link(
    client: Client, mailoutbox: list[Any]
) -> None:
    response = client.post(
        SIGNUP, signup_data(email="New.Runner@Example.COM", distance_unit="mi"), follow=True
    )
    assert response.redirect_chain == [(SIGNUP_SENT, 302)]
    assert "Check your email" in response.content.decode()
    user = User.objects.get()
    assert user.email == "new.runner@example.com"
    assert (user.display_name, user.distance_unit) == ("Sam", DistanceUnit.MI)
    assert user.check_password(NEW_PASSWORD)
    assert not user.is_active
    assert user.is_pending
    assert logged_in_user(client) is None
    assert len(mailoutbox) == 1
    message = mailoutbox[0]
    assert message.to == ["new.runner@example.com"]
    assert message.subject == ACTIVATION_SUBJECT
    links = activation_links(message)
    assert links["text"] == links["html"]
    assert f"http://testserver{links['text']}" in str(message.body)
    # Never an account-was-taken notice, never a password in the email.
    assert reverse("accounts:password_reset") not in str(message.body)
    assert NEW_PASSWORD not in str(message.body)


def test_the_sign_up_email_in_the_console_shows_the_whole_link_on_one_line(
    client: Client, capsys: pytest.CaptureFixture[str]
) -> None:
    console = {"default": {"BACKEND": "django.core.mail.backends.console.EmailBackend"}}
    with override_settings(MAILERS=console):
        client.post(f"{SIGNUP}?{urlencode({'next': '/history/insights/'})}", signup_data())

    printed = capsys.readouterr().out
    assert "Content-Transfer-Encoding: quoted-printable" not in printed
    link = re.compile(
        r"^.*http://testserver/accounts/activate/[^/\s]+/[^/\s]+/\?next=%2Fhistory%2Finsights%2F"
    )
    # The text part and the HTML part each hold it whole, not broken by a stray `=`.
    assert len([line for line in printed.splitlines() if link.match(line)]) == 2


@pytest.mark.parametrize("which", ["text", "html"])
def test_activation_link_confirms_logs_in_and_welcomes(
    client: Client, mailoutbox: list[Any], which: str
) -> None:
    client.post(SIGNUP, signup_data())
    response = client.get(activation_links(mailoutbox[0])[which], follow=True)
    user = User.objects.get()
    assert response.redirect_chain == [(reverse("home"), 302)]
    assert "Welcome! Your email address is confirmed" in response.content.decode()
    assert user.is_active
    assert not user.is_pending
    assert logged_in_user(client) == user
    client.post(LOGOUT)
    assert login_post(client, "new.runner@example.com", NEW_PASSWORD).status_code == 302


def test_activation_link_works_only_once(client: Client, mailoutbox: list[Any]) -> None:
    client.post(SIGNUP, signup_data())
    link = activation_links(mailoutbox[0])["text"]
    assert client.get(link).status_code == 302

    other = Client()
    again = other.get(link)
    assert again.status_code == 200
    assert "This link no longer works" in again.content.decode()
    assert logged_in_user(other) is None


def test_activation_keeps_the_result_and_draft_of_the_anonymous_session(
    client: Client, mailoutbox: list[Any]
) -> None:
    """Django's login renews the key of a session without a user and keeps its data."""
    session = client.session
    session[RESULT_SESSION_KEY] = {"answers": {"legs": "both"}, "result": {"triage": "self_care"}}
    session[SAVE_SESSION_KEY] = {"notes": "Hilly route."}
    session.save()
    old_key = session.session_key
    client.cookies[settings.SESSION_COOKIE_NAME] = old_key

    result_url = reverse("assessment:result")
    sent = client.post(f"{SIGNUP}?next={result_url}", signup_data(next=result_url))
    assert sent["Location"] == f"{SIGNUP_SENT}?next={result_url.replace('/', '%2F')}"
    link = activation_links(mailoutbox[0])["text"]
    assert link.endswith(f"?next={result_url.replace('/', '%2F')}")

    response = client.get(link)
    assert response.status_code == 302
    assert response["Location"] == result_url
    assert logged_in_user(client) == User.objects.get()
    assert client.session.session_key != old_key  # no session fixation
    assert client.session[RESULT_SESSION_KEY]["result"] == {"triage": "self_care"}
    assert client.session[SAVE_SESSION_KEY] == {"notes": "Hilly route."}


# A RESULT SAVED BEFORE SIGNING UP IS SAVED BY THE CONFIRMATION


def press_save_before_signing_up(client: Client, **run: str) -> str:
    """A result in the session, and its Save button pressed without an account (the run's
    details are kept for later); the one-time token of its save form."""
    from tests.test_history import put_result_in_session, run_form, save_token

    put_result_in_session(client)
    token = save_token(client.get(reverse("assessment:result")).content.decode())
    response = client.post(reverse("history:save"), run_form(token, **run))
    assert response["Location"].startswith(LOGIN)
    assert "to save this result" in client.get(response["Location"]).content.decode()
    return token


@pytest.mark.usefixtures("seeded")
def test_confirming_the_address_saves_the_result_waiting_to_be_saved(
    client: Client, mailoutbox: list[Any]
) -> None:
    from legs.history.models import Episode

    token = press_save_before_signing_up(client, distance="8.5", notes="Windy.")
    result_url = reverse("assessment:result")
    client.post(f"{SIGNUP}?next={result_url}", signup_data(next=result_url))
    assert not Episode.objects.exists()

    response = client.get(activation_links(mailoutbox[0])["text"], follow=True)
    episode = Episode.objects.get()
    assert response.redirect_chain == [(episode.get_absolute_url(), 302)]
    assert episode.owner == User.objects.get(email="new.runner@example.com")
    assert (str(episode.token), episode.notes) == (token, "Windy.")
    assert [str(m) for m in response.context["messages"]] == [
        "Welcome! Your email address is confirmed and your account is ready.",
        "Your result is saved to your history.",
    ]
    # Nothing waits any more: a second confirmation (a new link) saves nothing again.
    assert "pending" not in client.session[SAVE_SESSION_KEY]


@pytest.mark.usefixtures("seeded")
def test_confirming_with_the_password_in_the_browser_that_waits_saves_it_too(
    client: Client, mailoutbox: list[Any]
) -> None:
    from legs.history.models import Episode

    link = signed_up_elsewhere(mailoutbox)
    press_save_before_signing_up(client)
    client.get(link)
    response = client.post(link, {"password": NEW_PASSWORD})
    assert response["Location"] == Episode.objects.get().get_absolute_url()


@pytest.mark.usefixtures("seeded")
def test_a_result_that_cannot_be_saved_as_it_stands_waits_on_the_result_page(
    client: Client, mailoutbox: list[Any]
) -> None:
    """An editor changed the knowledge base between the Save button and the confirmation:
    the runner sees the result with the latest advice before anything is saved."""
    from legs.history.models import Episode
    from legs.knowledge.models import Cause

    press_save_before_signing_up(client, notes="Kept for later.")
    result_url = reverse("assessment:result")
    client.post(SIGNUP, signup_data(next=result_url))
    cause = Cause.objects.get(slug="poor-sleep")
    cause.name = "Short or broken sleep"
    cause.save()
    response = client.get(activation_links(mailoutbox[0])["text"])
    assert response["Location"] == result_url
    assert not Episode.objects.exists()
    assert "Kept for later." in client.get(result_url).content.decode()


@pytest.mark.usefixtures("seeded")
def test_confirming_without_a_result_waiting_saves_nothing(
    client: Client, mailoutbox: list[Any]
) -> None:
    from legs.history.models import Episode
    from tests.test_history import put_result_in_session

    put_result_in_session(client)  # a result seen, but its Save button never pressed
    response = sign_up_and_confirm(client, mailoutbox)
    assert response["Location"] == reverse("home")
    assert not Episode.objects.exists()


@pytest.mark.parametrize(
    "outside", ["https://evil.example/", "//evil.example/", "javascript:alert(1)"]
)
def test_activation_ignores_a_next_that_leaves_the_site(
    client: Client, mailoutbox: list[Any], outside: str
) -> None:
    client.post(SIGNUP, signup_data(next=outside))
    link = activation_links(mailoutbox[0])["text"]
    assert "next=" not in link
    # Added to the link by hand, it is ignored too.
    response = client.get(f"{link}?{urlencode({'next': outside})}")
    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    assert logged_in_user(client) is not None


def test_an_expired_activation_link_shows_the_friendly_page(
    client: Client, mailoutbox: list[Any]
) -> None:
    client.post(SIGNUP, signup_data(next=reverse("assessment:result")))
    link = activation_links(mailoutbox[0])["text"]
    later = datetime.now() + timedelta(seconds=settings.PASSWORD_RESET_TIMEOUT + 60)
    with mock.patch.object(ActivationTokenGenerator, "_now", return_value=later):
        response = client.get(link)
    content = response.content.decode()
    assert response.status_code == 200
    assert "This link no longer works" in content
    assert f'href="{SIGNUP}?next=/assessment/result/"' in content
    assert f'href="{reverse("accounts:activation_resend")}?next=' in content
    assert f'href="{reverse("accounts:password_reset")}"' in content
    assert f'href="{LOGIN}?next=/assessment/result/"' in content
    assert not User.objects.get().is_active
    assert logged_in_user(client) is None


@pytest.mark.parametrize(
    "mangle",
    [
        lambda uid, token: (uid, token[:-1] + ("0" if token[-1] != "0" else "1")),
        lambda uid, token: ("bm9wZQ", token),  # "nope"
        lambda uid, token: ("OTk5OTk", token),  # a user id that does not exist
        lambda uid, token: ("!!!", token),
        lambda uid, token: (uid, "not-a-token"),
    ],
    ids=["wrong-token", "not-a-number", "unknown-user", "bad-base64", "junk-token"],
)
def test_a_mangled_activation_link_shows_the_friendly_page(
    client: Client, mailoutbox: list[Any], mangle: Any
) -> None:
    client.post(SIGNUP, signup_data())
    match = re.search(
        r"/accounts/activate/([^/]+)/([^/]+)/", activation_links(mailoutbox[0])["text"]
    )
    assert match
    uid, token = mangle(match[1], match[2])
    response = client.get(reverse("accounts:activate", kwargs={"uidb64": uid, "token": token}))
    assert response.status_code == 200
    assert "This link no longer works" in response.content.decode()
    assert not User.objects.get().is_active


def test_a_password_reset_token_does_not_activate_an_account(client: Client) -> None:
    client.post(SIGNUP, signup_data())
    user = User.objects.get()
    token = default_token_generator.make_token(user)
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    response = client.get(reverse("accounts:activate", kwargs={"uidb64": uid, "token": token}))
    assert "This link no longer works" in response.content.decode()
    user.refresh_from_db()
    assert not user.is_active


def test_activation_refuses_other_methods_and_a_post_without_the_password(
    client: Client, mailoutbox: list[Any]
) -> None:
    client.post(SIGNUP, signup_data())
    link = activation_links(mailoutbox[0])["text"]
    for method in ("put", "patch", "delete"):
        assert getattr(client, method)(link).status_code == 405, method
    # Even the browser that signed up must give the password when it posts the form.
    assert_field_error(client.post(link), "password", "This field is required.")
    assert not User.objects.get().is_active
    assert logged_in_user(client) is None


def test_signing_up_again_while_pending_renews_password_and_link(
    client: Client, mailoutbox: list[Any]
) -> None:
    client.post(SIGNUP, signup_data())
    first = activation_links(mailoutbox[0])["text"]
    response = client.post(
        SIGNUP, signup_data(password1="quartz-meadow-river-55", password2="quartz-meadow-river-55")
    )
    assert response["Location"] == SIGNUP_SENT
    assert User.objects.count() == 1
    assert len(mailoutbox) == 2
    second = activation_links(mailoutbox[1])["text"]
    assert mailoutbox[1].subject == ACTIVATION_SUBJECT

    assert "This link no longer works" in Client().get(first).content.decode()
    assert client.get(second).status_code == 302
    client.post(LOGOUT)
    assert login_post(client, "new.runner@example.com", NEW_PASSWORD).status_code == 200
    assert login_post(client, "new.runner@example.com", "quartz-meadow-river-55").status_code == 302


def test_signup_with_a_registered_address_changes_nothing_and_emails_the_owner(
    client: Client, mailoutbox: list[Any]
) -> None:
    owner = make_user("taken@example.com", display_name="Original")
    result_url = reverse("assessment:result")
    response = client.post(
        SIGNUP, signup_data(email="Taken@EXAMPLE.com", display_name="Intruder", next=result_url)
    )
    assert response.status_code == 302
    owner.refresh_from_db()
    assert owner.check_password(PASSWORD)
    assert owner.display_name == "Original"
    assert owner.is_active
    assert User.objects.count() == 1
    assert logged_in_user(client) is None

    assert len(mailoutbox) == 1
    message = mailoutbox[0]
    assert message.to == ["taken@example.com"]
    assert message.subject == NOTICE_SUBJECT
    body = str(message.body)
    html_body = next(str(b) for b, kind in message.alternatives if kind == "text/html")
    login_link = f"http://testserver{LOGIN}?next=%2Fassessment%2Fresult%2F"
    reset_link = f"http://testserver{reverse('accounts:password_reset')}"
    for text in (body, html.unescape(html_body)):
        assert "Someone tried to create a Heavy Legs account with taken@example.com" in text
        assert login_link in text
        assert reset_link in text
        assert "ignore this email" in text
        assert "/accounts/activate/" not in text
        assert NEW_PASSWORD not in text


def test_signup_answers_the_same_whether_the_address_is_new_pending_or_registered(
    mailoutbox: list[Any],
) -> None:
    make_user("registered@example.com")
    Client().post(SIGNUP, signup_data(email="pending@example.com"))
    mailoutbox.clear()
    result_url = reverse("assessment:result")

    answers = {}
    for email in ("new@example.com", "pending@example.com", "registered@example.com"):
        client = Client()
        client.get(SIGNUP)
        response = client.post(SIGNUP, signup_data(email=email, next=result_url))
        page = client.get(response["Location"])
        answers[email] = (
            response.status_code,
            response["Location"],
            sorted(response.cookies),
            sorted(client.session.keys()),
            page.status_code,
            visible_text(page),
        )

    assert answers["new@example.com"] == answers["pending@example.com"]
    assert answers["new@example.com"] == answers["registered@example.com"]
    assert answers["new@example.com"][:2] == (302, f"{SIGNUP_SENT}?next=%2Fassessment%2Fresult%2F")
    # Only the mailbox learns which case it was: one email each.
    assert [(m.to, m.subject) for m in mailoutbox] == [
        (["new@example.com"], ACTIVATION_SUBJECT),
        (["pending@example.com"], ACTIVATION_SUBJECT),
        (
            ["registered@example.com"],
            NOTICE_SUBJECT,
        ),
    ]


class CountingHasher(MD5PasswordHasher):
    algorithm = "counting_md5"
    encoded = 0

    def encode(self, password: str, salt: str) -> str:
        type(self).encoded += 1
        return super().encode(password, salt)


def test_signup_hashes_the_password_once_in_every_branch(settings: Any) -> None:
    """About the same time whatever the case, so timing does not tell registered addresses."""
    settings.PASSWORD_HASHERS = ["tests.test_signup.CountingHasher"]
    make_user("registered@example.com")
    Client().post(SIGNUP, signup_data(email="pending@example.com"))
    counts = {}
    for email in ("new@example.com", "pending@example.com", "registered@example.com"):
        CountingHasher.encoded = 0
        Client().post(SIGNUP, signup_data(email=email))
        counts[email] = CountingHasher.encoded
    assert counts == dict.fromkeys(counts, 1)


def test_signup_does_not_revive_an_account_that_was_switched_off(
    client: Client, mailoutbox: list[Any]
) -> None:
    closed = make_user("closed@example.com", is_active=False, last_login=timezone.now())
    response = client.post(SIGNUP, signup_data(email="closed@example.com"))
    assert response["Location"] == SIGNUP_SENT
    closed.refresh_from_db()
    assert not closed.is_active
    assert closed.check_password(PASSWORD)
    assert mailoutbox[0].subject.startswith("Someone tried")


def test_signup_losing_a_race_for_the_same_address_answers_the_same(
    client: Client, mailoutbox: list[Any]
) -> None:
    """The address was free when looked up and taken by a simultaneous sign-up at insert."""
    winner = make_user("taken@example.com")
    real_lookup = User.objects.select_for_update()
    with mock.patch.object(
        User.objects, "select_for_update", side_effect=[User.objects.none(), real_lookup]
    ):
        response = client.post(SIGNUP, signup_data(email="taken@example.com"))
    assert response["Location"] == SIGNUP_SENT
    assert list(User.objects.all()) == [winner]
    assert mailoutbox[0].subject.startswith("Someone tried")


def test_signup_answers_the_same_when_the_mail_server_fails(
    client: Client, caplog: pytest.LogCaptureFixture
) -> None:
    with mock.patch.object(
        EmailMultiAlternatives, "send", side_effect=SMTPException("mail server down")
    ):
        response = client.post(SIGNUP, signup_data())
    assert response.status_code == 302
    assert response["Location"] == SIGNUP_SENT
    assert "send_signup_email failed and is not retried" in caplog.text


@pytest.mark.django_db(transaction=True)
def test_signup_queues_the_email_for_the_worker_with_no_token_in_the_queue_or_the_logs(
    client: Client, mailoutbox: list[Any], database_tasks: None, caplog: pytest.LogCaptureFixture
) -> None:
    response = client.post(SIGNUP + "?next=/history/", signup_data())
    assert response.status_code == 302
    assert mailoutbox == []
    user = User.objects.get()
    [queued] = DBTaskResult.objects.all()
    assert queued.task_path == "accounts.tasks.send_signup_email"
    assert queued.args_kwargs["kwargs"] == {
        "user_id": user.pk,
        "protocol": "http",
        "domain": "testserver",
        "next_url": "/history/",
    }

    caplog.set_level(logging.DEBUG)
    run_worker()
    [message] = mailoutbox
    assert message.subject == ACTIVATION_SUBJECT
    link = activation_links(message)["text"]
    token = link.split("?")[0].rstrip("/").rsplit("/", 1)[1]
    assert token not in caplog.text
    assert client.get(link).status_code == 302
    user.refresh_from_db()
    assert user.is_active


@pytest.mark.django_db(transaction=True)
def test_an_email_the_mail_server_refused_is_tried_again_later(
    client: Client, mailoutbox: list[Any], database_tasks: None
) -> None:
    make_user("taken@example.com")
    client.post(SIGNUP, signup_data(email="taken@example.com"))
    with mock.patch.object(
        EmailMultiAlternatives, "send", side_effect=SMTPException("mail server down")
    ):
        run_worker()
    failed = DBTaskResult.objects.get(status=TaskResultStatus.FAILED)
    retry = DBTaskResult.objects.get(status=TaskResultStatus.READY)
    assert failed.exception_class_path == "smtplib.SMTPException"
    assert retry.task_path == failed.task_path == "accounts.tasks.send_signup_email"
    assert retry.args_kwargs["kwargs"]["attempt"] == 2
    assert retry.run_after > timezone.now()

    DBTaskResult.objects.filter(pk=retry.pk).update(run_after=timezone.now())
    run_worker()
    assert [message.subject for message in mailoutbox] == [NOTICE_SUBJECT]


def test_check_your_email_page_says_the_same_to_everyone(client: Client) -> None:
    response = client.get(SIGNUP_SENT)
    content = response.content.decode()
    assert response.status_code == 200
    assert "Check your email" in content
    assert "Open the link in this browser" in content
    assert client.post(SIGNUP_SENT).status_code == 405


def test_signed_in_visitor_is_sent_home_from_signup(client: Client) -> None:
    client.force_login(make_user())
    assert client.get(SIGNUP)["Location"] == reverse("home")


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"email": "not-an-email"}, "email", "Enter a valid email address."),
        ({"email": ""}, "email", "This field is required."),
        ({"email": None}, "email", "This field is required."),
        ({"email": TEN_KB + "@example.com"}, "email", "at most 254 characters"),
        ({"display_name": "Sam\x00"}, "display_name", "Null characters are not allowed."),
        ({"password2": "plum-orchard-lantern-918"}, "password2", "didn’t match"),
        ({"password1": "Ab1!", "password2": "Ab1!"}, "password2", "too short"),
        ({"password1": "password123", "password2": "password123"}, "password2", "too common"),
        ({"password1": "8362019475", "password2": "8362019475"}, "password2", "entirely numeric"),
        (
            {"password1": "new.runner.example", "password2": "new.runner.example"},
            "password2",
            "too similar to the email address",
        ),
        ({"password1": None, "password2": None}, "password1", "This field is required."),
        ({"password2": TEN_KB}, "password2", "didn’t match"),
        ({"display_name": TEN_KB}, "display_name", "at most 80 characters"),
        ({"distance_unit": "furlongs"}, "distance_unit", "Choose kilometres or miles."),
        ({"distance_unit": TEN_KB}, "distance_unit", "Choose kilometres or miles."),
        ({"distance_unit": None}, "distance_unit", "This field is required."),
    ],
    ids=[
        "bad-email",
        "empty-email",
        "missing-email",
        "10kB-email",
        "nul-character",
        "mismatched-passwords",
        "short-password",
        "common-password",
        "numeric-password",
        "password-like-email",
        "missing-passwords",
        "10kB-password",
        "10kB-display-name",
        "unknown-unit",
        "10kB-unit",
        "missing-unit",
    ],
)
def test_signup_with_bad_input_shows_field_error_and_creates_nobody(
    client: Client, overrides: dict[str, Any], field: str, message: str
) -> None:
    response = client.post(SIGNUP, signup_data(**overrides))
    assert_field_error(response, field, message)
    assert not User.objects.exists()
    assert logged_in_user(client) is None


@pytest.mark.parametrize(
    "post",
    [
        lambda client: client.post(SIGNUP, {}),
        lambda client: client.post(SIGNUP, signup_data(), content_type="application/json"),
    ],
    ids=["empty-form", "json-body"],
)
def test_signup_without_form_fields_lists_every_required_field(client: Client, post: Any) -> None:
    response = post(client)
    for field in ("email", "distance_unit", "password1", "password2"):
        assert_field_error(response, field, "This field is required.")
    assert not User.objects.exists()


# ACTIVATION LINK OPENED IN ANOTHER BROWSER

EMAIL = "new.runner@example.com"
OTHER_PASSWORD = "quartz-meadow-river-55"


def signed_up_elsewhere(mailbox: list[Any], **overrides: Any) -> str:
    """Sign up in a browser of its own; the path of the emailed link."""
    assert Client().post(SIGNUP, signup_data(**overrides)).status_code == 302
    return activation_links(mailbox[-1])["text"]


def put_in_session(client: Client, **values: Any) -> str:
    session = client.session
    session.update(values)
    session.save()
    client.cookies[settings.SESSION_COOKIE_NAME] = str(session.session_key)
    return str(session.session_key)


def test_the_browser_that_signed_up_goes_straight_in_and_forgets_its_marker(
    client: Client, mailoutbox: list[Any]
) -> None:
    client.post(SIGNUP, signup_data())
    assert client.session[PENDING_SIGNUP_SESSION_KEY]["user"] == User.objects.get().pk
    response = client.get(activation_links(mailoutbox[0])["text"])
    assert response.status_code == 302
    assert logged_in_user(client) == User.objects.get()
    assert PENDING_SIGNUP_SESSION_KEY not in client.session


def test_a_link_from_someone_elses_sign_up_asks_for_the_password(
    client: Client, mailoutbox: list[Any]
) -> None:
    """Someone signs up with the address and a password of their own; the owner of the
    address follows the emailed link in their own browser and is not logged in by it."""
    link = signed_up_elsewhere(mailoutbox, password1=OTHER_PASSWORD, password2=OTHER_PASSWORD)
    # This browser signed up too, but for another address: its marker does not fit.
    client.post(SIGNUP, signup_data(email="someone.else@example.com"))

    response = client.get(link)
    content = html.unescape(response.content.decode())
    assert response.status_code == 200
    assert ASKED_FOR_PASSWORD in content
    block = field_block(content, "password")
    assert 'type="password"' in block
    assert 'autocomplete="current-password"' in block
    assert "csrfmiddlewaretoken" in content
    assert not User.objects.get(email=EMAIL).is_active
    assert logged_in_user(client) is None


def test_a_wrong_password_shows_a_field_error_and_leaves_the_account_and_link_alone(
    client: Client, mailoutbox: list[Any]
) -> None:
    link = signed_up_elsewhere(mailoutbox)
    response = client.post(link, {"password": "not-the-password-1"})
    assert_field_error(response, "password", "That password does not match the one chosen")
    assert ASKED_FOR_PASSWORD in html.unescape(response.content.decode())
    assert not User.objects.get().is_active
    assert logged_in_user(client) is None
    # Counted like a failed login of the account.
    assert AccessAttempt.objects.get(username=EMAIL).failures_since_start == 1

    # The link still works until it is used successfully.
    assert client.post(link, {"password": NEW_PASSWORD}).status_code == 302
    assert logged_in_user(client) == User.objects.get()
    assert not AccessAttempt.objects.exists()


@pytest.mark.parametrize(
    ("posted_next", "landing"),
    [
        (reverse("assessment:result"), reverse("assessment:result")),
        ("https://evil.example/", reverse("home")),
    ],
    ids=["on-site", "off-site"],
)
def test_the_right_password_activates_logs_in_and_follows_only_a_safe_next(
    client: Client, mailoutbox: list[Any], posted_next: str, landing: str
) -> None:
    result_url = reverse("assessment:result")
    link = signed_up_elsewhere(mailoutbox, next=result_url)
    page = client.get(link).content.decode()
    assert f'<input type="hidden" name="next" value="{result_url}">' in page

    response = client.post(link, {"password": NEW_PASSWORD, "next": posted_next})
    assert response.status_code == 302
    assert response["Location"] == landing
    user = User.objects.get()
    assert user.is_active
    assert not user.is_pending
    assert logged_in_user(client) == user
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        "Welcome! Your email address is confirmed and your account is ready."
    ]
    assert "This link no longer works" in Client().get(link).content.decode()


def test_password_activation_keeps_the_result_and_draft_of_the_session(
    client: Client, mailoutbox: list[Any]
) -> None:
    link = signed_up_elsewhere(mailoutbox)
    old_key = put_in_session(
        client,
        **{
            RESULT_SESSION_KEY: {"answers": {"legs": "both"}, "result": {"triage": "self_care"}},
            SAVE_SESSION_KEY: {"notes": "Hilly route."},
        },
    )
    client.get(link)
    assert client.post(link, {"password": NEW_PASSWORD}).status_code == 302
    assert logged_in_user(client) == User.objects.get()
    assert client.session.session_key != old_key  # no session fixation
    assert client.session[RESULT_SESSION_KEY]["result"] == {"triage": "self_care"}
    assert client.session[SAVE_SESSION_KEY] == {"notes": "Hilly route."}


def test_signing_up_again_over_someone_else_does_not_hand_them_the_account(
    mailoutbox: list[Any],
) -> None:
    """The owner signs up; someone else signs up again with the same address and another
    password, which replaces the pending one. The owner's click on the newest link must not
    log them in to an account whose password the other person knows."""
    owner, other = Client(), Client()
    owner.post(SIGNUP, signup_data())
    other.post(SIGNUP, signup_data(password1=OTHER_PASSWORD, password2=OTHER_PASSWORD))
    assert [m.to for m in mailoutbox] == [[EMAIL], [EMAIL]]
    newest = activation_links(mailoutbox[-1])["text"]

    asked = owner.get(newest)
    assert asked.status_code == 200
    assert ASKED_FOR_PASSWORD in html.unescape(asked.content.decode())
    refused = owner.post(newest, {"password": NEW_PASSWORD})
    assert_field_error(refused, "password", "does not match the one chosen at sign-up")
    assert not User.objects.get().is_active
    assert logged_in_user(owner) is None
    # The other browser has no link, and the account cannot log in unconfirmed.
    assert login_post(other, EMAIL, OTHER_PASSWORD).status_code == 200
    assert logged_in_user(other) is None

    # Signing up again from the owner's browser takes the address back.
    owner.post(SIGNUP, signup_data())
    assert owner.get(activation_links(mailoutbox[-1])["text"]).status_code == 302
    user = User.objects.get()
    assert logged_in_user(owner) == user
    assert user.check_password(NEW_PASSWORD)
    assert not user.check_password(OTHER_PASSWORD)


@pytest.mark.parametrize(
    "marker",
    [
        lambda pk: "not a marker",
        lambda pk: [pk, "x"],
        lambda pk: {"user": None, "check": ""},
        lambda pk: {"user": str(pk), "check": ""},
        lambda pk: {"user": pk},
        lambda pk: {"user": pk, "check": 42},
        lambda pk: {"user": pk, "check": "0" * 64},
    ],
    ids=["text", "list", "empty", "pk-as-text", "no-check", "check-not-text", "forged-check"],
)
def test_a_broken_or_forged_marker_only_brings_the_password_form(
    client: Client, mailoutbox: list[Any], marker: Any
) -> None:
    link = signed_up_elsewhere(mailoutbox)
    put_in_session(client, **{PENDING_SIGNUP_SESSION_KEY: marker(User.objects.get().pk)})
    response = client.get(link)
    assert response.status_code == 200
    assert ASKED_FOR_PASSWORD in html.unescape(response.content.decode())
    assert not User.objects.get().is_active


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"password": ""},
        {"password": TEN_KB},
        {"password": "a\x00b"},
        {"password": ["one", "two"]},
        {"next": TEN_KB},
        {"password": "<script>alert('owned')</script>", "next": TEN_KB},
    ],
    ids=["nothing", "empty", "10kb", "null-byte", "two-values", "10kb-next", "script"],
)
def test_the_password_form_answers_hostile_input_with_a_field_error(
    client: Client, mailoutbox: list[Any], data: dict[str, Any]
) -> None:
    link = signed_up_elsewhere(mailoutbox)
    response = client.post(link, data)
    assert_field_error(response, "password")
    assert "<script>alert" not in response.content.decode()
    assert not User.objects.get().is_active
    assert logged_in_user(client) is None


def test_a_10kb_link_shows_the_friendly_page(client: Client) -> None:
    response = client.get(
        reverse("accounts:activate", kwargs={"uidb64": TEN_KB, "token": TEN_KB}),
        {"next": TEN_KB},
    )
    assert response.status_code == 200
    assert "This link no longer works" in response.content.decode()
    response = client.post(
        reverse("accounts:activate", kwargs={"uidb64": TEN_KB, "token": TEN_KB}),
        {"password": TEN_KB},
    )
    assert response.status_code == 200
    assert "This link no longer works" in response.content.decode()


def test_wrong_passwords_on_the_link_count_towards_the_login_lockout(
    client: Client, mailoutbox: list[Any]
) -> None:
    link = signed_up_elsewhere(mailoutbox)
    limit = settings.AXES_FAILURE_LIMIT
    statuses = [client.post(link, {"password": f"wrong-{n}"}).status_code for n in range(limit)]
    assert statuses == [200] * (limit - 1) + [429]

    locked = client.post(link, {"password": NEW_PASSWORD})
    assert locked.status_code == 429
    assert "Logging in is paused" in locked.content.decode()
    assert not User.objects.get().is_active
    assert logged_in_user(client) is None
    # One count with the login form: logging in with the address is paused too.
    assert login_post(client, EMAIL, NEW_PASSWORD).status_code == 429


def test_the_password_form_is_rate_limited_like_the_login_form(
    client: Client, mailoutbox: list[Any], settings: Any
) -> None:
    settings.RATELIMIT_RATE = "2/m"
    link = signed_up_elsewhere(mailoutbox)
    assert [client.post(link).status_code for _ in range(2)] == [200, 200]
    blocked = client.post(link, {"password": NEW_PASSWORD})
    assert blocked.status_code == 429
    assert "Too many tries" in blocked.content.decode()
    assert not User.objects.get().is_active
    assert client.get(link).status_code == 200  # showing the form is never limited


# PENDING ACCOUNTS: LOGGING IN BEFORE CONFIRMING, A NEW LINK


def pending_user(email: str = "pending@example.com") -> User:
    return make_user(email, is_active=False)


def login_page_text(response: Any, email: str) -> str:
    """What a failed login shows, with the address that was typed taken out."""
    return visible_text(response).replace(email, "EMAIL")


def test_a_failed_login_tells_how_to_confirm_and_offers_a_new_link(client: Client) -> None:
    pending_user()
    response = login_post(client, "Pending@Example.com", PASSWORD)
    content = html.unescape(response.content.decode())
    assert response.status_code == 200
    assert "If you have just signed up, first confirm your address" in content
    assert "This account is inactive" not in content
    resend_form = re.search(rf'<form method="post" action="{RESEND}">.*?</form>', content, re.S)
    assert resend_form, "no form to send a new link"
    assert 'name="email" value="pending@example.com"' in resend_form.group(0)
    assert "csrfmiddlewaretoken" in resend_form.group(0)
    assert "Send me a new confirmation link" in resend_form.group(0)
    assert logged_in_user(client) is None


def test_a_failed_login_looks_the_same_whatever_the_account_and_password() -> None:
    """Not even the right password of an unconfirmed account gives a different answer."""
    pending_user()
    make_user("active@example.com")
    tries = {
        "pending, right password": ("pending@example.com", PASSWORD),
        "pending, wrong password": ("pending@example.com", "not-the-password"),
        "active, wrong password": ("active@example.com", "not-the-password"),
        "unknown address": ("nobody@example.com", PASSWORD),
    }
    pages = {}
    for name, (email, password) in tries.items():
        response = login_post(Client(), email, password)
        assert response.status_code == 200
        pages[name] = login_page_text(response, email)
    assert len(set(pages.values())) == 1
    assert RESEND in pages["unknown address"]


def test_signing_up_then_logging_in_does_not_tell_a_registered_address(
    mailoutbox: list[Any],
) -> None:
    """Sign up with an address and a password, then try to log in with them: the answer must
    be the same whether the sign-up made a new (unconfirmed) account or the address was taken."""
    make_user("registered@example.com")
    pages = {}
    for email in ("registered@example.com", "fresh@example.com"):
        client = Client()
        client.post(SIGNUP, signup_data(email=email))
        pages[email] = login_page_text(login_post(client, email, NEW_PASSWORD), email)
    assert pages["registered@example.com"] == pages["fresh@example.com"]


def test_new_link_from_the_login_page_confirms_and_returns_to_next(
    client: Client, mailoutbox: list[Any]
) -> None:
    pending_user()
    result_url = reverse("assessment:result")
    page = client.post(
        f"{LOGIN}?next={result_url}",
        {"username": "pending@example.com", "password": PASSWORD, "next": result_url},
    )
    assert f'<input type="hidden" name="next" value="{result_url}">' in page.content.decode()
    response = client.post(RESEND, {"email": "pending@example.com", "next": result_url})
    assert response["Location"] == reverse("accounts:activation_resend_done")
    assert len(mailoutbox) == 1
    assert mailoutbox[0].subject == ACTIVATION_SUBJECT
    link = activation_links(mailoutbox[0])["text"]
    # Asking for a new link proves nothing about the password: this browser did not sign up.
    assert ASKED_FOR_PASSWORD in html.unescape(client.get(link).content.decode())
    activated = client.post(link, {"password": PASSWORD, "next": result_url})
    assert activated["Location"] == result_url
    assert logged_in_user(client) == User.objects.get(email="pending@example.com")


def test_resend_answers_the_same_for_every_address_and_mails_only_pending_ones(
    mailoutbox: list[Any],
) -> None:
    pending_user()
    make_user("active@example.com")
    make_user("closed@example.com", is_active=False, last_login=timezone.now())
    answers = {}
    for email in ("pending@example.com", "active@example.com", "closed@example.com", "x@y.example"):
        client = Client()
        response = client.post(RESEND, {"email": email.upper()})
        page = client.get(response["Location"])
        answers[email] = (response.status_code, response["Location"], visible_text(page))
    assert len(set(answers.values())) == 1
    status, location, text = answers["pending@example.com"]
    assert (status, location) == (302, reverse("accounts:activation_resend_done"))
    assert "If an unconfirmed account uses that address, we have sent it a new link" in text
    assert [m.to for m in mailoutbox] == [["pending@example.com"]]


@pytest.mark.parametrize("email", ["not-an-email", "", TEN_KB + "@example.com"])
def test_resend_with_a_bad_address_shows_a_field_error(
    client: Client, mailoutbox: list[Any], email: str
) -> None:
    assert client.get(RESEND).status_code == 200
    assert_field_error(client.post(RESEND, {"email": email}), "email")
    assert mailoutbox == []


def test_lockout_still_applies_to_a_pending_account_and_activation_lifts_it(
    client: Client, mailoutbox: list[Any]
) -> None:
    client.post(SIGNUP, signup_data(email="pending@example.com"))
    limit = settings.AXES_FAILURE_LIMIT
    assert fail_logins(client, "pending@example.com", limit)[-1] == 429
    locked = login_post(client, "pending@example.com", NEW_PASSWORD)
    assert locked.status_code == 429
    assert "Logging in is paused" in locked.content.decode()

    client.post(RESEND, {"email": "pending@example.com"})
    assert client.get(activation_links(mailoutbox[-1])["text"]).status_code == 302
    client.post(LOGOUT)
    assert login_post(client, "pending@example.com", NEW_PASSWORD).status_code == 302


def test_password_reset_for_a_pending_address_looks_the_same_and_sends_nothing(
    client: Client, mailoutbox: list[Any]
) -> None:
    pending_user()
    pending = request_reset(client, "pending@example.com")
    unknown = request_reset(client, "nobody@example.com")
    assert pending.redirect_chain == unknown.redirect_chain
    assert visible_text(pending) == visible_text(unknown)
    assert mailoutbox == []
