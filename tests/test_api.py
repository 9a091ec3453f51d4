"""The JSON API under /api/v1/: assessments, the published knowledge base and a runner's own
history, for the owner, another runner, anonymous callers and bad tokens."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from legs.api.models import TokenScope
from legs.api.services import token_create
from legs.assessment.engine import assess
from legs.history.imports import Activity
from legs.history.models import Episode, FollowUp, Run
from legs.history.services import RunContext, episode_create, run_create
from legs.knowledge.models import Cause, Faq, KnowledgeRevision
from legs.knowledge.published import get_knowledge
from tests.factories import ONE_LEG_ON_THE_PILL, make_one_leg_rule, make_user

ROOT = Path(__file__).resolve().parents[1]
V1 = "/api/v1"
SELF_CARE = {"warning_signs": ["none"], "timing": "early_then_eases", "warmup": "none"}
EMERGENCY = {"warning_signs": ["chest_symptoms"], "warmup": "none"}

pytestmark = pytest.mark.usefixtures("seeded")


def bearer(secret: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {secret}"}


def make_token(user: User, scope: str = TokenScope.READ_WRITE, days: int = 30) -> str:
    return token_create(owner=user, name="Watch", scope=scope, lifetime=timedelta(days=days))[1]


def make_episode(user: User, days_ago: int = 0) -> Episode:
    knowledge = get_knowledge()
    return episode_create(
        user=user,
        answers=SELF_CARE,
        result=assess(SELF_CARE, knowledge),
        knowledge=knowledge,
        run_context=RunContext(run_date=timezone.localdate() - timedelta(days=days_ago)),
        token=uuid.uuid4(),
    )


def post_json(client: Client, path: str, data: Any, **extra: Any) -> Any:
    return client.post(path, json.dumps(data), content_type="application/json", **extra)


def put_json(client: Client, path: str, data: Any, **extra: Any) -> Any:
    return client.put(path, json.dumps(data), content_type="application/json", **extra)


@pytest.fixture
def owner() -> User:
    return make_user("owner@example.com")


@pytest.fixture
def outsider() -> User:
    return make_user("outsider@example.com")


@pytest.fixture
def owner_token(owner: User) -> dict[str, str]:
    return bearer(make_token(owner))


@pytest.fixture
def read_token(owner: User) -> dict[str, str]:
    return bearer(make_token(owner, TokenScope.READ))


@pytest.fixture
def outsider_token(outsider: User) -> dict[str, str]:
    return bearer(make_token(outsider))


def run_details(**extra: Any) -> dict[str, Any]:
    return {"run_date": timezone.localdate().isoformat(), "heaviness": 6, **extra}


# ASSESSMENTS


def test_an_assessment_gives_the_same_json_as_diagnose(client: Client) -> None:
    response = post_json(client, f"{V1}/assessments", {"answers": SELF_CARE})
    assert response.status_code == 200
    assert response.json() == assess(SELF_CARE, get_knowledge()).to_dict()
    assert response.json()["causes"]


def test_an_emergency_assessment_lists_no_causes(client: Client) -> None:
    body = post_json(client, f"{V1}/assessments", {"answers": EMERGENCY}).json()
    assert body["triage"] == "emergency"
    assert body["causes"] == []


def test_a_rule_warning_comes_with_the_answers_that_fired_it(client: Client) -> None:
    from legs.knowledge.models import Rule

    Rule.objects.all().delete()  # the seed's own clot rule would fire on the same answers
    make_one_leg_rule(serious=True)
    answers = {**SELF_CARE, **ONE_LEG_ON_THE_PILL}
    body = post_json(client, f"{V1}/assessments", {"answers": answers}).json()
    assert body == assess(answers, get_knowledge()).to_dict()
    warning = body["warnings"][0]
    assert set(warning) == {"rule", "level", "message", "serious", "because"}
    assert (warning["rule"], warning["level"], warning["serious"]) == (
        "test-one-leg-with-risk",
        "soon",
        True,
    )
    assert [(r["question"], r["value"]) for r in warning["because"]] == [
        ("legs", "one"),
        ("risk_factors", "hormonal_contraception_or_hrt"),
    ]
    assert {c["band"] for c in body["causes"]} == {"possible"}


@pytest.mark.parametrize("path", ["/assessments", "/episodes"])
def test_answers_without_the_warning_signs_are_refused(
    client: Client, owner_token: dict[str, str], path: str
) -> None:
    """The wizard always asks the warning signs first: an app never gets causes, nor saves
    an episode, for someone who was not asked about them."""
    answers = {"timing": "whole_run", "sleep_hours": "under_6"}
    body: dict[str, Any] = {"answers": answers}
    if path == "/episodes":
        body["run"] = run_details()
    response = post_json(client, f"{V1}{path}", body, **owner_token)
    assert response.status_code == 422
    assert list(response.json()["errors"]) == ["answers.warning_signs"]
    assert not Episode.objects.exists()


def test_invalid_answers_are_422_naming_each_key(client: Client) -> None:
    answers = {"colour": "red", "warmup": "sometimes", "warning_signs": "none"}
    response = post_json(client, f"{V1}/assessments", {"answers": answers})
    assert response.status_code == 422
    assert response.json() == {
        "detail": "The answers do not fit the questions.",
        "errors": {
            "answers.colour": "unknown question",
            "answers.warmup": "unknown value 'sometimes'",
            "answers.warning_signs": "expected a list of choice values",
        },
    }


def test_assessments_are_rate_limited_per_address_with_a_json_429(
    client: Client, settings: Any
) -> None:
    settings.RATELIMIT_RATE = "3/m"
    codes = [
        post_json(client, f"{V1}/assessments", {"answers": SELF_CARE}).status_code for _ in range(3)
    ]
    blocked = post_json(client, f"{V1}/assessments", {"answers": SELF_CARE})
    other = post_json(
        client, f"{V1}/assessments", {"answers": SELF_CARE}, REMOTE_ADDR="203.0.113.9"
    )
    assert codes == [200, 200, 200]
    assert blocked.status_code == 429
    assert blocked["Content-Type"] == "application/json; charset=utf-8"
    assert "Too many requests" in blocked.json()["detail"]
    assert int(blocked["Retry-After"]) >= 1
    assert other.status_code == 200


# BAD INPUT: clear 4xx JSON, never a 500


@pytest.mark.parametrize(
    ("body", "content_type", "status", "detail"),
    [
        ('{"answers": {"warmup": "none"},', "application/json", 400, "not valid JSON"),
        (b"\xff\xfe", "application/json", 400, "not valid JSON"),
        ('["warmup"]', "application/json", 400, "must be a JSON object"),
        ("answers=1", "application/x-www-form-urlencoded", 415, "Content-Type: application/json"),
        ('{"answers": {}}', "text/plain", 415, "Content-Type: application/json"),
        ('{"answers": "' + "x" * 70_000 + '"}', "application/json", 413, "larger than"),
    ],
)
def test_a_bad_body_is_a_clear_json_error(
    client: Client, body: str | bytes, content_type: str, status: int, detail: str
) -> None:
    response = client.post(f"{V1}/assessments", body, content_type=content_type)
    assert response.status_code == status
    assert detail in response.json()["detail"]


def test_a_body_over_djangos_own_limit_is_413_json(client: Client, settings: Any) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100
    body = json.dumps({"answers": {"warmup": "none", "pad": "x" * 200}})
    response = client.post(f"{V1}/assessments", body, content_type="application/json")
    assert response.status_code == 413
    assert response.json() == {"detail": "The body is larger than the server accepts."}


def test_an_empty_body_is_422_naming_the_missing_key(client: Client) -> None:
    response = client.post(f"{V1}/assessments", "", content_type="application/json")
    assert response.status_code == 422
    assert response.json()["errors"] == {"body": "Field required"}


def test_unknown_keys_are_422_naming_them(
    client: Client, owner: User, owner_token: dict[str, str]
) -> None:
    response = post_json(client, f"{V1}/assessments", {"answers": SELF_CARE, "answer": {}})
    assert response.status_code == 422
    assert response.json()["errors"] == {"answer": "Extra inputs are not permitted"}
    response = post_json(
        client,
        f"{V1}/episodes",
        {"answers": SELF_CARE, "run": run_details(heavyness=3)},
        **owner_token,
    )
    assert response.status_code == 422
    assert response.json()["errors"] == {"run.heavyness": "Extra inputs are not permitted"}
    assert not Episode.objects.exists()


# KNOWLEDGE


@pytest.mark.parametrize("path", ["/questions", "/causes", "/causes/iron-deficiency", "/faq"])
def test_knowledge_is_public_cacheable_and_revalidated_by_the_revision(
    client: Client, path: str
) -> None:
    if path.startswith("/causes/"):
        path = f"/causes/{Cause.objects.published().first().slug}"  # type: ignore[union-attr]
    response = client.get(V1 + path)
    assert response.status_code == 200
    token = KnowledgeRevision.current()[1]
    assert response["ETag"] == f'"{token}"'
    assert response["Cache-Control"] == "public, max-age=300"
    again = client.get(V1 + path, HTTP_IF_NONE_MATCH=response["ETag"])
    assert again.status_code == 304
    assert again.content == b""
    KnowledgeRevision.bump()
    changed = client.get(V1 + path, HTTP_IF_NONE_MATCH=response["ETag"])
    assert changed.status_code == 200
    assert changed["ETag"] != response["ETag"]


def test_questions_follow_the_wizards_steps(client: Client) -> None:
    body = client.get(f"{V1}/questions").json()
    knowledge = get_knowledge()
    assert [s["key"] for s in body["steps"]] == [s.key for s in knowledge.steps]
    assert body["steps"][0]["key"] == "safety"
    first = body["steps"][0]["questions"][0]
    question = knowledge.questions[first["key"]]
    assert [c["value"] for c in first["choices"]] == list(question.choices)


def test_causes_are_the_published_ones_only(client: Client) -> None:
    hidden = Cause.objects.published().first()
    assert hidden is not None
    Cause.objects.filter(pk=hidden.pk).update(published=False)
    slugs = [c["slug"] for c in client.get(f"{V1}/causes").json()]
    assert hidden.slug not in slugs
    assert sorted(slugs) == sorted(Cause.objects.published().values_list("slug", flat=True))
    missing = client.get(f"{V1}/causes/{hidden.slug}")
    assert missing.status_code == 404
    assert missing.json() == {"detail": "Not Found"}


def test_a_cause_gives_its_page_text_and_sources(client: Client) -> None:
    cause = Cause.objects.published().exclude(sources=None).first()
    assert cause is not None
    body = client.get(f"{V1}/causes/{cause.slug}").json()
    assert body["name"] == cause.name
    assert body["body_html"] == cause.body_html
    assert [s["url"] for s in body["sources"]] == [s.url for s in cause.sources.all()]
    assert [r["title"] for r in body["remedies"]] == [r.title for r in cause.remedies.all()]


def test_the_faq_lists_published_entries_in_order(client: Client) -> None:
    Faq.objects.filter(pk=Faq.objects.first().pk).update(published=False)  # type: ignore[union-attr]
    body = client.get(f"{V1}/faq").json()
    expected = Faq.objects.published().order_by("order", "pk").values_list("slug", flat=True)
    assert [f["slug"] for f in body] == list(expected)


# EPISODES: the access matrix

OWNER_READS = ["/episodes", "/episodes/{pk}", "/insights"]


@pytest.mark.parametrize("path", OWNER_READS)
def test_reads_need_a_login_or_a_token(client: Client, owner: User, path: str) -> None:
    episode = make_episode(owner)
    response = client.get(V1 + path.format(pk=episode.pk))
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'
    assert "Authorization: Bearer" in response.json()["detail"]


@pytest.mark.parametrize("path", OWNER_READS)
def test_reads_work_with_a_read_token_and_with_the_session(
    client: Client, owner: User, read_token: dict[str, str], path: str
) -> None:
    episode = make_episode(owner)
    assert client.get(V1 + path.format(pk=episode.pk), **read_token).status_code == 200
    client.force_login(owner)
    assert client.get(V1 + path.format(pk=episode.pk)).status_code == 200


@pytest.mark.parametrize(
    ("method", "path", "data"),
    [
        ("post", "/episodes", {"answers": SELF_CARE, "run": run_details()}),
        ("put", "/episodes/{pk}/follow-up", {"outcome": "better"}),
    ],
)
def test_writes_need_a_read_and_write_token(
    client: Client,
    owner: User,
    read_token: dict[str, str],
    owner_token: dict[str, str],
    method: str,
    path: str,
    data: dict[str, Any],
) -> None:
    episode = make_episode(owner)
    send = post_json if method == "post" else put_json
    url = V1 + path.format(pk=episode.pk)
    anonymous = send(client, url, data)
    read_only = send(client, url, data, **read_token)
    assert anonymous.status_code == 401
    assert read_only.status_code == 403
    assert read_only.json() == {
        "detail": "This API token can only read; create a read and write token."
    }
    assert Episode.objects.count() == 1
    assert not FollowUp.objects.exists()
    assert send(client, url, data, **owner_token).status_code in (200, 201)


@pytest.mark.parametrize(
    ("method", "path", "data"),
    [
        ("get", "/episodes/{pk}", None),
        ("put", "/episodes/{pk}/follow-up", {"outcome": "better"}),
    ],
)
def test_another_runners_episode_is_404(
    client: Client,
    owner: User,
    outsider: User,
    outsider_token: dict[str, str],
    method: str,
    path: str,
    data: dict[str, Any] | None,
) -> None:
    episode = make_episode(owner)
    url = V1 + path.format(pk=episode.pk)
    response = (
        client.get(url, **outsider_token)
        if data is None
        else put_json(client, url, data, **outsider_token)
    )
    assert response.status_code == 404
    assert response.json() == {"detail": "Not Found"}
    assert not FollowUp.objects.exists()
    client.force_login(outsider)
    assert client.get(V1 + f"/episodes/{episode.pk}").status_code == 404


def test_the_episode_list_holds_only_the_runners_own_episodes(
    client: Client, owner: User, outsider: User, outsider_token: dict[str, str]
) -> None:
    make_episode(owner)
    mine = make_episode(outsider)
    body = client.get(f"{V1}/episodes", **outsider_token).json()
    assert body["count"] == 1
    assert [e["id"] for e in body["items"]] == [mine.pk]
    assert client.get(f"{V1}/insights", **outsider_token).json()["causes"] != []


@pytest.mark.parametrize("count", [2, 25])
def test_the_episode_list_is_paginated_in_a_fixed_number_of_queries(
    client: Client, owner: User, django_assert_num_queries: Any, count: int
) -> None:
    for days in range(count):
        make_episode(owner, days_ago=days)
    headers = bearer(make_token(owner, TokenScope.READ))
    client.get(f"{V1}/episodes", **headers)  # the token's first use is recorded
    # 1 the token with its owner, 2 count, 3 the page of episodes
    with django_assert_num_queries(3):
        body = client.get(f"{V1}/episodes", **headers).json()
    assert body["count"] == count
    assert len(body["items"]) == min(count, 20)
    assert [e["run_date"] for e in body["items"]] == sorted(
        (e["run_date"] for e in body["items"]), reverse=True
    )
    if count > 20:
        page_2 = client.get(f"{V1}/episodes", {"page": 2}, **headers).json()
        assert len(page_2["items"]) == count - 20


def test_the_session_list_costs_the_sessions_queries_instead_of_the_tokens(
    client: Client, owner: User, django_assert_num_queries: Any
) -> None:
    make_episode(owner)
    make_episode(owner, days_ago=1)
    client.force_login(owner)
    # 1 session, 2 user, 3 count, 4 the page of episodes
    with django_assert_num_queries(4):
        assert client.get(f"{V1}/episodes").json()["count"] == 2


def test_an_episode_gives_its_answers_result_remedies_and_follow_up(
    client: Client, owner: User, owner_token: dict[str, str]
) -> None:
    episode = make_episode(owner)
    body = client.get(f"{V1}/episodes/{episode.pk}", **owner_token).json()
    assert body["id"] == episode.pk
    assert body["answers"] == SELF_CARE
    assert body["result"] == episode.shown_result().to_dict()
    assert body["url"] == reverse("history:detail", kwargs={"pk": episode.pk})
    assert [r["title"] for r in body["remedies"]] == [r.title for r in episode.remedies.all()]
    assert body["follow_up"] is None
    put_json(
        client,
        f"{V1}/episodes/{episode.pk}/follow-up",
        {"outcome": "worse", "note": "Still heavy."},
        **owner_token,
    )
    again = client.get(f"{V1}/episodes/{episode.pk}", **owner_token).json()
    assert again["follow_up"]["outcome"] == "worse"
    assert again["follow_up"]["note"] == "Still heavy."


def test_a_follow_up_replaces_the_earlier_one(
    client: Client, owner: User, owner_token: dict[str, str]
) -> None:
    episode = make_episode(owner)
    url = f"{V1}/episodes/{episode.pk}/follow-up"
    assert put_json(client, url, {"outcome": "same"}, **owner_token).status_code == 200
    response = put_json(client, url, {"outcome": "better", "note": "Iron helped."}, **owner_token)
    assert response.json() == {
        "outcome": "better",
        "note": "Iron helped.",
        "given_on": timezone.localdate().isoformat(),
    }
    assert FollowUp.objects.get().outcome == "better"


def test_a_follow_up_with_an_unknown_outcome_is_422(
    client: Client, owner: User, owner_token: dict[str, str]
) -> None:
    episode = make_episode(owner)
    url = f"{V1}/episodes/{episode.pk}/follow-up"
    response = put_json(client, url, {"outcome": "fine"}, **owner_token)
    assert response.status_code == 422
    assert list(response.json()["errors"]) == ["outcome"]


def test_an_episode_is_scored_by_the_server(
    client: Client, owner: User, owner_token: dict[str, str]
) -> None:
    response = post_json(
        client,
        f"{V1}/episodes",
        {
            "answers": SELF_CARE,
            "run": run_details(distance_km="8.5", duration_minutes=50, legs="both"),
        },
        **owner_token,
    )
    assert response.status_code == 201
    episode = Episode.objects.get()
    assert episode.owner == owner
    assert episode.result == assess(SELF_CARE, get_knowledge()).to_dict()
    assert response.json()["result"] == episode.result
    assert response.json()["distance_km"] == 8.5
    assert response.json()["duration_minutes"] == 50
    assert episode.legs == "both"


def test_the_same_idempotency_key_saves_one_episode(
    client: Client, owner: User, owner_token: dict[str, str]
) -> None:
    data = {"answers": SELF_CARE, "run": run_details(), "token": str(uuid.uuid4())}
    first = post_json(client, f"{V1}/episodes", data, **owner_token)
    second = post_json(client, f"{V1}/episodes", data, **owner_token)
    assert first.json()["id"] == second.json()["id"]
    assert Episode.objects.count() == 1


@pytest.mark.parametrize(
    ("run", "key"),
    [
        (run_details(heaviness=11), "run.heaviness"),
        (run_details(distance_km="0"), "run.distance_km"),
        (run_details(run_date="2999-01-01"), "run.run_date"),
        (run_details(notes="x" * 2001), "run.notes"),
        (run_details(legs="three"), "run.legs"),
        (run_details(duration_minutes=0), "run.duration_minutes"),
        ({"heaviness": 5}, "run.run_date"),
    ],
)
def test_bad_run_details_are_422_naming_the_key(
    client: Client, owner: User, owner_token: dict[str, str], run: dict[str, Any], key: str
) -> None:
    response = post_json(
        client, f"{V1}/episodes", {"answers": SELF_CARE, "run": run}, **owner_token
    )
    assert response.status_code == 422
    assert list(response.json()["errors"]) == [key]
    assert not Episode.objects.exists()


def test_an_episode_with_invalid_answers_is_422_and_not_saved(
    client: Client, owner: User, owner_token: dict[str, str]
) -> None:
    response = post_json(
        client, f"{V1}/episodes",
        {"answers": {"warning_signs": ["none"], "warmup": "often"}, "run": run_details()},
        **owner_token,
    )  # fmt: skip
    assert response.status_code == 422
    assert response.json()["errors"] == {"answers.warmup": "unknown value 'often'"}
    assert not Episode.objects.exists()


def test_the_session_writes_only_with_the_csrf_token(owner: User) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)
    data = {"answers": SELF_CARE, "run": run_details()}
    refused = post_json(client, f"{V1}/episodes", data)
    assert refused.status_code == 403
    assert "CSRF" in refused.json()["detail"]
    client.get(reverse("accounts:profile"))
    csrf = client.cookies["csrftoken"].value
    accepted = post_json(client, f"{V1}/episodes", data, HTTP_X_CSRFTOKEN=csrf)
    assert accepted.status_code == 201


def test_a_bearer_token_needs_no_csrf_token(owner: User, owner_token: dict[str, str]) -> None:
    client = Client(enforce_csrf_checks=True)
    data = {"answers": SELF_CARE, "run": run_details()}
    assert post_json(client, f"{V1}/episodes", data, **owner_token).status_code == 201


def test_insights_are_the_insights_pages_numbers(
    client: Client, owner: User, owner_token: dict[str, str]
) -> None:
    for days in range(3):
        make_episode(owner, days_ago=days)
    body = client.get(f"{V1}/insights", **owner_token).json()
    assert body["episode_count"] == 3
    assert body["window_count"] == 3
    top = Episode.objects.first().top_cause_slug  # type: ignore[union-attr]
    assert any(c["slug"] == top and c["top"] == 3 for c in body["causes"])


# RUNS


def make_run(user: User, days_ago: int = 0, km: float = 10) -> Run:
    day = timezone.localdate() - timedelta(days=days_ago)
    return run_create(
        user=user,
        activity=Activity(
            start_time=datetime(day.year, day.month, day.day, 7, tzinfo=UTC),
            distance_m=round(km * 1000),
            moving_time_s=round(km * 300),
            average_heart_rate=150,
            source="fit",
        ),
    )


@pytest.mark.parametrize("path", ["/runs", "/runs/{pk}"])
def test_runs_need_a_token_or_a_session(
    client: Client, owner: User, path: str, outsider_token: dict[str, str]
) -> None:
    run = make_run(owner)
    url = V1 + path.format(pk=run.pk)
    assert client.get(url).status_code == 401
    assert client.get(url, **bearer("not-a-token")).status_code == 401
    assert client.get(url, **outsider_token).status_code in (200, 404)


def test_another_runners_run_is_404(
    client: Client, owner: User, outsider: User, outsider_token: dict[str, str]
) -> None:
    run = make_run(owner)
    response = client.get(f"{V1}/runs/{run.pk}", **outsider_token)
    assert response.status_code == 404
    assert response.json() == {"detail": "Not Found"}
    client.force_login(outsider)
    assert client.get(f"{V1}/runs/{run.pk}").status_code == 404
    assert client.get(f"{V1}/runs", **outsider_token).json()["count"] == 0


def test_a_run_gives_its_details(client: Client, owner: User, read_token: dict[str, str]) -> None:
    run = make_run(owner, km=21.1)
    body = client.get(f"{V1}/runs/{run.pk}", **read_token).json()
    assert body["id"] == run.pk
    assert (body["distance_m"], body["moving_time_s"], body["source"]) == (21_100, 6330, "fit")
    assert body["average_heart_rate"] == 150
    assert body["episode_id"] is None
    assert body["url"] == reverse("history:run_detail", args=[run.pk])


@pytest.mark.parametrize("count", [2, 25])
def test_the_run_list_is_paginated_in_a_fixed_number_of_queries(
    client: Client, owner: User, django_assert_num_queries: Any, count: int
) -> None:
    for days in range(count):
        make_run(owner, days_ago=days)
    headers = bearer(make_token(owner, TokenScope.READ))
    client.get(f"{V1}/runs", **headers)  # the token's first use is recorded
    # 1 the token with its owner, 2 count, 3 the page of runs
    with django_assert_num_queries(3):
        body = client.get(f"{V1}/runs", **headers).json()
    assert body["count"] == count
    assert len(body["items"]) == min(count, 20)
    dates = [r["run_date"] for r in body["items"]]
    assert dates == sorted(dates, reverse=True)
    if count > 20:
        assert len(client.get(f"{V1}/runs", {"page": 2}, **headers).json()["items"]) == 5


def test_runs_cannot_be_written_through_the_api(
    client: Client, owner_token: dict[str, str]
) -> None:
    assert post_json(client, f"{V1}/runs", {}, **owner_token).status_code == 405


def test_insights_give_the_training_load_from_runs(
    client: Client, owner: User, owner_token: dict[str, str]
) -> None:
    assert client.get(f"{V1}/insights", **owner_token).json()["training_load"] is None
    for days in range(0, 35, 3):
        make_run(owner, days_ago=days, km=8)
    long_run = make_run(owner, days_ago=1, km=20)
    load = client.get(f"{V1}/insights", **owner_token).json()["training_load"]
    assert len(load["weeks"]) == 12
    assert sum(w["runs"] for w in load["weeks"]) >= 12
    assert load["workload_ratio"]["ratio"] > 1
    assert [r["run_id"] for r in load["long_runs"]] == [long_run.pk]


# THE ROUND TRIP


def test_an_assessment_saved_through_the_api_shows_on_the_sites_history(
    client: Client, owner: User, owner_token: dict[str, str]
) -> None:
    result = post_json(client, f"{V1}/assessments", {"answers": SELF_CARE}).json()
    saved = post_json(
        client,
        f"{V1}/episodes",
        {"answers": SELF_CARE, "run": run_details(notes="Hill repeats")},
        **owner_token,
    )
    assert saved.status_code == 201
    assert saved.json()["result"] == result
    client.force_login(owner)
    page = client.get(reverse("history:list"))
    assert page.status_code == 200
    episode = Episode.objects.get()
    assert episode.get_absolute_url() in page.content.decode()
    assert list(page.context["page"].object_list) == [episode]
    assert client.get(saved.json()["url"]).status_code == 200


# DOCS AND SCHEMA


def test_the_checked_in_schema_matches_the_live_one(client: Client) -> None:
    live = client.get(f"{V1}/openapi.json")
    assert live.status_code == 200
    checked_in = json.loads((ROOT / "docs" / "openapi.json").read_text(encoding="utf-8"))
    assert checked_in == live.json(), "run: manage.py write_openapi"
    call_command("write_openapi", str(ROOT / "docs" / "openapi.json"), "--check")


def test_the_docs_page_loads_only_our_own_static_files_under_the_sites_csp(
    client: Client,
) -> None:
    response = client.get(f"{V1}/docs")
    assert response.status_code == 200
    html = response.content.decode()
    assert "script-src 'self'" in response["Content-Security-Policy"]
    assert "unsafe-inline" not in response["Content-Security-Policy"]
    assert "cdn" not in html.lower()
    assert '<script src="/static/ninja/swagger-ui-bundle.js">' in html
    assert '<script src="/static/ninja/swagger-ui-init.js">' in html
    # The only script element without a src is a JSON data block, which CSP does not run.
    inline = html.count("<script") - html.count("<script src=")
    assert inline == 1
    assert '<script type="application/json" id="swagger-settings">' in html
    assert "<style" not in html


def test_nothing_but_the_url_configuration_imports_the_api() -> None:
    users = [
        path.relative_to(ROOT).as_posix()
        for folder in ("config", "legs", "accounts")
        for path in (ROOT / folder).rglob("*.py")
        if "from legs.api" in path.read_text(encoding="utf-8")
        and "legs/api/" not in path.as_posix()
    ]
    assert users == ["config/urls.py"]
