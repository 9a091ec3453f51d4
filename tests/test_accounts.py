"""Accounts: sign-up, log in and out, password change and reset, profile, deletion, lockout."""

from __future__ import annotations

import html
import re
from datetime import timedelta
from typing import Any
from unittest import mock

import pytest
from axes.models import AccessAttempt, AccessLog
from django.apps import apps
from django.conf import settings
from django.contrib.admin.models import ADDITION, LogEntry
from django.contrib.auth import password_validation
from django.contrib.auth.models import Group, Permission
from django.core import mail
from django.db import IntegrityError, models, transaction
from django.test import Client
from django.urls import reverse

from accounts.forms import minimum_password_length
from accounts.models import DistanceUnit, User
from accounts.templatetags.accounts_extras import duration_words
from tests.factories import PASSWORD, make_user

pytestmark = pytest.mark.django_db

SIGNUP = reverse("accounts:signup")
LOGIN = reverse("accounts:login")
LOGOUT = reverse("accounts:logout")
PROFILE = reverse("accounts:profile")
DELETE = reverse("accounts:delete")
NEW_PASSWORD = "plum-orchard-lantern-917"
TEN_KB = "x" * 10_240


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


def test_signup_creates_account_logs_in_and_welcomes(client: Client) -> None:
    response = client.post(
        SIGNUP, signup_data(email="New.Runner@Example.COM", distance_unit="mi"), follow=True
    )
    user = User.objects.get()
    assert user.email == "new.runner@example.com"
    assert user.distance_unit == DistanceUnit.MI
    assert user.display_name == "Sam"
    assert user.check_password(NEW_PASSWORD)
    assert logged_in_user(client) == user
    assert response.redirect_chain == [(reverse("home"), 302)]
    assert "Welcome! Your account is ready." in response.content.decode()


def test_signup_follows_a_safe_next_and_ignores_an_outside_one(client: Client) -> None:
    wizard = reverse("legs:wizard")
    response = client.post(SIGNUP, signup_data(next=wizard))
    assert response["Location"] == wizard
    client.logout()
    response = client.post(
        SIGNUP, signup_data(email="other@example.com", next="https://evil.example/")
    )
    assert response["Location"] == reverse("home")


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


def test_signup_with_an_email_already_used_in_any_case_is_refused(client: Client) -> None:
    make_user("taken@example.com")
    response = client.post(SIGNUP, signup_data(email="Taken@EXAMPLE.com"))
    assert_field_error(response, "email", "An account with this email address already exists")
    assert User.objects.count() == 1


def test_signup_losing_a_race_for_the_same_email_shows_a_field_error(client: Client) -> None:
    with mock.patch("accounts.views.SignUpForm.save", side_effect=IntegrityError("unique")):
        response = client.post(SIGNUP, signup_data())
    assert_field_error(response, "email", "already exists")
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
