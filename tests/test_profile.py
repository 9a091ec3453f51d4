"""The profile page, deleting an account with everything it owns, and the user model."""

from __future__ import annotations

import re
from typing import Any

import pytest
from axes.models import AccessAttempt, AccessLog
from django.apps import apps
from django.conf import settings
from django.contrib.admin.models import ADDITION, LogEntry
from django.contrib.auth.models import Group, Permission
from django.contrib.sessions.models import Session
from django.core.cache import cache
from django.db import IntegrityError, models, transaction
from django.test import Client
from django.urls import reverse

from accounts.models import DistanceUnit, User
from tests.factories import (
    LOGIN,
    PASSWORD,
    PROFILE,
    TEN_KB,
    assert_field_error,
    logged_in_user,
    login_post,
    make_user,
)

pytestmark = pytest.mark.django_db

DELETE = reverse("accounts:delete")


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


def test_delete_page_offers_the_download_of_the_data_before_the_form(client: Client) -> None:
    client.force_login(make_user())
    content = client.get(DELETE).content.decode()
    offer = content.index("Download your data first")
    assert offer < content.index('type="password"')
    for name in ("history:export_csv", "history:export_json", "history:print_range"):
        assert content.index(f'href="{reverse(name)}"') > offer


def test_delete_page_errors_open_with_the_summary_linked_to_the_password(
    client: Client,
) -> None:
    client.force_login(make_user())
    content = client.post(DELETE, {"password": "not-my-password"}).content.decode()
    assert content.index("There is a problem") < content.index("<h1")
    assert 'href="#id_password"' in content


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


def test_wrong_passwords_lock_the_account_like_failed_logins(client: Client) -> None:
    user = make_user()
    client.force_login(user)
    limit = settings.AXES_FAILURE_LIMIT
    statuses = [client.post(DELETE, {"password": f"wrong-{n}"}).status_code for n in range(limit)]
    assert statuses == [200] * (limit - 1) + [429]

    # Locked out, even the right password deletes nothing, and logging in is paused too.
    response = client.post(DELETE, {"password": PASSWORD})
    assert response.status_code == 429
    assert "Logging in is paused" in response.content.decode()
    assert User.objects.filter(pk=user.pk).exists()
    assert login_post(Client(), user.email, PASSWORD).status_code == 429


@pytest.mark.parametrize(
    "engine",
    ["django.contrib.sessions.backends.db", "django.contrib.sessions.backends.cached_db"],
    ids=["db", "cached_db"],
)
def test_delete_ends_every_other_session_of_the_user(
    client: Client, settings: Any, engine: str
) -> None:
    settings.SESSION_ENGINE = engine
    user = make_user()
    someone = make_user("someone@example.com")
    elsewhere, other_user = Client(), Client()
    elsewhere.force_login(user)
    elsewhere_session = elsewhere.session
    elsewhere_session["stored"] = "answers"
    elsewhere_session.save()
    other_user.force_login(someone)
    client.force_login(user)
    key = elsewhere_session.session_key
    cache_key = f"django.contrib.sessions.cached_db{key}"
    if engine.endswith("cached_db"):
        assert cache.get(cache_key) is not None

    client.post(DELETE, {"password": PASSWORD})

    assert not User.objects.filter(pk=user.pk).exists()
    assert not Session.objects.filter(session_key=key).exists()
    assert cache.get(cache_key) is None
    assert "stored" not in elsewhere.session
    assert logged_in_user(other_user) == someone


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


# THE USER MODEL


def test_users_are_stored_by_lowercased_email_and_named_by_display_name() -> None:
    user = User.objects.create_user("Ada.Lovelace@Example.COM", password=PASSWORD)
    assert user.email == "ada.lovelace@example.com"
    assert str(user) == user.get_full_name() == "ada.lovelace@example.com"
    assert user.get_short_name() == "ada.lovelace"
    user.display_name = "Ada"
    assert (user.get_full_name(), user.get_short_name()) == ("Ada", "Ada")
