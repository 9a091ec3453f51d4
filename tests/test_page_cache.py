"""Rendered pages kept in the cache: public pages for anonymous visitors, and the pages that
name what they depend on (wizard steps, the result, the log-in form), with a fresh CSRF
token in every response. Also the session store and the revision read behind them."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any
from unittest import mock

import pytest
from django.contrib.sessions.models import Session
from django.core import signing
from django.core.cache import cache
from django.db import connection
from django.db.models import F
from django.forms import Form
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import CSRF_ALLOWED_CHARS, get_token
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.http import parse_http_date

from accounts.models import User
from config.page_cache import (
    CSRF_PLACEHOLDER,
    _is_nobodys_own,
    _mask,
    build_id,
    csrf_token,
    never_cache,
)
from config.sessions import SessionStore, verified_payload
from legs import wizard as legs_wizard
from legs.models import REVISION_TRUST_SECONDS, Cause, Episode, KnowledgeRevision, Question
from legs.wizard import RESTART_MESSAGE, AssessmentWizard
from tests.factories import PASSWORD, make_user
from tests.test_history import make_episode
from tests.test_wizard import SELF_CARE, STEPS, checked, post_step, step_url, text

TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


@pytest.fixture
def page_cache(settings: Any) -> Iterator[None]:
    settings.PAGE_CACHE_SECONDS = 300
    KnowledgeRevision.forget_recent()
    yield
    KnowledgeRevision.forget_recent()


def tokens(content: bytes) -> list[str]:
    return TOKEN.findall(content.decode())


def without_tokens(content: bytes) -> str:
    return TOKEN.sub("", content.decode())


def answer_up_to(client: Client, last: str, **changes: Any) -> None:
    """Answer the wizard's steps in order up to and including `last` (a form ignores the
    answers that belong to other steps)."""
    answers = {**SELF_CARE, **changes}
    for step in STEPS[: STEPS.index(last) + 1]:
        assert post_step(client, step, answers).status_code == 302


def spy(owner: type, name: str) -> Any:
    """Count the calls of a method while it keeps working."""
    return mock.patch.object(owner, name, autospec=True, side_effect=getattr(owner, name))


# PUBLIC PAGES FOR ANONYMOUS VISITORS


def test_a_public_page_is_rendered_once_for_anonymous_visitors(
    client: Client, seeded: None, page_cache: None, django_assert_num_queries: Any
) -> None:
    first = client.get("/causes/dehydration/")

    with django_assert_num_queries(0):  # the revision was read a moment ago
        second = Client().get("/causes/dehydration/")

    assert second.status_code == 200
    assert second.content == first.content
    assert "Cookie" in second["Vary"]
    assert second["Content-Security-Policy"] == first["Content-Security-Policy"]
    assert second["X-Request-ID"] != first["X-Request-ID"]


def test_an_editors_change_in_this_process_shows_at_once(
    client: Client, seeded: None, page_cache: None
) -> None:
    client.get("/causes/dehydration/")
    cause = Cause.objects.get(slug="dehydration")
    cause.name = "Running dry"
    cause.save()

    assert "Running dry" in Client().get("/causes/dehydration/").content.decode()


def test_an_edit_made_by_another_server_shows_within_a_second(
    client: Client, seeded: None, page_cache: None
) -> None:
    client.get("/causes/dehydration/")
    # Another app server saves the cause: the rows change, this process is not told.
    with connection.cursor() as cursor:
        cursor.execute("UPDATE legs_cause SET name = 'Running dry' WHERE slug = 'dehydration'")
    KnowledgeRevision.objects.filter(pk=1).update(number=F("number") + 1)

    assert "Running dry" not in Client().get("/causes/dehydration/").content.decode()
    a_second_later = time.monotonic() + REVISION_TRUST_SECONDS
    with mock.patch("legs.models.time.monotonic", return_value=a_second_later):
        page = Client().get("/causes/dehydration/")

    assert "Running dry" in page.content.decode()


def test_logged_in_runners_never_get_the_anonymous_page(
    client: Client, seeded: None, page_cache: None
) -> None:
    Client().get("/")
    client.force_login(make_user(display_name="Olive Runner"))

    assert "Olive Runner" in client.get("/").content.decode()


def test_pages_with_a_query_string_or_a_message_are_rendered_afresh(
    client: Client, seeded: None, page_cache: None
) -> None:
    client.get("/faq/")
    client.get("/faq/?q=1")
    with_query = Client()
    with_message = Client()
    with_message.cookies["messages"] = "anything"

    with mock.patch("config.page_cache.cache.get") as lookup:
        with_query.get("/faq/?q=1")
        with_message.get("/faq/")

    lookup.assert_not_called()


def test_the_page_cache_can_be_switched_off(client: Client, seeded: None, settings: Any) -> None:
    settings.PAGE_CACHE_SECONDS = 0
    client.get("/causes/")
    client.get("/accounts/login/")
    client.get(step_url("safety"))

    with mock.patch("config.page_cache.cache.get") as lookup:
        Client().get("/causes/")
        Client().get("/accounts/login/")
        client.get(step_url("safety"))

    lookup.assert_not_called()


# PAGES WITH A FORM: THE LOG-IN FORM


@pytest.mark.parametrize(
    "path",
    [
        "/accounts/login/",
        "/accounts/signup/",
        "/accounts/password/reset/",
        "/accounts/activation/resend/",
    ],
)
def test_an_empty_account_form_is_rendered_once_with_a_fresh_token_each_time(
    path: str, seeded: None, page_cache: None
) -> None:
    first = Client().get(path)
    with spy(Form, "__init__") as built:
        second = Client().get(path)

    built.assert_not_called()
    assert second.status_code == 200
    assert without_tokens(first.content) == without_tokens(second.content)
    assert tokens(first.content) != tokens(second.content)
    assert CSRF_PLACEHOLDER not in second.content.decode()
    assert "csrftoken" in second.cookies
    assert "no-store" in second["Cache-Control"]


def test_the_token_of_a_cached_log_in_form_logs_the_runner_in(
    seeded: None, page_cache: None
) -> None:
    make_user("kept@example.com")
    Client().get("/accounts/login/")
    browser = Client(enforce_csrf_checks=True)
    page = browser.get("/accounts/login/")

    answer = browser.post(
        "/accounts/login/",
        {
            "csrfmiddlewaretoken": tokens(page.content)[0],
            "username": "kept@example.com",
            "password": PASSWORD,
        },
    )

    assert answer.status_code == 302
    assert "_auth_user_id" in browser.session


def unmask(token: str) -> str:
    """The secret behind a token, as Django's CSRF check recovers it."""
    chars = CSRF_ALLOWED_CHARS
    mask, cipher = token[:32], token[32:]
    return "".join(
        chars[(chars.index(letter) - chars.index(shift)) % len(chars)]
        for letter, shift in zip(cipher, mask, strict=True)
    )


def new_secret() -> str:
    request = RequestFactory().get("/")
    get_token(request)
    secret: str = request.META["CSRF_COOKIE"]
    return secret


def test_a_returning_browser_gets_a_fresh_token_for_its_own_secret_each_time(
    seeded: None, page_cache: None
) -> None:
    make_user("kept@example.com")
    browser = Client(enforce_csrf_checks=True)
    browser.get("/accounts/login/")
    secret = browser.cookies["csrftoken"].value
    pages = [browser.get("/accounts/login/") for _ in range(3)]

    page_tokens = [tokens(page.content)[0] for page in pages]
    assert len(set(page_tokens)) == 3
    assert {unmask(token) for token in page_tokens} == {secret}
    # The browser holds the secret already: the cookie is not sent again.
    assert all("csrftoken" not in page.cookies for page in pages)
    assert all("private" in page["Cache-Control"] for page in pages)
    answer = browser.post(
        "/accounts/login/",
        {
            "csrfmiddlewaretoken": page_tokens[-1],
            "username": "kept@example.com",
            "password": PASSWORD,
        },
    )
    assert answer.status_code == 302
    assert "_auth_user_id" in browser.session


def test_a_token_is_masked_as_django_masks_it() -> None:
    for _ in range(500):
        secret = new_secret()
        token = _mask(secret)
        assert len(token) == 64
        assert set(token) <= set(CSRF_ALLOWED_CHARS)
        assert unmask(token) == secret
    masks = [_mask(secret)[:32] for _ in range(20_000)]
    assert len(set(masks)) == len(masks)
    # Every letter turns up in the masks equally often: within 5 % of the expected count
    # (five standard deviations), where taking random bytes modulo 62 would make the
    # first eight letters a fifth more common than the rest.
    letters = "".join(masks)
    expected = len(letters) / len(CSRF_ALLOWED_CHARS)
    for char in CSRF_ALLOWED_CHARS:
        assert abs(letters.count(char) - expected) < expected * 0.05, char


def test_random_bytes_that_would_favour_some_letters_are_drawn_again() -> None:
    uneven = bytes(range(248, 256))
    draws = iter([uneven * 8, bytes(range(64)), bytes(range(64, 128))])
    with mock.patch("config.page_cache.secrets.token_bytes", side_effect=lambda n: next(draws)):
        token = _mask("a" * 32)
    # Only the second draw is used: bytes 0..31 are the first 32 letters of the alphabet.
    assert token[:32] == CSRF_ALLOWED_CHARS[:32]
    assert unmask(token) == "a" * 32


def test_a_token_filled_into_a_page_keeps_it_out_of_the_anonymous_page_cache() -> None:
    secret = new_secret()
    request = RequestFactory().get("/")
    request.COOKIES["csrftoken"] = secret
    request.META["CSRF_COOKIE"] = secret
    assert _is_nobodys_own(request, HttpResponse("page"))
    csrf_token(request)
    assert "CSRF_COOKIE_NEEDS_UPDATE" not in request.META
    assert not _is_nobodys_own(request, HttpResponse("page"))


@pytest.mark.parametrize("cookie", [None, "", "short", "é" * 32, "-" * 32])
def test_without_a_well_formed_secret_django_makes_the_token(cookie: str | None) -> None:
    request = RequestFactory().get("/")
    if cookie is not None:
        request.META["CSRF_COOKIE"] = cookie
    with mock.patch("config.page_cache.get_token", return_value="django's") as get_token:
        assert csrf_token(request) == "django's"
    get_token.assert_called_once_with(request)


def test_a_secret_the_browser_does_not_hold_as_it_is_gets_the_cookie_sent() -> None:
    secret = new_secret()
    # The secret came from a cookie in the older, masked form (or from the session).
    for cookies in ({"csrftoken": _mask(secret)}, {}):
        request = RequestFactory().get("/")
        request.COOKIES.update(cookies)
        request.META["CSRF_COOKIE"] = secret
        assert unmask(csrf_token(request)) == secret
        assert request.META["CSRF_COOKIE_NEEDS_UPDATE"] is True


def test_a_browser_with_an_older_masked_cookie_gets_it_replaced(
    seeded: None, page_cache: None
) -> None:
    Client().get("/accounts/login/")
    secret = new_secret()
    browser = Client()
    browser.cookies["csrftoken"] = _mask(secret)
    page = browser.get("/accounts/login/")
    assert page.cookies["csrftoken"].value == secret
    assert unmask(tokens(page.content)[0]) == secret


def test_a_first_visit_gets_a_new_secret_and_its_cookie(seeded: None, page_cache: None) -> None:
    Client().get("/accounts/signup/")
    page = Client().get("/accounts/signup/")
    assert unmask(tokens(page.content)[0]) == page.cookies["csrftoken"].value


def test_never_cache_sets_the_headers_django_sets() -> None:
    request = RequestFactory().get("/")
    ours = never_cache(lambda request: HttpResponse("ok"))(request)
    django = HttpResponse("ok")
    add_never_cache_headers(django)
    assert ours["Cache-Control"] == django["Cache-Control"]
    assert set(ours["Cache-Control"].split(", ")) == {
        "max-age=0",
        "no-cache",
        "no-store",
        "must-revalidate",
        "private",
    }
    assert abs(parse_http_date(ours["Expires"]) - parse_http_date(django["Expires"])) <= 1


def test_never_cache_keeps_a_views_own_caching_headers_as_django_does() -> None:
    def view(request: HttpRequest) -> HttpResponse:
        response = HttpResponse("ok")
        response["Cache-Control"] = "max-age=600, public"
        return response

    django = view(RequestFactory().get("/"))
    add_never_cache_headers(django)
    assert never_cache(view)(RequestFactory().get("/"))["Cache-Control"] == django["Cache-Control"]


def test_a_sign_up_form_with_errors_is_never_kept(seeded: None, page_cache: None) -> None:
    Client().get("/accounts/signup/")

    answer = Client().post("/accounts/signup/", {"email": "not an email"})

    assert answer.status_code == 200
    assert "errorlist" in answer.content.decode() or "invalid-feedback" in answer.content.decode()
    assert "invalid-feedback" not in Client().get("/accounts/signup/").content.decode()


def test_a_log_in_form_with_a_next_address_is_rendered_for_it(
    seeded: None, page_cache: None
) -> None:
    Client().get("/accounts/login/")

    page = Client().get("/accounts/login/?next=/history/").content.decode()

    assert 'value="/history/"' in page


# WIZARD STEPS


def test_a_step_page_is_rendered_once_and_costs_only_the_session_read(
    client: Client, seeded: None, page_cache: None, django_assert_num_queries: Any
) -> None:
    answer_up_to(client, "pattern")
    first = client.get(step_url("training"))

    with django_assert_num_queries(1):  # the session; no write, no knowledge query
        second = client.get(step_url("training"))

    assert second.status_code == 200
    assert without_tokens(first.content) == without_tokens(second.content)
    assert tokens(first.content) != tokens(second.content)
    assert CSRF_PLACEHOLDER not in second.content.decode()


def test_runners_at_the_same_step_share_the_page_and_the_token_is_their_own(
    seeded: None, page_cache: None
) -> None:
    one, other = Client(enforce_csrf_checks=True), Client(enforce_csrf_checks=True)
    pages = [browser.get(step_url("safety")) for browser in (one, other)]

    assert without_tokens(pages[0].content) == without_tokens(pages[1].content)
    token = tokens(pages[1].content)[0]
    answer = post_step(other, "safety", {"warning_signs": ["none"]}, csrfmiddlewaretoken=token)
    assert answer.status_code == 302
    assert answer["Location"] == step_url("pattern")


def test_a_step_page_shows_each_runners_own_answers(seeded: None, page_cache: None) -> None:
    both, one = Client(), Client()
    answer_up_to(both, "pattern", legs="both")
    answer_up_to(one, "pattern", legs="one")

    # Back to the pattern step: each sees the answer they gave.
    assert checked(both.get(step_url("pattern")), "pattern", "legs") == {"both"}
    assert checked(one.get(step_url("pattern")), "pattern", "legs") == {"one"}


def test_a_changed_answer_shows_on_the_cached_step(
    client: Client, seeded: None, page_cache: None
) -> None:
    answer_up_to(client, "pattern", legs="both")
    assert checked(client.get(step_url("pattern")), "pattern", "legs") == {"both"}

    post_step(client, "pattern", {**SELF_CARE, "legs": "one"})

    assert checked(client.get(step_url("pattern")), "pattern", "legs") == {"one"}


def test_a_logged_in_runner_sees_their_own_name_on_a_cached_step(
    seeded: None, page_cache: None
) -> None:
    pages = []
    for name in ("Ada Runner", "Bea Runner"):
        browser = Client()
        browser.force_login(make_user(f"{name.split()[0].lower()}@example.com", display_name=name))
        pages.append(browser.get(step_url("safety")).content.decode())

    assert "Ada Runner" in pages[0] and "Bea Runner" not in pages[0]
    assert "Bea Runner" in pages[1] and "Ada Runner" not in pages[1]


def test_a_waiting_message_is_shown_even_when_the_step_is_cached(
    client: Client, seeded: None, page_cache: None
) -> None:
    Client().get(step_url("safety"))  # the plain page is in the cache

    # A later step with nothing answered: back to the start, with a message.
    page = client.get(step_url("fuel"), follow=True)

    assert RESTART_MESSAGE in text(page)
    assert RESTART_MESSAGE not in text(client.get(step_url("safety")))


def test_an_editors_new_question_shows_on_the_cached_step_at_once(
    client: Client, seeded: None, page_cache: None
) -> None:
    client.get(step_url("safety"))
    question = Question.objects.get(key="warning_signs")
    question.text = "Do any of these apply to you right now?"
    question.save()

    assert "right now?" in client.get(step_url("safety")).content.decode()


def test_a_deploy_renders_the_pages_afresh(client: Client, seeded: None, page_cache: None) -> None:
    client.get(step_url("safety"))

    with spy(AssessmentWizard, "render") as rendered:
        client.get(step_url("safety"))
        with mock.patch("config.page_cache.build_id", return_value="another-build"):
            client.get(step_url("safety"))

    assert rendered.call_count == 1


def test_the_build_fingerprint_is_stable_within_a_process() -> None:
    assert build_id() == build_id()
    assert re.fullmatch(r"[0-9a-f]{16}", build_id())


def test_an_unavailable_cache_still_serves_the_step(
    client: Client, seeded: None, page_cache: None
) -> None:
    with mock.patch("config.page_cache.cache") as unavailable:
        unavailable.get.side_effect = ConnectionError("down")
        page = client.get(step_url("safety"))

    assert page.status_code == 200
    assert tokens(page.content)


# THE RESULT PAGE


def finish(client: Client, **changes: Any) -> None:
    answer_up_to(client, STEPS[-1], **changes)
    client.get(step_url("finish"))


def test_the_result_page_is_rendered_once_per_result(
    client: Client, seeded: None, page_cache: None, django_assert_num_queries: Any
) -> None:
    finish(client)
    first = client.get("/assessment/result/")

    with django_assert_num_queries(1):  # the session
        second = client.get("/assessment/result/")

    assert without_tokens(first.content) == without_tokens(second.content)
    assert tokens(first.content) != tokens(second.content)


def test_each_runner_sees_their_own_result_and_save_token(seeded: None, page_cache: None) -> None:
    warm, cold = Client(), Client()
    finish(warm, warmup="dynamic_5_plus")
    finish(cold, warmup="none")

    pages = [c.get("/assessment/result/").content.decode() for c in (warm, cold)]

    save_token = re.compile(r'name="token" value="([0-9a-f-]{36})"')
    assert save_token.findall(pages[0]) != save_token.findall(pages[1])
    assert pages[0] != pages[1]


def test_the_result_page_shows_the_saved_episode_once_saved(
    client: Client, seeded: None, page_cache: None
) -> None:
    client.force_login(make_user())
    finish(client)
    page = client.get("/assessment/result/").content.decode()
    token = re.search(r'name="token" value="([0-9a-f-]{36})"', page)
    assert token

    saved = client.post(
        "/history/save/",
        {"token": token.group(1), "run_date": timezone.localdate().isoformat(), "unit": "km"},
    )
    assert saved.status_code == 302
    after = client.get("/assessment/result/").content.decode()

    assert "This result is saved in your history" not in page
    assert "This result is saved in your history" in after


# SESSIONS AND THE WIZARD'S STORAGE


def test_looking_at_a_step_does_not_write_the_session(client: Client, seeded: None) -> None:
    answer_up_to(client, "safety")
    client.get(step_url("pattern"))

    with CaptureQueriesContext(connection) as queries:
        page = client.get(step_url("pattern"))

    assert page.status_code == 200
    writes = [q["sql"] for q in queries if not q["sql"].lstrip().upper().startswith("SELECT")]
    assert writes == []


def test_moving_to_another_step_writes_the_session(client: Client, seeded: None) -> None:
    answer_up_to(client, "pattern")
    client.get(step_url("training"))

    client.get(step_url("pattern"))  # Back, by the address

    assert client.session["wizard_assessment_wizard"]["step"] == "pattern"


def test_the_session_store_reads_a_live_session_in_one_query(
    db: None, django_assert_num_queries: Any
) -> None:
    store = SessionStore()
    store["answer"] = {"legs": "both"}
    store.save()

    with django_assert_num_queries(1):
        loaded = SessionStore(store.session_key).load()

    assert loaded == {"answer": {"legs": "both"}}


def test_an_expired_or_unknown_session_starts_empty_with_a_new_key(db: None) -> None:
    store = SessionStore()
    store["answer"] = "kept"
    store.save()
    Session.objects.filter(pk=store.session_key).update(
        expire_date=timezone.now() - timedelta(seconds=1)
    )

    expired = SessionStore(store.session_key)
    unknown = SessionStore("x" * 32)

    assert expired.load() == {} and expired.session_key is None
    assert unknown.load() == {} and unknown.session_key is None


def test_the_cache_is_not_used_for_posts(client: Client, seeded: None, page_cache: None) -> None:
    cache.clear()
    with mock.patch("config.page_cache.cache") as kept:
        post_step(client, "safety", {"warning_signs": ["none"]})

    kept.get.assert_not_called()


def test_a_later_step_is_never_served_to_a_runner_who_has_not_reached_it(
    seeded: None, page_cache: None
) -> None:
    ahead, behind = Client(), Client()
    answer_up_to(ahead, "pattern")
    assert ahead.get(step_url("training")).status_code == 200  # kept in the cache
    answer_up_to(behind, "safety")

    answer = behind.get(step_url("training"))

    assert answer.status_code == 302
    assert answer["Location"] == step_url("pattern")


def test_going_back_by_address_shows_the_earlier_step_with_its_answers(
    client: Client, seeded: None, page_cache: None
) -> None:
    answer_up_to(client, "pattern", legs="one")
    client.get(step_url("training"))

    page = client.get(step_url("pattern"))

    assert checked(page, "pattern", "legs") == {"one"}
    assert client.session["wizard_assessment_wizard"]["step"] == "pattern"


# THE HISTORY LIST


def test_the_history_list_is_kept_until_the_runners_history_changes(
    client: Client, seeded: None, page_cache: None, django_assert_num_queries: Any
) -> None:
    runner = make_user()
    make_episode(runner, heaviness=4)
    client.force_login(runner)
    first = client.get("/history/")

    with django_assert_num_queries(2):  # the session and the user
        second = client.get("/history/")
    newer = make_episode(runner, heaviness=9, days_ago=1)
    third = client.get("/history/")

    assert without_tokens(first.content) == without_tokens(second.content)
    assert f"/history/{newer.pk}/" not in second.content.decode()
    assert f"/history/{newer.pk}/" in third.content.decode()


def test_no_page_that_carries_a_visitors_token_may_be_kept_by_browsers_or_proxies(
    seeded: None, page_cache: None
) -> None:
    runner = make_user()
    make_episode(runner)
    browsers = {"anonymous": Client(), "finished": Client(), "runner": Client()}
    finish(browsers["finished"])
    browsers["runner"].force_login(runner)
    pages = {
        "anonymous": [
            "/accounts/login/",
            "/accounts/signup/",
            "/accounts/password/reset/",
            "/accounts/activation/resend/",
            "/assessment/safety/",
        ],
        "finished": ["/assessment/result/"],
        "runner": ["/history/", "/history/insights/"],
    }
    for who, paths in pages.items():
        for path in paths:
            for _ in range(2):  # rendered, then from the cache
                response = browsers[who].get(path)
                assert response.status_code == 200, path
                assert tokens(response.content), path
                assert "private" in response["Cache-Control"], path
                assert "no-store" in response["Cache-Control"], path
                assert "Cookie" in response["Vary"], path


def test_runners_never_see_each_others_kept_history(seeded: None, page_cache: None) -> None:
    pages = []
    for email in ("ada@example.com", "bea@example.com"):
        runner = make_user(email)
        make_episode(runner, heaviness=3 if email.startswith("ada") else 8)
        browser = Client()
        browser.force_login(runner)
        pages.append(browser.get("/history/").content.decode())

    assert without_tokens(pages[0].encode()) != without_tokens(pages[1].encode())


def test_a_history_address_with_unknown_parameters_is_rendered_afresh(
    client: Client, seeded: None, page_cache: None
) -> None:
    client.force_login(make_user())

    with mock.patch("legs.history.cached_response") as kept:
        assert client.get("/history/?utm_source=mail").status_code == 200
        assert client.get("/history/?page=" + "9" * 60).status_code == 200

    kept.assert_not_called()


def test_a_stored_value_has_its_signature_checked_once_per_process(db: None) -> None:
    store = SessionStore()
    store["answer"] = {"legs": "one"}
    store.save()
    verified_payload.cache_clear()

    with mock.patch("config.sessions.signing.loads", wraps=signing.loads) as checked:
        first = SessionStore(store.session_key).load()
        second = SessionStore(store.session_key).load()

    assert first == second == {"answer": {"legs": "one"}}
    assert checked.call_count == 1
    first["answer"]["legs"] = "both"  # each load is a fresh copy
    assert SessionStore(store.session_key).load() == {"answer": {"legs": "one"}}


def test_a_tampered_session_is_an_empty_one(db: None, caplog: Any) -> None:
    store = SessionStore()
    store["_auth_user_id"] = "1"
    store.save()
    row = Session.objects.get(pk=store.session_key)
    Session.objects.filter(pk=store.session_key).update(
        session_data=row.session_data.replace(row.session_data[-5:], "AAAAA")
    )

    with caplog.at_level("WARNING", logger="django.security.SuspiciousSession"):
        assert SessionStore(store.session_key).load() == {}

    assert "Session data corrupted" in caplog.text
    assert SessionStore().decode(b"not signed at all") == {}


def test_an_edit_between_reading_the_snapshot_and_keeping_the_page_is_not_hidden(
    seeded: None, page_cache: None
) -> None:
    Client().get(step_url("safety"))
    snapshot = legs_wizard.get_knowledge

    def edited_meanwhile() -> Any:
        knowledge = snapshot()  # the page is drawn from this one
        question = Question.objects.get(key="warning_signs")
        question.text = "Do any of these apply to you today?"
        question.save()  # another thread commits an edit
        return knowledge

    with mock.patch.object(legs_wizard, "get_knowledge", edited_meanwhile):
        Client().get(step_url("safety"))
    KnowledgeRevision.forget_recent()

    assert "apply to you today?" in Client().get(step_url("safety")).content.decode()


def test_a_revision_read_that_began_before_an_edit_is_not_trusted_after_it(
    seeded: None, page_cache: None
) -> None:
    before = KnowledgeRevision.current()
    real = KnowledgeRevision.current

    def slow_read() -> tuple[int, str]:
        value = real()
        KnowledgeRevision.bump()  # an edit commits while the read is on its way back
        return value

    with mock.patch.object(KnowledgeRevision, "current", side_effect=slow_read):
        assert KnowledgeRevision.recent() == before

    assert KnowledgeRevision.recent() != before


def test_a_follow_up_reminder_shows_within_a_minute_of_falling_due(
    client: Client, seeded: None, page_cache: None
) -> None:
    runner = make_user()
    episode = make_episode(runner)
    client.force_login(runner)
    first = client.get("/history/").content.decode()

    Episode.objects.filter(pk=episode.pk).update(
        created_at=timezone.now() - timedelta(days=3, minutes=1)
    )
    a_minute_later = timezone.now() + timedelta(minutes=1)
    with mock.patch("legs.history.timezone.now", return_value=a_minute_later):
        later = client.get("/history/").content.decode()

    reminder = f"/history/{episode.pk}/#follow-up"
    assert reminder not in first
    assert reminder in later


def test_a_corrupted_session_is_logged_on_every_read(db: None, caplog: Any) -> None:
    store = SessionStore()
    store["answer"] = "kept"
    store.save()
    Session.objects.filter(pk=store.session_key).update(session_data="tampered:value:sig")

    with caplog.at_level("WARNING", logger="django.security.SuspiciousSession"):
        SessionStore(store.session_key).load()
        SessionStore(store.session_key).load()

    assert caplog.text.count("Session data corrupted") == 2


# THE USER'S HISTORY VERSION IS NEVER WRITTEN BY A SAVE


def test_saving_users_the_usual_ways_still_works(db: None) -> None:
    user = make_user("save@example.com")
    user.display_name = "Saved"
    user.save()
    user.save(update_fields=["display_name"])
    partial = User.objects.only("email", "display_name").get(pk=user.pk)
    partial.display_name = "Partly loaded"
    partial.save()
    copy = User.objects.get(pk=user.pk)
    copy.pk = None
    copy.email = "copy@example.com"
    copy._state.adding = True
    copy.save()

    assert User.objects.get(pk=user.pk).display_name == "Partly loaded"
    assert User.objects.filter(email="copy@example.com").exists()


def test_the_session_keeps_only_the_answers_of_each_step(client: Client, seeded: None) -> None:
    answer_up_to(client, "pattern")

    stored = client.session["wizard_assessment_wizard"]["step_data"]

    assert set(stored) == {"safety", "pattern"}
    assert stored["safety"] == {"safety-warning_signs": ["none"]}
    assert all(key.startswith("pattern-") for key in stored["pattern"])
    assert stored["pattern"]["pattern-legs"] == [SELF_CARE["legs"]]
