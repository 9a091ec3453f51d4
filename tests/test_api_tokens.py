"""Personal access tokens: created, named and revoked by the runner on the API tokens page
(linked from the profile), stored hashed, shown once, and refused when revoked, expired or
unknown."""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from legs.api.models import ApiToken, TokenScope
from legs.api.services import token_create, token_revoke
from tests.factories import PROFILE, make_user

TOKENS = reverse("api:tokens")
EPISODES = "/api/v1/episodes"


def bearer(secret: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


@pytest.fixture
def owner(db: None) -> User:
    return make_user("owner@example.com")


@pytest.fixture
def outsider(db: None) -> User:
    return make_user("outsider@example.com")


@pytest.fixture
def owner_client(client: Client, owner: User) -> Client:
    client.force_login(owner)
    return client


def create(owner: User, **extra: Any) -> tuple[ApiToken, str]:
    fields: dict[str, Any] = {
        "name": "Watch",
        "scope": TokenScope.READ,
        "lifetime": timedelta(days=30),
        **extra,
    }
    return token_create(owner=owner, **fields)


# THE MODEL AND SERVICES


def test_only_a_digest_and_a_short_prefix_are_stored(db: None, owner: User) -> None:
    token, secret = create(owner)
    token.refresh_from_db()
    assert secret.startswith("hl_")
    assert len(secret) > 40
    assert token.digest == hashlib.sha256(secret.encode()).hexdigest()
    assert token.prefix == secret[:9]
    stored = " ".join(str(v) for v in ApiToken.objects.values_list().get())
    assert secret not in stored


def test_two_tokens_never_share_a_secret(db: None, owner: User) -> None:
    assert create(owner)[1] != create(owner)[1]


# THE PAGE


def test_the_profile_links_to_the_tokens_page(owner_client: Client) -> None:
    assert f'href="{TOKENS}"' in owner_client.get(PROFILE).content.decode()


def test_the_tokens_page_needs_a_login(client: Client, db: None) -> None:
    response = client.get(TOKENS)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_the_tokens_page_refuses_other_methods(owner_client: Client) -> None:
    assert owner_client.put(TOKENS).status_code == 405


def test_a_created_token_is_shown_once_and_works(owner_client: Client, owner: User) -> None:
    response = owner_client.post(
        TOKENS, {"name": "Coach dashboard", "scope": "read", "expires_in": "30"}, follow=True
    )
    html = response.content.decode()
    found = re.search(r"hl_[A-Za-z0-9_-]{40,}", html)
    assert found is not None
    secret = found.group()
    token = ApiToken.objects.get()
    assert (token.owner, token.name, token.scope) == (owner, "Coach dashboard", "read")
    lifetime = token.expires_at - timezone.now()
    assert lifetime == pytest.approx(timedelta(days=30), abs=timedelta(minutes=1))
    assert secret not in owner_client.get(TOKENS).content.decode()
    assert "Coach dashboard" in owner_client.get(TOKENS).content.decode()
    assert Client().get(EPISODES, **bearer(secret)).status_code == 200


def test_a_token_needs_a_name(owner_client: Client) -> None:
    response = owner_client.post(TOKENS, {"name": "", "scope": "read", "expires_in": "30"})
    assert response.status_code == 200
    assert response.context["form"].errors["name"]
    assert not ApiToken.objects.exists()


def test_a_token_cannot_outlive_a_year(owner_client: Client) -> None:
    response = owner_client.post(TOKENS, {"name": "Forever", "scope": "read", "expires_in": "9999"})
    assert response.context["form"].errors["expires_in"]
    assert not ApiToken.objects.exists()


def test_the_page_lists_only_the_runners_own_tokens(
    owner_client: Client, owner: User, outsider: User
) -> None:
    create(owner, name="Mine")
    create(outsider, name="Theirs")
    html = owner_client.get(TOKENS).content.decode()
    assert "Mine" in html
    assert "Theirs" not in html


def test_the_runner_revokes_a_token(owner_client: Client, owner: User) -> None:
    token, secret = create(owner)
    response = owner_client.post(reverse("api:token_revoke", args=[token.pk]))
    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert "Revoked" in owner_client.get(TOKENS).content.decode()
    assert Client().get(EPISODES, **bearer(secret)).status_code == 401


def test_another_runners_token_cannot_be_revoked(owner_client: Client, outsider: User) -> None:
    token, _ = create(outsider)
    response = owner_client.post(reverse("api:token_revoke", args=[token.pk]))
    assert response.status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None


def test_revoking_needs_a_post(owner_client: Client, owner: User) -> None:
    token, _ = create(owner)
    assert owner_client.get(reverse("api:token_revoke", args=[token.pk])).status_code == 405


def test_revoking_needs_a_login(client: Client, owner: User) -> None:
    token, _ = create(owner)
    assert client.post(reverse("api:token_revoke", args=[token.pk])).status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is None


# BAD TOKENS ARE 401 JSON


@pytest.mark.parametrize("path", [EPISODES, "/api/v1/insights"])
def test_a_revoked_token_is_401(client: Client, owner: User, path: str) -> None:
    token, secret = create(owner)
    token_revoke(token=token)
    response = client.get(path, **bearer(secret))
    assert response.status_code == 401
    assert response.json() == {"detail": "This API token has been revoked."}


def test_an_expired_token_is_401(client: Client, owner: User) -> None:
    token, secret = create(owner)
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    response = client.get(EPISODES, **bearer(secret))
    assert response.status_code == 401
    assert response.json() == {"detail": "This API token has expired."}


@pytest.mark.parametrize("header", ["Bearer hl_not-a-real-token", "Bearer ", "Bearer x y"])
def test_an_unknown_token_is_401(client: Client, db: None, header: str) -> None:
    response = client.get(EPISODES, HTTP_AUTHORIZATION=header)
    assert response.status_code == 401
    assert response.json() == {"detail": "Unknown API token."}


def test_another_scheme_is_401(client: Client, db: None) -> None:
    response = client.get(EPISODES, HTTP_AUTHORIZATION="Basic b3duZXI6cGFzcw==")
    assert response.status_code == 401
    assert "Authorization: Bearer" in response.json()["detail"]


def test_a_deactivated_runners_token_is_401(client: Client, owner: User) -> None:
    _, secret = create(owner)
    User.objects.filter(pk=owner.pk).update(is_active=False)
    assert client.get(EPISODES, **bearer(secret)).status_code == 401


def test_a_bad_token_wins_over_a_session(client: Client, owner: User) -> None:
    """A caller who sends a token means to use it: a wrong one is never covered by a login."""
    client.force_login(owner)
    assert client.get(EPISODES, **bearer("hl_wrong")).status_code == 401


def test_use_is_recorded_at_most_once_a_minute(client: Client, owner: User) -> None:
    token, secret = create(owner)
    client.get(EPISODES, **bearer(secret))
    token.refresh_from_db()
    first = token.last_used_at
    assert first is not None
    client.get(EPISODES, **bearer(secret))
    token.refresh_from_db()
    assert token.last_used_at == first
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=first - timedelta(minutes=2))
    client.get(EPISODES, **bearer(secret))
    token.refresh_from_db()
    assert token.last_used_at is not None and token.last_used_at > first


def test_deleting_an_account_deletes_its_tokens(db: None, owner: User) -> None:
    create(owner)
    owner.delete()
    assert not ApiToken.objects.exists()


def test_the_tokens_page_is_never_kept_by_a_browser(owner_client: Client) -> None:
    """It shows a new token's secret once: the back button must not bring it back."""
    response = owner_client.post(
        TOKENS, {"name": "Watch", "scope": "read", "expires_in": "30"}, follow=True
    )
    assert response.status_code == 200
    assert ApiToken.objects.exists()
    assert "no-store" in response["Cache-Control"]
    assert "private" in response["Cache-Control"]


def test_a_password_change_ends_every_token(client: Client, owner: User) -> None:
    _, secret = create(owner, scope=TokenScope.READ_WRITE)
    assert client.get(EPISODES, **bearer(secret)).status_code == 200
    owner.set_password("a-brand-new-password-42")
    owner.save()
    response = client.get(EPISODES, **bearer(secret))
    assert response.status_code == 401
    assert "password changed" in response.json()["detail"]
    token = ApiToken.objects.select_related("owner").get()
    assert not token.active
    assert token.status() == "ended by a password change"


# THE ADMIN

ADMIN_TOKENS = reverse("admin:api_apitoken_changelist")


@pytest.mark.parametrize("count", [2, 5])
def test_the_admin_lists_tokens_with_their_dates_and_never_their_digest(
    admin_client: Client, owner: User, django_assert_num_queries: Any, count: int
) -> None:
    names = ["Watch", "Coach", "Phone", "Laptop", "Club"][:count]
    tokens = [create(owner, name=name)[0] for name in names]
    token_revoke(token=tokens[0])

    # The session and its user; the count shown and the total; the tokens with their owners
    # (one join); the date hierarchy's first and last day, and its days. Whatever the count.
    with django_assert_num_queries(7):
        response = admin_client.get(ADMIN_TOKENS)
    content = response.content.decode()
    assert response.status_code == 200
    for column in ("Owner", "Name", "Scope", "Created at", "Expires at", "Last used at"):
        assert column in content
    assert "owner@example.com" in content and "Coach" in content
    for token in tokens:
        assert token.digest not in content
        change = admin_client.get(reverse("admin:api_apitoken_change", args=[token.pk]))
        assert change.status_code == 200
        assert token.prefix in change.content.decode()
        assert token.digest not in change.content.decode()
        assert token.password_marker not in change.content.decode()


def test_the_admin_finds_tokens_by_owner_or_name(admin_client: Client, owner: User) -> None:
    create(owner, name="Garmin sync")
    create(make_user("other@example.com"), name="Coach")

    found = admin_client.get(ADMIN_TOKENS, {"q": "garmin"}).content.decode()
    assert "Garmin sync" in found and "Coach" not in found
    found = admin_client.get(ADMIN_TOKENS, {"q": "other@example"}).content.decode()
    assert "Coach" in found and "Garmin sync" not in found


def test_the_admin_revokes_the_selected_tokens(admin_client: Client, owner: User) -> None:
    (watch, watch_secret), (coach, _) = create(owner, name="Watch"), create(owner, name="Coach")
    assert Client().get(EPISODES, **bearer(watch_secret)).status_code == 200

    response = admin_client.post(
        ADMIN_TOKENS,
        {"action": "revoke", "_selected_action": [watch.pk]},
        follow=True,
    )
    assert "Revoked 1 token(s)" in response.content.decode()
    watch.refresh_from_db()
    coach.refresh_from_db()
    assert watch.revoked_at is not None and coach.revoked_at is None
    assert Client().get(EPISODES, **bearer(watch_secret)).status_code == 401


def test_the_admin_never_makes_a_token(admin_client: Client, owner: User) -> None:
    add = reverse("admin:api_apitoken_add")
    assert admin_client.get(add).status_code == 403
    assert admin_client.post(add, {"owner": owner.pk, "name": "x"}).status_code == 403
    assert not ApiToken.objects.exists()


def test_only_staff_open_the_tokens_admin(client: Client, owner: User) -> None:
    client.force_login(owner)
    response = client.get(ADMIN_TOKENS)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))
