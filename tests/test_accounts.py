"""Accounts: sign-up, log in and out, password change and reset, profile, deletion, lockout."""

from __future__ import annotations

import html
import re
from datetime import datetime, timedelta
from smtplib import SMTPException
from typing import Any
from unittest import mock
from urllib.parse import urlencode

import pytest
from axes.models import AccessAttempt, AccessLog
from django.apps import apps
from django.conf import settings
from django.contrib.admin.models import ADDITION, LogEntry
from django.contrib.auth import password_validation
from django.contrib.auth.hashers import MD5PasswordHasher
from django.contrib.auth.models import Group, Permission
from django.contrib.auth.tokens import default_token_generator
from django.contrib.messages import get_messages
from django.core import mail
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, models, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from accounts.forms import minimum_password_length
from accounts.models import DistanceUnit, User
from accounts.services import PENDING_SIGNUP_SESSION_KEY
from accounts.templatetags.accounts_extras import duration_words
from accounts.tokens import ActivationTokenGenerator
from legs.history import SAVE_SESSION_KEY
from legs.wizard import RESULT_SESSION_KEY
from tests.factories import PASSWORD, make_user

pytestmark = pytest.mark.django_db

SIGNUP = reverse("accounts:signup")
SIGNUP_SENT = reverse("accounts:signup_sent")
RESEND = reverse("accounts:activation_resend")
ACTIVATION_SUBJECT = "Confirm your email address for Heavy Legs"
NOTICE_SUBJECT = "Someone tried to create a Heavy Legs account with your address"
LOGIN = reverse("accounts:login")
LOGOUT = reverse("accounts:logout")
PROFILE = reverse("accounts:profile")
DELETE = reverse("accounts:delete")
NEW_PASSWORD = "plum-orchard-lantern-917"
TEN_KB = "x" * 10_240
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


def field_block(content: str, field: str) -> str:
    """The crispy-forms markup of one field: label, input, errors and help text."""
    match = re.search(
        rf'<div id="div_id_{field}".*?(?=<div id="div_id_|<button type="submit")', content, re.S
    )
    assert match, f"no field {field!r} in the page"
    return html.unescape(match.group(0))


def assert_field_error(response: Any, field: str, text: str = "") -> None:
    """The page is the form again, with a Bootstrap invalid-feedback message by the field."""
    assert response.status_code == 200
    content = response.content.decode()
    block = field_block(content, field)
    assert "is-invalid" in block
    feedback = re.search(
        rf'<div id="id_{field}_error" class="invalid-feedback">(.*?)</div>', block, re.S
    )
    assert feedback, f"no invalid-feedback next to {field!r}"
    assert text in feedback.group(1)
    # Screen readers announce the message with the field.
    assert re.search(rf'aria-describedby="[^"]*id_{field}_error', block)


def login_post(client: Client, email: str, password: str, **extra: Any) -> Any:
    return client.post(LOGIN, {"username": email, "password": password}, **extra)


def logged_in_user(client: Client) -> User | None:
    user_id = client.session.get("_auth_user_id")
    return User.objects.filter(pk=user_id).first() if user_id else None


def activation_links(message: mail.EmailMultiAlternatives) -> dict[str, str]:
    """The one activation link (path and query) in the text body and in the HTML alternative.

    The scheme and host are those the sign-up request came to (testserver, a live server).
    """
    pattern = r"https?://[^/\s\"<]+(/accounts/activate/[^/\s\"<]+/[^/\s\"<]+/(?:\?[^\s\"<]*)?)"
    text_links = re.findall(pattern, str(message.body))
    html_body = next(str(body) for body, kind in message.alternatives if kind == "text/html")
    html_links = [html.unescape(link) for link in re.findall(pattern, html_body)]
    assert len(text_links) == 1, message.body
    assert len(html_links) == 1, html_body
    return {"text": text_links[0], "html": html_links[0]}


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

    result_url = reverse("legs:result")
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
    client.post(SIGNUP, signup_data(next=reverse("legs:result")))
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
    result_url = reverse("legs:result")
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


def visible_text(response: Any) -> str:
    """The page without what differs on every request (tokens, nonces)."""
    content = response.content.decode()
    content = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", content)
    return re.sub(r'nonce="[^"]+"', "", content)


def test_signup_answers_the_same_whether_the_address_is_new_pending_or_registered(
    mailoutbox: list[Any],
) -> None:
    make_user("registered@example.com")
    Client().post(SIGNUP, signup_data(email="pending@example.com"))
    mailoutbox.clear()
    result_url = reverse("legs:result")

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
    settings.PASSWORD_HASHERS = ["tests.test_accounts.CountingHasher"]
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
    assert "Failed to send the activation email" in caplog.text


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


def test_password_change_needs_login(client: Client) -> None:
    response = client.get(reverse("accounts:password_change"))
    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN)


# PASSWORD RESET BY EMAIL


def request_reset(client: Client, email: str) -> Any:
    return client.post(reverse("accounts:password_reset"), {"email": email}, follow=True)


def reset_links(message: mail.EmailMultiAlternatives) -> dict[str, str]:
    """The reset link in the text body and in the HTML alternative."""
    pattern = r"http://testserver(/accounts/password/reset/[^/\s\"<]+/[^/\s\"<]+/)"
    text_links = re.findall(pattern, str(message.body))
    html_body = next(str(body) for body, kind in message.alternatives if kind == "text/html")
    html_links = re.findall(pattern, html_body)
    assert len(text_links) == 1, message.body
    assert len(html_links) == 1, html_body
    return {"text": text_links[0], "html": html_links[0]}


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
    [(reverse("legs:result"), reverse("legs:result")), ("https://evil.example/", reverse("home"))],
    ids=["on-site", "off-site"],
)
def test_the_right_password_activates_logs_in_and_follows_only_a_safe_next(
    client: Client, mailoutbox: list[Any], posted_next: str, landing: str
) -> None:
    result_url = reverse("legs:result")
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
    result_url = reverse("legs:result")
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


# PROFILE


def test_profile_needs_login(client: Client) -> None:
    response = client.get(PROFILE)
    assert response.status_code == 302
    assert response["Location"] == f"{LOGIN}?next={PROFILE}"


def test_profile_shows_the_owner_their_own_settings(client: Client) -> None:
    client.force_login(make_user(display_name="Ada", distance_unit="mi"))
    make_user("other@example.com", display_name="Someone else")
    content = client.get(PROFILE).content.decode()
    assert 'value="Ada"' in content
    assert "runner@example.com" in content
    assert "Someone else" not in content
    assert re.search(r'value="mi"[^>]*checked', content)


def test_profile_saves_display_name_and_unit(client: Client) -> None:
    user = make_user()
    client.force_login(user)
    response = client.post(PROFILE, {"display_name": "Ada", "distance_unit": "mi"}, follow=True)
    assert response.redirect_chain == [(PROFILE, 302)]
    assert "Your profile has been saved." in response.content.decode()
    user.refresh_from_db()
    assert (user.display_name, user.distance_unit) == ("Ada", DistanceUnit.MI)


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"display_name": "Ada", "distance_unit": "leagues"}, "distance_unit", "kilometres or"),
        ({"display_name": "Ada\x00", "distance_unit": "mi"}, "display_name", "Null characters"),
        ({"display_name": "Ada"}, "distance_unit", "This field is required."),
        ({"display_name": TEN_KB, "distance_unit": "mi"}, "display_name", "at most 80"),
    ],
    ids=["unknown-unit", "nul-character", "missing-unit", "10kB-name"],
)
def test_profile_with_bad_input_shows_field_error_and_saves_nothing(
    client: Client, data: dict[str, Any], field: str, message: str
) -> None:
    user = make_user(display_name="Before")
    client.force_login(user)
    response = client.post(PROFILE, data)
    assert_field_error(response, field, message)
    user.refresh_from_db()
    assert (user.display_name, user.distance_unit) == ("Before", DistanceUnit.KM)


@pytest.mark.parametrize("method", ["put", "delete", "patch"])
def test_profile_refuses_other_methods(client: Client, method: str) -> None:
    client.force_login(make_user())
    assert getattr(client, method)(PROFILE).status_code == 405


# ACCOUNT DELETION


def relations_to(
    targets: set[type[models.Model]],
) -> list[tuple[type[models.Model], models.ForeignKey[Any, Any]]]:
    """Every foreign key (one-to-one included) pointing at one of `targets`, through tables too."""
    return [
        (model, field)
        for model in apps.get_models(include_auto_created=True)
        for field in model._meta.get_fields()
        if isinstance(field, models.ForeignKey)
        and field.concrete
        and field.remote_field.model in targets
    ]


def user_relations() -> list[tuple[type[models.Model], models.ForeignKey[Any, Any]]]:
    return relations_to({User})


def owned_models() -> set[type[models.Model]]:
    """The user model and every model whose rows go with a user: cascades followed to the end."""
    owned: set[type[models.Model]] = {User}
    while True:
        more = {
            model
            for model, field in relations_to(owned)
            if field.remote_field.on_delete is models.CASCADE
        }
        if more <= owned:
            return owned
        owned |= more


def rows_pointing_at(user_id: int) -> dict[str, int]:
    return {
        f"{model._meta.label}.{field.name}": count
        for model, field in user_relations()
        if (count := model._default_manager.filter(**{field.attname: user_id}).count())
    }


def give_user_rows(user: User) -> None:
    """Rows that hang off a user: Django's own, and one row of every project model that
    belongs to a user and can be made from its field defaults (an episode, for example)."""
    group = Group.objects.create(name=f"group of {user.email}")
    user.groups.add(group)
    user.user_permissions.add(Permission.objects.get(codename="view_user"))
    LogEntry.objects.create(
        user=user, object_repr="something", action_flag=ADDITION, change_message="[]"
    )
    for model, field in user_relations():
        if model._meta.auto_created or model._meta.app_label in {"admin", "auth"}:
            continue
        try:
            with transaction.atomic():
                model._default_manager.create(**{field.name: user})
        except (IntegrityError, TypeError, ValueError):
            continue  # needs more than defaults; the cascade test above still covers it


def test_every_relation_to_a_user_goes_when_the_user_goes() -> None:
    """A new model that owns rows must cascade (or let go): nothing may block or dangle.

    Followed to the end: rows that hang off an owned row (a follow-up of an episode) too.
    """
    owned = owned_models()
    relations = relations_to(owned)
    assert len(relations) >= 3, "expected at least the auth and admin relations"
    stuck = [
        f"{model._meta.label}.{field.name} -> {field.remote_field.model._meta.label}"
        for model, field in relations
        if field.remote_field.on_delete not in (models.CASCADE, models.SET_NULL)
    ]
    assert stuck == [], f"owned models: {sorted(m._meta.label for m in owned)}"


def test_delete_page_needs_login(client: Client) -> None:
    response = client.get(DELETE)
    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN)


def test_delete_page_asks_for_the_password(client: Client) -> None:
    client.force_login(make_user())
    content = client.get(DELETE).content.decode()
    assert 'type="password"' in content
    assert 'autocomplete="current-password"' in content
    assert "cannot be undone" in content
    assert re.search(rf'<a [^>]*href="{PROFILE}"[^>]*>Keep my account</a>', content)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"password": "not-my-password"}, "That password is not correct."),
        ({"password": ""}, "This field is required."),
        ({}, "This field is required."),
        ({"password": TEN_KB}, "at most 4096 characters"),
    ],
    ids=["wrong", "empty", "missing", "10kB"],
)
def test_delete_with_wrong_or_missing_password_keeps_everything(
    client: Client, data: dict[str, str], message: str
) -> None:
    user = make_user()
    give_user_rows(user)
    client.force_login(user)
    before = rows_pointing_at(user.pk)
    response = client.post(DELETE, data)
    assert_field_error(response, "password", message)
    assert User.objects.filter(pk=user.pk).exists()
    assert rows_pointing_at(user.pk) == before
    assert logged_in_user(client) == user


def test_delete_removes_the_user_and_every_row_they_own(client: Client) -> None:
    user = make_user()
    outsider = make_user("outsider@example.com")
    for person in (user, outsider):
        give_user_rows(person)
        # A failed and a successful login leave login-protection records under the email.
        login_post(Client(), person.email, "wrong-password")
        login_post(Client(), person.email, PASSWORD)
    user_id = user.pk
    assert len(rows_pointing_at(user_id)) >= 3
    assert AccessLog.objects.filter(username=user.email).exists()
    outsider_rows = rows_pointing_at(outsider.pk)

    client.force_login(user)
    response = client.post(DELETE, {"password": PASSWORD}, follow=True)

    assert response.redirect_chain == [(reverse("home"), 302)]
    assert "everything stored with it have been deleted" in response.content.decode()
    assert not User.objects.filter(pk=user_id).exists()
    assert rows_pointing_at(user_id) == {}
    assert not AccessLog.objects.filter(username=user.email).exists()
    assert not AccessAttempt.objects.filter(username=user.email).exists()
    assert logged_in_user(client) is None
    assert rows_pointing_at(outsider.pk) == outsider_rows
    assert AccessLog.objects.filter(username=outsider.email).exists()


# LOGIN LOCKOUT


def fail_logins(client: Client, email: str, times: int) -> list[int]:
    return [login_post(client, email, f"wrong-{n}").status_code for n in range(times)]


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


# THE USER MODEL AND SMALL HELPERS


def test_users_are_stored_by_lowercased_email_and_named_by_display_name() -> None:
    user = User.objects.create_user("Ada.Lovelace@Example.COM", password=PASSWORD)
    assert user.email == "ada.lovelace@example.com"
    assert str(user) == user.get_full_name() == "ada.lovelace@example.com"
    assert user.get_short_name() == "ada.lovelace"
    user.display_name = "Ada"
    assert (user.get_full_name(), user.get_short_name()) == ("Ada", "Ada")


def test_superusers_are_staff_and_log_in_with_email(client: Client) -> None:
    admin = User.objects.create_superuser("boss@example.com", password=PASSWORD)
    assert admin.is_staff and admin.is_superuser
    assert login_post(client, "Boss@Example.com", PASSWORD).status_code == 302


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


def test_password_help_falls_back_when_no_length_rule_is_set(settings: Any) -> None:
    settings.AUTH_PASSWORD_VALIDATORS = []  # Django drops its cached validators on change
    assert minimum_password_length() == 1


def test_logout_by_get_explains_and_offers_the_button(client: Client) -> None:
    client.force_login(make_user())
    response = client.get(LOGOUT)
    assert response.status_code == 405
    assert response["Allow"] == "POST, OPTIONS"
    assert b'action="' + LOGOUT.encode() + b'"' in response.content
