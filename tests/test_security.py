"""Hostile input, forged requests and other people's data: the site stays calm and closed.

Every form and the wizard get markup, SQL-looking text, huge and malformed values, NUL bytes,
lists where one value is expected and the wrong HTTP methods; none may cause a 500 or come back
as live markup. Forms refuse forged or missing CSRF tokens, history URLs answer 404 for someone
else's episode, responses carry the security headers, the admin lives at ADMIN_URL, password
reset does not tell whether an address has an account, and rate limits hold on the forms
that attackers hammer.
"""

from __future__ import annotations

import importlib
import re
import uuid
from collections.abc import Iterator
from datetime import timedelta
from typing import Any
from unittest import mock

import pytest
from django.core.cache import cache
from django.test import Client, override_settings
from django.urls import clear_url_caches, get_resolver, reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from accounts.models import User
from accounts.tokens import activation_token
from config.client import client_ip
from legs.assessment.engine import assess
from legs.assessment.wizard import RESULT_SESSION_KEY
from legs.history.imports import Activity
from legs.history.models import Episode, EpisodeRemedy, ImportBatch
from legs.history.services import RunContext, episode_create, run_create
from legs.knowledge.published import get_knowledge
from tests.factories import PASSWORD, make_user, visible_text

WIZARD_PREFIX = "assessment_wizard"
SCRIPT = "<script>alert('owned')</script>"
IMAGE = '"><img src=x onerror=alert(1)>'
HOSTILE = [
    SCRIPT,
    IMAGE,
    "' OR '1'='1' --",
    "1; DROP TABLE accounts_user; --",
    "{{ request }}{% debug %}",
    "a\x00b",
    "x" * 100_000,
    "../../../../etc/passwd",
    "\u202egnp.exe",
    "-1",
    "9" * 40,
    "1e309",
    "NaN",
    "2026-02-30",
]
LIVE_MARKUP = ("<script>alert('owned')", "<img src=x onerror")
SELF_CARE: dict[str, Any] = {
    "warning_signs": ["none"],
    "timing": "whole_run",
    "sleep_hours": "under_6",
    "warmup": "none",
}


def assert_calm(response: Any) -> None:
    """No server error, and nothing hostile comes back as live markup."""
    assert response.status_code < 500, response.status_code
    body = response.content.decode(errors="replace")
    for markup in LIVE_MARKUP:
        assert markup not in body


def make_episode(user: User) -> Episode:
    knowledge = get_knowledge()
    return episode_create(
        user=user,
        answers=SELF_CARE,
        result=assess(SELF_CARE, knowledge),
        knowledge=knowledge,
        run_context=RunContext(run_date=timezone.localdate() - timedelta(days=5), heaviness=6),
        token=uuid.uuid4(),
    )


def put_result_in_session(client: Client) -> None:
    knowledge = get_knowledge()
    session = client.session
    session[RESULT_SESSION_KEY] = {
        "answers": SELF_CARE,
        "result": assess(SELF_CARE, knowledge).to_dict(),
        "knowledge_version": knowledge.version,
        "created": timezone.now().isoformat(),
    }
    session.save()


@pytest.fixture
def owner(seeded: None) -> User:
    return make_user("owner@example.com", display_name="Olive")


@pytest.fixture
def owner_client(client: Client, owner: User) -> Client:
    client.force_login(owner)
    return client


@pytest.fixture
def episode(owner: User) -> Episode:
    return make_episode(owner)


# HOSTILE INPUT TO EVERY FORM


ANONYMOUS_FORMS: dict[str, list[str]] = {
    "/accounts/signup/": ["email", "display_name", "distance_unit", "password1", "password2"],
    "/accounts/login/": ["username", "password"],
    "/accounts/password/reset/": ["email"],
    "/accounts/activation/resend/": ["email"],
}
SIGNED_IN_FORMS: dict[str, list[str]] = {
    "/accounts/profile/": ["display_name", "distance_unit"],
    "/accounts/password/change/": ["old_password", "new_password1", "new_password2"],
    "/accounts/delete/": ["password"],
}
RUN_FIELDS = ["run_date", "distance", "unit", "duration", "heaviness", "legs", "notes"]


@pytest.mark.parametrize("value", HOSTILE, ids=range(len(HOSTILE)))
@pytest.mark.parametrize("path", list(ANONYMOUS_FORMS))
def test_anonymous_forms_stay_calm_under_hostile_input(
    client: Client, seeded: None, path: str, value: str
) -> None:
    data = dict.fromkeys(ANONYMOUS_FORMS[path], value)

    assert_calm(client.post(path, data))
    assert_calm(client.post(path, {name: [value, SCRIPT] for name in data}))
    assert_calm(client.get(path, data))


@pytest.mark.parametrize("value", HOSTILE, ids=range(len(HOSTILE)))
@pytest.mark.parametrize("path", list(SIGNED_IN_FORMS))
def test_account_forms_stay_calm_under_hostile_input(
    owner_client: Client, owner: User, path: str, value: str
) -> None:
    data = dict.fromkeys(SIGNED_IN_FORMS[path], value)

    assert_calm(owner_client.post(path, data))
    assert_calm(owner_client.post(path, {name: [value, "x"] for name in data}))
    assert User.objects.filter(pk=owner.pk).exists()


@pytest.mark.parametrize("value", HOSTILE, ids=range(len(HOSTILE)))
def test_the_activation_password_form_stays_calm_under_hostile_input(
    client: Client, seeded: None, value: str
) -> None:
    """The form an activation link shows in a browser that did not make the sign-up."""
    pending = make_user("pending@example.com", is_active=False)
    uid = urlsafe_base64_encode(force_bytes(pending.pk))
    path = reverse(
        "accounts:activate", kwargs={"uidb64": uid, "token": activation_token.make_token(pending)}
    )
    data = {"password": value, "next": value}

    assert_calm(client.post(path, data))
    assert_calm(client.post(path, {name: [value, SCRIPT] for name in data}))
    assert_calm(client.get(path, data))
    pending.refresh_from_db()
    assert not pending.is_active


def test_a_hostile_display_name_is_shown_as_text(owner_client: Client) -> None:
    response = owner_client.post(
        "/accounts/profile/", {"display_name": SCRIPT[:40], "distance_unit": "km"}, follow=True
    )

    assert_calm(response)
    assert "&lt;script&gt;" in response.content.decode()


@pytest.mark.parametrize("value", HOSTILE, ids=range(len(HOSTILE)))
def test_saving_a_result_stays_calm_under_hostile_input(owner_client: Client, value: str) -> None:
    put_result_in_session(owner_client)
    token = re.search(r'name="token" value="([^"]+)"', owner_client.get("/assessment/result/").text)
    assert token

    response = owner_client.post(
        "/history/save/", {**dict.fromkeys(RUN_FIELDS, value), "token": token.group(1)}
    )
    forged_token = owner_client.post(
        "/history/save/", {**dict.fromkeys(RUN_FIELDS, value), "token": value}
    )

    assert_calm(response)
    assert_calm(forged_token)


@pytest.mark.parametrize("value", HOSTILE, ids=range(len(HOSTILE)))
def test_episode_forms_stay_calm_under_hostile_input(
    owner_client: Client, episode: Episode, value: str
) -> None:
    base = f"/history/{episode.pk}"

    assert_calm(owner_client.post(f"{base}/edit/", dict.fromkeys(RUN_FIELDS, value)))
    assert_calm(
        owner_client.post(
            f"{base}/follow-up/", {"tried": [value, "0", "-1"], "outcome": value, "note": value}
        )
    )
    for path in ("/history/", "/history/print/", "/history/export.csv"):
        params = {"date_from": value, "date_to": value, "triage": value, "cause": value}
        assert_calm(owner_client.get(path, {**params, "page": value}))


def test_a_hostile_note_is_stored_as_text_and_shown_escaped(
    owner_client: Client, episode: Episode
) -> None:
    data = {"run_date": episode.run_date.isoformat(), "unit": "km", "notes": SCRIPT}

    owner_client.post(f"/history/{episode.pk}/edit/", data)
    page = owner_client.get(f"/history/{episode.pk}/")

    episode.refresh_from_db()
    assert episode.notes == SCRIPT
    assert_calm(page)
    assert "&lt;script&gt;" in page.content.decode()


@pytest.mark.parametrize("value", HOSTILE, ids=range(len(HOSTILE)))
def test_wizard_steps_stay_calm_under_hostile_input(
    client: Client, seeded: None, value: str
) -> None:
    client.get("/assessment/safety/")
    step_url = "/assessment/safety/"
    data = {
        f"{WIZARD_PREFIX}-current_step": "safety",
        "safety-warning_signs": [value, "none"],
        "wizard_goto_step": value,
    }

    assert_calm(client.post(step_url, data))
    assert_calm(client.post(step_url, {f"{WIZARD_PREFIX}-current_step": value}))
    assert_calm(client.post(f"/assessment/{value[:50]}/", data))
    assert_calm(client.get("/assessment/", {"reset": value}))


def test_an_unknown_wizard_step_in_the_url_leads_back_to_the_start(
    client: Client, seeded: None
) -> None:
    response = client.get("/assessment/no-such-step/")

    assert response.status_code == 302
    assert response["Location"] == "/assessment/safety/"


# A PROPERTY-BASED FUZZ OF THE WIZARD'S POST HANDLING


STEP_NAMES = ["safety", "pattern", "training", "fuel", "recovery", "health", "check-answers"]
field_names = st.one_of(
    st.sampled_from(
        [
            f"{WIZARD_PREFIX}-current_step",
            "wizard_goto_step",
            "safety-warning_signs",
            "pattern-legs",
            "pattern-symptoms",
            "training-warmup",
            "health-risk_factors",
            "csrfmiddlewaretoken",
        ]
    ),
    st.text(max_size=30),
)
field_values = st.one_of(
    st.sampled_from(["none", "both", "one", "chest_symptoms", "", *STEP_NAMES]),
    st.text(max_size=200),
    st.lists(st.text(max_size=20), max_size=5),
)


@pytest.mark.django_db
@hypothesis_settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    answered_first=st.booleans(),
    step=st.sampled_from(STEP_NAMES),
    data=st.dictionaries(field_names, field_values, max_size=8),
)
def test_the_wizard_never_fails_on_any_post(
    seeded: None, answered_first: bool, step: str, data: dict[str, Any]
) -> None:
    client = Client()
    client.get("/assessment/safety/")
    if answered_first:
        client.post(
            "/assessment/safety/",
            {f"{WIZARD_PREFIX}-current_step": "safety", "safety-warning_signs": ["none"]},
        )
    data = {key.replace("\x00", ""): value for key, value in data.items()}

    response = client.post(f"/assessment/{step}/", data)

    assert_calm(response)


# WRONG METHODS


def episode_paths(pk: int) -> list[str]:
    return [
        f"/history/{pk}/",
        f"/history/{pk}/edit/",
        f"/history/{pk}/delete/",
        f"/history/{pk}/follow-up/",
        f"/history/{pk}/print/",
    ]


def every_path(pk: int) -> list[str]:
    return [
        "/",
        "/about/",
        "/privacy/",
        "/healthz",
        "/causes/",
        "/causes/dehydration/",
        "/faq/",
        "/warning-signs/",
        "/assessment/",
        "/assessment/safety/",
        "/assessment/result/",
        "/accounts/logout/",
        "/accounts/profile/",
        "/accounts/delete/",
        "/accounts/password/change/",
        "/accounts/password/reset/",
        "/history/",
        "/history/save/",
        "/history/insights/",
        "/history/export.csv",
        "/history/export.json",
        "/history/print/",
        *episode_paths(pk),
    ]


# Django's own form views (log-in, password change and reset) treat PUT as POST: the form
# is validated as for a POST, under the same CSRF check, so PUT there is a refused form.
PUT_AS_POST = {"/accounts/login/", "/accounts/password/change/", "/accounts/password/reset/"}


def expected_status(method: str, path: str) -> set[int]:
    return {405, 200} if method == "put" and path in PUT_AS_POST else {405}


@pytest.mark.parametrize("method", ["put", "patch", "delete"])
def test_unsupported_methods_are_refused_everywhere(
    owner_client: Client, owner: User, episode: Episode, method: str
) -> None:
    for path in every_path(episode.pk):
        response = getattr(owner_client, method)(path)
        assert response.status_code in expected_status(method, path), (path, response.status_code)
    assert Episode.objects.filter(pk=episode.pk).exists()
    assert User.objects.filter(pk=owner.pk).exists()


@pytest.mark.parametrize("method", ["put", "patch", "delete"])
def test_unsupported_methods_are_refused_on_the_anonymous_forms(
    client: Client, seeded: None, method: str
) -> None:
    for path in ANONYMOUS_FORMS:
        assert getattr(client, method)(path).status_code in expected_status(method, path), path


def test_pages_that_only_show_refuse_posts(owner_client: Client, episode: Episode) -> None:
    only_show = [
        "/",
        "/about/",
        "/causes/",
        "/faq/",
        "/assessment/result/",
        "/history/",
        "/history/insights/",
        "/history/export.csv",
        f"/history/{episode.pk}/",
        f"/history/{episode.pk}/print/",
    ]
    for path in only_show:
        assert owner_client.post(path).status_code == 405, path


def test_changes_to_an_episode_need_a_post(owner_client: Client, episode: Episode) -> None:
    assert owner_client.get(f"/history/{episode.pk}/follow-up/").status_code == 405
    owner_client.get(f"/history/{episode.pk}/delete/")
    assert Episode.objects.filter(pk=episode.pk).exists()


# CSRF


@pytest.fixture
def strict_client(seeded: None) -> Client:
    return Client(enforce_csrf_checks=True)


def csrf_forms(pk: int) -> list[str]:
    return [
        "/accounts/signup/",
        "/accounts/login/",
        "/accounts/logout/",
        "/accounts/password/reset/",
        "/accounts/activation/resend/",
        "/accounts/profile/",
        "/accounts/password/change/",
        "/accounts/delete/",
        "/assessment/safety/",
        "/history/save/",
        f"/history/{pk}/edit/",
        f"/history/{pk}/delete/",
        f"/history/{pk}/follow-up/",
    ]


def test_every_form_refuses_a_post_without_a_csrf_token(
    strict_client: Client, owner: User, episode: Episode
) -> None:
    strict_client.force_login(owner)

    for path in csrf_forms(episode.pk):
        response = strict_client.post(path, {"password": PASSWORD, "notes": "x"})
        assert response.status_code == 403, path
        assert "Traceback" not in response.content.decode()
    assert Episode.objects.filter(pk=episode.pk).exists()
    assert User.objects.filter(pk=owner.pk).exists()


def test_every_form_refuses_a_forged_csrf_token(
    strict_client: Client, owner: User, episode: Episode
) -> None:
    strict_client.force_login(owner)
    strict_client.get("/accounts/profile/")  # a real CSRF cookie is set
    forged = "A" * 64

    for path in csrf_forms(episode.pk):
        response = strict_client.post(path, {"csrfmiddlewaretoken": forged, "password": PASSWORD})
        assert response.status_code == 403, path
    other = Client(enforce_csrf_checks=True)
    other.get("/accounts/login/")
    foreign = other.cookies["csrftoken"].value
    response = strict_client.post(
        f"/history/{episode.pk}/delete/", {"csrfmiddlewaretoken": foreign}
    )
    assert response.status_code == 403
    assert Episode.objects.filter(pk=episode.pk).exists()


def test_a_form_with_its_own_csrf_token_goes_through(strict_client: Client, owner: User) -> None:
    strict_client.force_login(owner)
    page = strict_client.get("/accounts/profile/")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode())
    assert token

    response = strict_client.post(
        "/accounts/profile/",
        {"csrfmiddlewaretoken": token.group(1), "display_name": "Ok", "distance_unit": "km"},
    )

    assert response.status_code == 302


# ANOTHER RUNNER'S EPISODES


def test_another_runners_episode_is_not_found_on_every_history_url(
    client: Client, episode: Episode
) -> None:
    intruder = make_user("intruder@example.com")
    client.force_login(intruder)
    remedy = EpisodeRemedy.objects.filter(episode=episode).first()
    before = (episode.notes, episode.heaviness)

    for path in episode_paths(episode.pk):
        assert client.get(path).status_code in (404, 405), path
        response = client.post(
            path,
            {
                "run_date": "2026-01-01",
                "unit": "km",
                "notes": "changed",
                "outcome": "better",
                "tried": [remedy.pk] if remedy else [],
            },
        )
        assert response.status_code in (404, 405), path
        assert "Olive" not in response.content.decode()

    episode.refresh_from_db()
    assert (episode.notes, episode.heaviness) == before
    assert not hasattr(episode, "follow_up") or episode.saved_follow_up() is None
    assert not EpisodeRemedy.objects.filter(episode=episode, tried=True).exists()


def test_another_runners_episode_ids_never_leak_through_exports(
    client: Client, episode: Episode
) -> None:
    intruder = make_user("intruder@example.com")
    client.force_login(intruder)

    exported = client.get("/history/export.json").json()

    assert exported["episodes"] == []
    assert client.get("/history/export.csv").content.decode().count("\n") == 1


def test_anonymous_visitors_are_sent_to_log_in_for_every_history_url(
    client: Client, episode: Episode
) -> None:
    for path in [*episode_paths(episode.pk), "/history/", "/history/insights/"]:
        response = client.get(path)
        assert response.status_code == 302, path
        assert response["Location"].startswith("/accounts/login/")


# HEADERS


@pytest.mark.parametrize("path", ["/", "/causes/", "/accounts/login/", "/no-such-page/"])
def test_responses_carry_the_security_headers(client: Client, seeded: None, path: str) -> None:
    response = client.get(path)

    csp = response["Content-Security-Policy"]
    directives = {d.split()[0]: d.split()[1:] for d in csp.split(";") if d.strip()}
    assert directives["default-src"] == ["'self'"]
    assert directives["script-src"] == ["'self'"]
    assert directives["style-src"] == ["'self'"]
    assert directives["object-src"] == ["'none'"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert "unsafe-inline" not in csp
    assert "unsafe-eval" not in csp
    assert response["Referrer-Policy"] == "same-origin"
    assert "camera=()" in response["Permissions-Policy"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"


def test_pages_hold_no_inline_script_or_style(client: Client, seeded: None) -> None:
    for path in ("/", "/causes/", "/faq/", "/assessment/safety/", "/accounts/signup/"):
        html = client.get(path, follow=True).content.decode()
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), path
        assert " style=" not in html, path
        assert not re.search(r"\son[a-z]+=", html), path


# ADMIN URL


@pytest.fixture
def reload_urls() -> Iterator[None]:
    import config.urls

    yield
    importlib.reload(config.urls)
    clear_url_caches()


def test_the_admin_lives_at_the_configured_url(client: Client, db: None, reload_urls: None) -> None:
    import config.urls

    with override_settings(ADMIN_URL="back-office-7f3a/"):
        importlib.reload(config.urls)
        clear_url_caches()
        moved = client.get("/back-office-7f3a/login/")
        old = client.get("/admin/login/")

    assert moved.status_code == 200
    assert "Heavy Legs admin" in moved.content.decode()
    assert old.status_code == 404


# ACCOUNT ENUMERATION


def test_password_reset_answers_the_same_for_known_and_unknown_addresses(
    client: Client, db: None, mailoutbox: list[Any]
) -> None:
    make_user("known@example.com")

    known = client.post("/accounts/password/reset/", {"email": "known@example.com"})
    unknown = client.post("/accounts/password/reset/", {"email": "nobody@example.com"})

    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"]
    assert visible_text(client.get(known["Location"])) == visible_text(
        client.get(unknown["Location"])
    )
    # Only the real account gets a message, so the answer above really was the same.
    assert [mail.to for mail in mailoutbox] == [["known@example.com"]]


def test_log_in_answers_the_same_for_an_unknown_address_and_a_wrong_password(
    client: Client, db: None
) -> None:
    make_user("known@example.com")

    wrong_password = client.post(
        "/accounts/login/", {"username": "known@example.com", "password": "wrong-password-1"}
    )
    unknown = client.post(
        "/accounts/login/", {"username": "nobody@example.com", "password": "wrong-password-1"}
    )

    assert wrong_password.status_code == unknown.status_code == 200
    assert visible_text(wrong_password).replace("known@", "") == visible_text(unknown).replace(
        "nobody@", ""
    )


def test_sign_up_answers_the_same_for_a_registered_and_a_new_address(
    client: Client, db: None, mailoutbox: list[Any]
) -> None:
    make_user("known@example.com")

    def sign_up(email: str) -> Any:
        password = "a-long-and-unusual-passphrase-7"
        data = {
            "email": email,
            "display_name": "Someone",
            "distance_unit": "km",
            "password1": password,
            "password2": password,
        }
        return Client().post("/accounts/signup/", data)

    registered = sign_up("known@example.com")
    new = sign_up("new@example.com")

    assert registered.status_code == new.status_code == 302
    assert registered["Location"] == new["Location"]
    assert visible_text(client.get(registered["Location"])) == visible_text(
        client.get(new["Location"])
    )
    # Both mailboxes hear about it; only the mailbox learns which case it was.
    assert sorted(mail.to[0] for mail in mailoutbox) == ["known@example.com", "new@example.com"]


# RATE LIMITS


@pytest.fixture
def low_rate(settings: Any) -> int:
    settings.RATELIMIT_RATE = "3/m"
    return 3


@pytest.mark.parametrize(
    ("path", "data"),
    [
        ("/accounts/signup/", {"email": "not-an-address"}),
        ("/accounts/login/", {"username": "someone@example.com", "password": "wrong"}),
        ("/accounts/password/reset/", {"email": "someone@example.com"}),
        ("/accounts/activation/resend/", {"email": "not-an-address"}),
        ("/admin/login/", {"username": "someone@example.com", "password": "wrong"}),
    ],
)
def test_a_form_answers_429_with_a_friendly_page_beyond_the_rate(
    client: Client, db: None, low_rate: int, path: str, data: dict[str, str]
) -> None:
    allowed = [client.post(path, data).status_code for _ in range(low_rate)]
    blocked = client.post(path, data)

    assert 429 not in allowed
    assert blocked.status_code == 429
    assert "Too many tries" in blocked.content.decode()
    assert int(blocked["Retry-After"]) > 0
    assert client.get(path).status_code == 200  # reading the form is never limited


@pytest.mark.parametrize("path", ["/accounts/password/change/", "/accounts/delete/"])
def test_the_logged_in_password_forms_answer_429_beyond_the_rate(
    client: Client, db: None, low_rate: int, path: str
) -> None:
    client.force_login(make_user())
    # Empty passwords: a field error on every try, never a failed login (no lockout).
    data = {"old_password": "", "password": ""}
    allowed = [client.post(path, data).status_code for _ in range(low_rate)]
    blocked = client.post(path, data)

    assert allowed == [200] * low_rate
    assert blocked.status_code == 429
    assert "Too many tries" in blocked.content.decode()
    assert client.get(path).status_code == 200


def test_each_form_counts_apart(client: Client, db: None, low_rate: int) -> None:
    for _ in range(low_rate + 1):
        client.post("/accounts/password/reset/", {"email": "someone@example.com"})

    login = client.post("/accounts/login/", {"username": "someone@example.com", "password": "x"})

    assert login.status_code == 200


def test_the_rate_is_counted_per_client_address(client: Client, db: None, low_rate: int) -> None:
    data = {"username": "someone@example.com", "password": "wrong"}
    for _ in range(low_rate):
        client.post("/accounts/login/", data, REMOTE_ADDR="203.0.113.1")

    assert client.post("/accounts/login/", data, REMOTE_ADDR="203.0.113.1").status_code == 429
    assert client.post("/accounts/login/", data, REMOTE_ADDR="203.0.113.2").status_code == 200


def test_behind_a_proxy_the_forwarded_address_is_counted(
    client: Client, db: None, low_rate: int, settings: Any
) -> None:
    settings.PROXY_COUNT = 1
    data = {"username": "someone@example.com", "password": "wrong"}
    for _ in range(low_rate):
        client.post("/accounts/login/", data, HTTP_X_FORWARDED_FOR="198.51.100.7")

    blocked = client.post("/accounts/login/", data, HTTP_X_FORWARDED_FOR="198.51.100.7")
    other = client.post("/accounts/login/", data, HTTP_X_FORWARDED_FOR="198.51.100.8")

    assert blocked.status_code == 429
    assert other.status_code == 200


def test_a_forged_forwarded_address_does_not_escape_the_count(
    client: Client, db: None, low_rate: int, settings: Any
) -> None:
    settings.PROXY_COUNT = 1
    data = {"username": "someone@example.com", "password": "wrong"}
    # The client makes up a new left-most address each time; the proxy appends the real one.
    statuses = [
        client.post(
            "/accounts/login/", data, HTTP_X_FORWARDED_FOR=f"10.0.0.{n}, 198.51.100.7"
        ).status_code
        for n in range(low_rate + 1)
    ]

    assert statuses[-1] == 429


def client_request(remote: str, forwarded: str | None = None) -> Any:
    meta = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        meta["HTTP_X_FORWARDED_FOR"] = forwarded
    return mock.Mock(META=meta)


def test_without_a_proxy_the_client_is_the_peer(settings: Any) -> None:
    settings.PROXY_COUNT = 0

    assert client_ip(client_request("192.0.2.1")) == "192.0.2.1"
    assert client_ip(client_request("192.0.2.1", "6.6.6.6")) == "192.0.2.1"


def test_behind_one_proxy_the_client_is_the_address_the_proxy_saw(settings: Any) -> None:
    settings.PROXY_COUNT = 1

    assert client_ip(client_request("10.0.0.2", "198.51.100.7")) == "198.51.100.7"
    # "6.6.6.6" was written by the client itself: the proxy appended what it really saw.
    assert client_ip(client_request("10.0.0.2", "6.6.6.6, 198.51.100.7")) == "198.51.100.7"
    assert client_ip(client_request("10.0.0.2", "6.6.6.6,2001:db8::1")) == "2001:db8::1"


def test_behind_two_proxies_the_client_is_what_the_outer_one_saw(settings: Any) -> None:
    settings.PROXY_COUNT = 2

    forwarded = "6.6.6.6, 198.51.100.7, 10.0.0.1"
    assert client_ip(client_request("10.0.0.2", forwarded)) == "198.51.100.7"


@pytest.mark.parametrize("forwarded", [None, "", "not-an-address", "<script>"])
def test_without_a_usable_forwarded_address_the_peer_counts(
    settings: Any, forwarded: str | None
) -> None:
    settings.PROXY_COUNT = 1

    assert client_ip(client_request("10.0.0.2", forwarded)) == "10.0.0.2"


def test_an_unusable_peer_address_is_counted_as_unknown(settings: Any) -> None:
    settings.PROXY_COUNT = 0

    assert client_ip(client_request("")) == "0.0.0.0"  # noqa: S104 - an address, not a bind


def test_login_lockout_uses_the_same_client_address(settings: Any) -> None:
    from axes.helpers import get_client_ip_address

    settings.PROXY_COUNT = 1
    request = client_request("10.0.0.2", "6.6.6.6, 198.51.100.7")

    assert get_client_ip_address(request) == "198.51.100.7"


def test_rate_limiting_can_be_switched_off(
    client: Client, db: None, low_rate: int, settings: Any
) -> None:
    settings.RATELIMIT_ENABLE = False
    data = {"email": "someone@example.com"}

    statuses = {client.post("/accounts/password/reset/", data).status_code for _ in range(5)}

    assert statuses == {302}


def test_a_cache_outage_never_locks_people_out(client: Client, db: None, low_rate: int) -> None:
    with mock.patch.object(cache, "add", side_effect=ConnectionError("redis is down")):
        statuses = {
            client.post(
                "/accounts/login/", {"username": f"user{n}@example.com", "password": "wrong"}
            ).status_code
            for n in range(low_rate + 2)
        }

    assert statuses == {200}


def test_a_count_the_cache_cannot_keep_lets_the_request_through(
    client: Client, db: None, low_rate: int
) -> None:
    # Redis answers incr() on a key it has just dropped with None rather than an error.
    with (
        mock.patch.object(cache, "add", return_value=False),
        mock.patch.object(cache, "incr", return_value=None),
    ):
        statuses = {
            client.post("/accounts/password/reset/", {"email": "a@example.com"}).status_code
            for _ in range(low_rate + 2)
        }

    assert statuses == {302}


# PAGES THAT SHOW A RUNNER'S DATA ARE NEVER STORED BY A BROWSER OR A SHARED CACHE


# Every page a signed-in runner can open under history:* and accounts:*, with its arguments.
PRIVATE_PAGES: dict[str, str] = {
    "history:list": "",
    "history:insights": "",
    "history:export_csv": "",
    "history:export_json": "",
    "history:print_range": "",
    "history:detail": "episode",
    "history:edit": "episode",
    "history:delete": "episode",
    "history:print": "episode",
    "history:runs": "",
    "history:run_import": "",
    "history:export_runs_csv": "",
    "history:run_detail": "run",
    "history:run_delete": "run",
    "history:import_status": "batch",
    "history:import_status_json": "batch",
    "accounts:profile": "",
    "accounts:delete": "",
    "accounts:password_change": "",
    "accounts:password_change_done": "",
}
# The rest, and why no runner's data is on them.
NOT_PRIVATE_PAGES: dict[str, str] = {
    "history:save": "POST only; answers with a redirect",
    "history:follow_up": "POST only; answers with a redirect",
    "accounts:signup": "for visitors without an account",
    "accounts:signup_sent": "for visitors without an account",
    "accounts:activate": "for visitors without an account",
    "accounts:activation_resend": "for visitors without an account",
    "accounts:activation_resend_done": "for visitors without an account",
    "accounts:login": "for visitors without an account",
    "accounts:logout": "POST only",
    "accounts:password_reset": "for visitors without an account",
    "accounts:password_reset_done": "for visitors without an account",
    "accounts:password_reset_confirm": "for visitors without an account",
    "accounts:password_reset_complete": "for visitors without an account",
    "accounts:reminders_stop": "the link in a reminder: shows nothing of the account",
}


def test_every_history_and_account_page_is_listed_as_private_or_not() -> None:
    names = {
        f"{namespace}:{pattern.name}"
        for namespace in ("history", "accounts")
        for pattern in get_resolver().namespace_dict[namespace][1].url_patterns
    }

    assert names == set(PRIVATE_PAGES) | set(NOT_PRIVATE_PAGES)


@pytest.mark.parametrize("name", PRIVATE_PAGES)
def test_pages_with_a_runners_data_are_private_and_never_stored(
    owner_client: Client, episode: Episode, name: str
) -> None:
    owner = episode.owner
    kind = PRIVATE_PAGES[name]
    if kind == "run":
        activity = Activity(
            start_time=timezone.now() - timedelta(days=1),
            distance_m=10_000,
            moving_time_s=3_300,
            source="gpx",
        )
        args = [run_create(user=owner, activity=activity).pk]
    elif kind == "batch":
        args = [ImportBatch.objects.create(owner=owner).pk]
    else:
        args = [episode.pk] if kind == "episode" else []

    response = owner_client.get(reverse(name, args=args))

    assert response.status_code == 200
    directives = {part.strip() for part in response["Cache-Control"].split(",")}
    assert {"private", "no-store"} <= directives
