"""Episode history: saving results, the list, the episode page, access and admin privacy."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Mapping
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth.models import Permission
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from legs.assessment.engine import Result, assess
from legs.assessment.wizard import RESULT_SESSION_KEY, StoredResult
from legs.history.models import Episode, EpisodeCause, EpisodeRemedy, FollowUp
from legs.history.services import RunContext, episode_create, episode_follow_up_save
from legs.knowledge.models import Cause, Choice, Remedy
from legs.knowledge.published import get_knowledge
from tests.factories import (
    ONE_LEG_ON_THE_PILL,
    PASSWORD,
    activation_links,
    make_one_leg_rule,
    make_staff,
    make_superuser,
    make_user,
)

pytestmark = pytest.mark.usefixtures("seeded")


WIZARD_PREFIX = "assessment_wizard"
# No warning sign; short sleep, high stress and no warm-up: poor sleep comes out on top.
TIRED: dict[str, Any] = {
    "warning_signs": ["none"],
    "legs": "both",
    "warmup": "none",
    "sleep_hours": "under_6",
    "stress": "high",
}
# Well rested, but a run much longer than usual.
SPIKE: dict[str, Any] = {
    "warning_signs": ["none"],
    "legs": "one",
    "long_run_spike": "yes",
    "weekly_change": "up_over_30",
    "sleep_hours": "7_9",
    "stress": "low",
    "warmup": "dynamic_5_plus",
}
# One calf swollen and painful: see a doctor today, no list of causes.
URGENT: dict[str, Any] = {"warning_signs": ["one_leg_swollen_painful"]}


# -- helpers -------------------------------------------------------------------------------


def make_result(answers: Mapping[str, Any]) -> Result:
    return assess(dict(answers), get_knowledge())


def make_episode(
    user: User,
    answers: Mapping[str, Any] = TIRED,
    *,
    days_ago: int = 0,
    heaviness: int | None = 6,
    distance_km: str | None = None,
    saved_days_ago: int = 0,
) -> Episode:
    episode = episode_create(
        user=user,
        answers=answers,
        result=make_result(answers),
        knowledge=get_knowledge(),
        run_context=RunContext(
            run_date=timezone.localdate() - timedelta(days=days_ago),
            heaviness=heaviness,
            distance_km=None if distance_km is None else Decimal(distance_km),
        ),
        token=uuid.uuid4(),
    )
    if saved_days_ago:
        Episode.objects.filter(pk=episode.pk).update(
            created_at=timezone.now() - timedelta(days=saved_days_ago)
        )
        episode.refresh_from_db()
    return episode


def put_result_in_session(client: Client, answers: Mapping[str, Any] = TIRED) -> None:
    """A result as the wizard stores it."""
    session = client.session
    StoredResult(
        answers=dict(answers),
        result=make_result(answers),
        knowledge_version=get_knowledge().version,
        created=timezone.now().isoformat(),
    ).save(session)
    session.save()


def save_token(html: str) -> str:
    match = re.search(r'name="token" value="([0-9a-f-]{36})"', html)
    assert match, "no save form token on the page"
    return match.group(1)


def run_form(token: str, **overrides: str) -> dict[str, str]:
    data = {
        "token": token,
        "run_date": timezone.localdate().isoformat(),
        "distance": "12.5",
        "unit": "km",
        "duration": "1:05",
        "heaviness": "7",
        "legs": "both",
        "notes": "Hilly route, hot afternoon.",
    }
    data.update(overrides)
    return data


def walk_wizard(client: Client, answers: Mapping[str, Any]) -> Any:
    """Answer every step the real wizard shows; returns the page it ends on."""
    response = client.get(reverse("assessment:wizard"), follow=True)
    for _ in range(20):
        if response.resolver_match.url_name != "wizard_step":
            return response
        if "step" not in response.context:  # "Check your answers": see the result
            response = client.post(response.request["PATH_INFO"], follow=True)
            continue
        step = response.context["step"]
        data: dict[str, Any] = {f"{WIZARD_PREFIX}-current_step": step.key}
        data.update({f"{step.key}-{k}": answers[k] for k in step.questions if k in answers})
        response = client.post(
            reverse("assessment:wizard_step", args=[step.key]), data, follow=True
        )
    raise AssertionError("the wizard never finished")


@pytest.fixture
def owner() -> User:
    return make_user("owner@example.com", display_name="Olive")


@pytest.fixture
def outsider() -> User:
    return make_user("outsider@example.com")


@pytest.fixture
def owner_client(client: Client, owner: User) -> Client:
    client.force_login(owner)
    return client


# -- the episode and its snapshot --------------------------------------------------------


def test_saving_keeps_the_answers_the_result_and_its_causes_and_remedies(owner: User) -> None:
    episode = make_episode(owner)
    result = make_result(TIRED).to_dict()
    assert episode.answers == TIRED
    assert episode.result == result
    assert episode.triage == "self_care"
    assert episode.top_cause_slug == result["causes"][0]["slug"] == "poor-sleep"
    assert episode.top_cause_name == result["causes"][0]["name"]
    assert episode.knowledge_version == get_knowledge().version
    ranked = list(EpisodeCause.objects.filter(episode=episode).values_list("slug", "rank"))
    assert ranked == [(c["slug"], n) for n, c in enumerate(result["causes"], start=1)]
    # The remedies the result page showed: the first three of each of the first six causes.
    shown = [(c["slug"], r["title"]) for c in result["causes"][:6] for r in c["remedies"][:3]]
    remedies = EpisodeRemedy.objects.filter(episode=episode).order_by("pk")
    assert [(r.cause_slug, r.title) for r in remedies] == shown
    sleep = next(a for a in episode.answer_labels if a["question"] == "sleep_hours")
    assert sleep["answer"] == get_knowledge().questions["sleep_hours"].choices["under_6"].label


def test_an_urgent_result_is_saved_without_causes(owner: User) -> None:
    episode = make_episode(owner, URGENT)
    assert episode.triage == "urgent"
    assert episode.top_cause_slug == ""
    assert not episode.causes.exists()
    assert not episode.remedies.exists()


def test_saving_the_same_token_twice_returns_the_first_episode(owner: User) -> None:
    token = uuid.uuid4()
    kwargs: dict[str, Any] = {
        "user": owner,
        "answers": TIRED,
        "result": make_result(TIRED),
        "knowledge": get_knowledge(),
        "run_context": RunContext(run_date=timezone.localdate()),
        "token": token,
    }
    first = episode_create(**kwargs)
    second = episode_create(**kwargs)
    assert first.pk == second.pk
    assert Episode.objects.count() == 1
    assert EpisodeCause.objects.filter(episode=first).count() == len(make_result(TIRED).causes)


def test_a_run_in_the_future_is_refused(owner: User) -> None:
    with pytest.raises(ValidationError) as error:
        episode_create(
            user=owner,
            answers=TIRED,
            result=make_result(TIRED),
            knowledge=get_knowledge(),
            run_context=RunContext(run_date=timezone.localdate() + timedelta(days=2)),
            token=uuid.uuid4(),
        )
    assert "run_date" in error.value.message_dict
    assert not Episode.objects.exists()


def test_knowledge_base_edits_never_rewrite_a_saved_episode(
    owner_client: Client, owner: User
) -> None:
    episode = make_episode(owner)
    cause = Cause.objects.get(slug="poor-sleep")
    old_name = cause.name
    remedy = Remedy.objects.filter(cause=cause).order_by("order", "pk").first()
    assert remedy is not None
    old_title = remedy.title
    choice = Choice.objects.get(question__key="sleep_hours", value="under_6")
    old_label = choice.label
    cause.name = "Renamed sleep cause"
    cause.save()
    remedy.title = "Rewritten remedy title"
    remedy.save()
    choice.label = "Rewritten answer label"
    choice.save()

    page = owner_client.get(episode.get_absolute_url()).content.decode()
    assert old_name in page
    assert old_title in page
    assert old_label in page
    for new in ("Renamed sleep cause", "Rewritten remedy title", "Rewritten answer label"):
        assert new not in page


# -- saving from the result page ---------------------------------------------------------


def test_a_logged_in_runner_sees_the_save_form_with_a_one_time_token(
    owner_client: Client,
) -> None:
    put_result_in_session(owner_client)
    page = owner_client.get(reverse("assessment:result")).content.decode()
    assert 'action="/history/save/"' in page
    token = save_token(page)
    # The same result keeps its token when the page is shown again.
    again = owner_client.get(reverse("assessment:result")).content.decode()
    assert save_token(again) == token
    # A new result gets a new one.
    put_result_in_session(owner_client, SPIKE)
    assert save_token(owner_client.get(reverse("assessment:result")).content.decode()) != token


def test_after_a_warning_sign_the_save_form_waits_folded(owner_client: Client) -> None:
    put_result_in_session(owner_client, URGENT)
    page = owner_client.get(reverse("assessment:result")).content.decode()
    details = re.search(r'<details class="save-details"([^>]*)>', page)
    assert details is not None
    assert "open" not in details.group(1)
    put_result_in_session(owner_client, TIRED)
    page = owner_client.get(reverse("assessment:result")).content.decode()
    details = re.search(r'<details class="save-details"([^>]*)>', page)
    assert details is not None
    assert "open" in details.group(1)


def test_saving_creates_the_episode_with_the_run_in_the_runners_unit(
    client: Client,
) -> None:
    runner = make_user("miles@example.com", distance_unit="mi")
    client.force_login(runner)
    put_result_in_session(client)
    page = client.get(reverse("assessment:result")).content.decode()
    assert 'value="mi" selected' in page
    token = save_token(page)
    response = client.post(
        reverse("history:save"), run_form(token, distance="10", unit="mi", duration="52")
    )
    episode = Episode.objects.get(owner=runner)
    assert response.status_code == 302
    assert response["Location"] == episode.get_absolute_url()
    assert episode.distance_km == Decimal("16.093")
    assert episode.distance_in("mi") == Decimal("10.00")
    assert episode.duration == timedelta(minutes=52)
    assert episode.heaviness == 7
    assert episode.legs == "both"
    assert episode.notes == "Hilly route, hot afternoon."
    assert str(episode.token) == token
    detail = client.get(episode.get_absolute_url()).content.decode()
    assert "10.00 mi" in detail
    # The result page now points to the saved episode instead of offering to save again.
    result_page = client.get(reverse("assessment:result")).content.decode()
    assert episode.get_absolute_url() in result_page
    assert 'name="token"' not in result_page


def test_a_double_submit_creates_one_episode(owner_client: Client, owner: User) -> None:
    put_result_in_session(owner_client)
    token = save_token(owner_client.get(reverse("assessment:result")).content.decode())
    first = owner_client.post(reverse("history:save"), run_form(token))
    second = owner_client.post(reverse("history:save"), run_form(token))
    assert Episode.objects.filter(owner=owner).count() == 1
    assert first["Location"] == second["Location"] == Episode.objects.get().get_absolute_url()


def test_a_form_from_an_earlier_result_saves_nothing(owner_client: Client, owner: User) -> None:
    put_result_in_session(owner_client)
    old_token = save_token(owner_client.get(reverse("assessment:result")).content.decode())
    put_result_in_session(owner_client, SPIKE)
    owner_client.get(reverse("assessment:result"))
    response = owner_client.post(reverse("history:save"), run_form(old_token), follow=True)
    assert not Episode.objects.exists()
    assert "belonged to an earlier result" in response.content.decode()


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("run_date", "in two days", "Enter a real date"),
        ("distance", "-3", "greater than or equal to 0.01"),
        ("distance", "ten", "Enter the distance as a number"),
        ("duration", "an hour", "Enter minutes (45) or hours and minutes (1:05)."),
        ("duration", "1:75", "Enter minutes (45) or hours and minutes (1:05)."),
        ("heaviness", "11", "Select a valid choice"),
        ("unit", "furlongs", "Select a valid choice"),
    ],
)
def test_bad_run_details_come_back_with_a_message_by_the_field(
    owner_client: Client, field: str, value: str, message: str
) -> None:
    put_result_in_session(owner_client)
    token = save_token(owner_client.get(reverse("assessment:result")).content.decode())
    response = owner_client.post(reverse("history:save"), run_form(token, **{field: value}))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert response.context["save_form"].has_error(field)
    assert not Episode.objects.exists()


def test_a_run_date_in_the_future_is_a_field_error(owner_client: Client) -> None:
    put_result_in_session(owner_client)
    token = save_token(owner_client.get(reverse("assessment:result")).content.decode())
    future = (timezone.localdate() + timedelta(days=3)).isoformat()
    response = owner_client.post(reverse("history:save"), run_form(token, run_date=future))
    assert response.status_code == 200
    assert "cannot be in the future" in response.content.decode()
    assert not Episode.objects.exists()


def test_saving_without_a_result_sends_the_runner_to_the_assessment(
    owner_client: Client,
) -> None:
    response = owner_client.post(reverse("history:save"), run_form(str(uuid.uuid4())))
    assert response.status_code == 302
    assert response["Location"] == reverse("assessment:wizard")
    assert not Episode.objects.exists()


@pytest.mark.parametrize(
    "damaged", ["not json", "[1, 2]", "", None, 7, '{"triage": "maybe"}', {"causes": 3}]
)
# A form with errors shows the result page again: it too must not break on the damage.
@pytest.mark.parametrize("form", [{}, {"heaviness": "99"}])
def test_saving_a_damaged_stored_result_sends_the_runner_to_the_assessment(
    owner_client: Client, damaged: object, form: dict[str, str]
) -> None:
    put_result_in_session(owner_client)
    token = save_token(owner_client.get(reverse("assessment:result")).content.decode())
    session = owner_client.session
    session[RESULT_SESSION_KEY] = {**session[RESULT_SESSION_KEY], "result": damaged}
    session.save()
    response = owner_client.post(reverse("history:save"), run_form(token, **form), follow=True)
    assert response.redirect_chain[0] == (reverse("assessment:wizard"), 302)
    assert "There is no result to save any more" in response.content.decode()
    assert not Episode.objects.exists()


def test_a_result_stored_by_the_earlier_build_as_text_sends_the_runner_back(
    owner_client: Client,
) -> None:
    """Sessions from before the result was kept in its typed form hold its JSON text: it is
    not a result any more, so the runner answers again rather than seeing an error."""
    put_result_in_session(owner_client)
    session = owner_client.session
    stored = session[RESULT_SESSION_KEY]
    session[RESULT_SESSION_KEY] = {**stored, "result": json.dumps(stored["result"])}
    session.save()
    response = owner_client.get(reverse("assessment:result"))
    assert response["Location"] == reverse("assessment:wizard")
    assert not Episode.objects.exists()


def test_an_anonymous_runner_signs_up_and_saves_with_nothing_lost(
    client: Client, mailoutbox: list[Any]
) -> None:
    result_page = walk_wizard(client, TIRED)
    assert result_page.resolver_match.url_name == "result"
    stored_before = client.session[RESULT_SESSION_KEY]
    token = save_token(result_page.content.decode())

    response = client.post(reverse("history:save"), run_form(token, distance="21.1"))
    login_url = (
        reverse("accounts:login") + "?next=" + reverse("assessment:result").replace("/", "%2F")
    )
    assert response.status_code == 302
    assert response["Location"] == login_url
    assert not Episode.objects.exists()

    login_page = client.get(response["Location"]).content.decode()
    signup_url = reverse("accounts:signup") + "?next=" + reverse("assessment:result")
    assert signup_url in login_page
    response = client.post(
        signup_url,
        {
            "email": "new.runner@example.com",
            "display_name": "",
            "distance_unit": "km",
            "password1": PASSWORD,
            "password2": PASSWORD,
            "next": reverse("assessment:result"),
        },
    )
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:signup_sent"))
    assert "Check your email" in client.get(response["Location"]).content.decode()
    assert not Episode.objects.exists()

    # The link in the confirmation email, opened in the same browser, logs in and saves
    # the result with the details of the run typed before signing up.
    [message] = mailoutbox
    assert message.to == ["new.runner@example.com"]
    response = client.get(activation_links(message)["text"])
    episode = Episode.objects.get(owner__email="new.runner@example.com")
    assert response.status_code == 302
    assert response["Location"] == episode.get_absolute_url()
    assert episode.answers == TIRED
    assert episode.result == stored_before["result"]
    assert episode.distance_km == Decimal("21.100")
    assert episode.notes == "Hilly route, hot afternoon."
    assert str(episode.token) == token
    page = client.get(response["Location"]).content.decode()
    assert "Welcome! Your email address is confirmed" in page
    assert "Your result is saved to your history." in page

    # The result page now says it is saved; pressing Save again saves nothing more.
    back = client.get(reverse("assessment:result")).content.decode()
    assert "This result is saved in your history." in back
    response = client.post(reverse("history:save"), run_form(token, distance="21.1"))
    assert response["Location"] == episode.get_absolute_url()
    assert Episode.objects.count() == 1


def test_an_anonymous_runner_logs_in_and_saves(client: Client) -> None:
    runner = make_user("returning@example.com")
    put_result_in_session(client)
    token = save_token(client.get(reverse("assessment:result")).content.decode())
    response = client.post(reverse("history:save"), run_form(token, heaviness="9"))
    assert response["Location"].startswith(reverse("accounts:login"))
    response = client.post(
        response["Location"],
        {"username": runner.email, "password": PASSWORD, "next": reverse("assessment:result")},
    )
    assert response["Location"] == reverse("assessment:result")
    back = client.get(reverse("assessment:result"))
    assert back.context["save_form"].initial["heaviness"] == "9"
    client.post(reverse("history:save"), run_form(token, heaviness="9"))
    assert Episode.objects.get(owner=runner).heaviness == 9


# -- the history list --------------------------------------------------------------------


def test_the_list_shows_newest_first_with_date_heaviness_advice_and_top_cause(
    owner_client: Client, owner: User, outsider: User
) -> None:
    old = make_episode(owner, TIRED, days_ago=10, heaviness=4)
    new = make_episode(owner, URGENT, days_ago=1, heaviness=8)
    make_episode(outsider, SPIKE)
    response = owner_client.get(reverse("history:list"))
    episodes = list(response.context["page"].object_list)
    assert episodes == [new, old]
    page = response.content.decode()
    assert page.index(new.get_absolute_url()) < page.index(old.get_absolute_url())
    assert "Doctor today" in page
    assert old.top_cause_name in page
    assert "4 out of 10" in page
    # The outsider's episode is nowhere; its top cause is a cause of the knowledge base, so
    # its name is among the filter's options, but not in the list.
    theirs = Episode.objects.get(owner__email="outsider@example.com")
    assert theirs.get_absolute_url() not in page
    listing = page[
        page.index('<ol class="episode-list"') : page.index("</ol>", page.index("episode-list"))
    ]
    assert theirs.top_cause_name not in listing


def test_the_list_is_paginated(owner_client: Client, owner: User) -> None:
    for days in range(25):
        make_episode(owner, days_ago=days)
    first = owner_client.get(reverse("history:list"))
    assert len(first.context["page"].object_list) == 20
    second = owner_client.get(reverse("history:list"), {"page": 2})
    assert len(second.context["page"].object_list) == 5
    assert owner_client.get(reverse("history:list"), {"page": "nonsense"}).status_code == 200


def test_the_list_filters_by_dates_advice_and_cause(owner_client: Client, owner: User) -> None:
    tired = make_episode(owner, TIRED, days_ago=20)
    spike = make_episode(owner, SPIKE, days_ago=5)
    urgent = make_episode(owner, URGENT, days_ago=1)
    url = reverse("history:list")

    def listed(**params: str) -> list[Episode]:
        return list(owner_client.get(url, params).context["page"].object_list)

    today = timezone.localdate()
    assert listed(date_from=(today - timedelta(days=6)).isoformat()) == [urgent, spike]
    assert listed(date_to=(today - timedelta(days=6)).isoformat()) == [tired]
    assert listed(triage="urgent") == [urgent]
    assert listed(cause="load-spike") == [spike]
    assert listed(cause="poor-sleep") == [tired]
    # The cause list offers the causes of the knowledge base, by their current names, and
    # the causes since unpublished that came up in this runner's episodes, at any rank;
    # not one that never came up here.
    runner_up = tired.causes.get(rank=2).slug
    mine = set(EpisodeCause.objects.filter(episode__owner=owner).values_list("slug", flat=True))
    never = Cause.objects.exclude(slug__in=mine).values_list("slug", flat=True)[0]
    Cause.objects.filter(slug__in=["poor-sleep", runner_up, never]).update(published=False)
    Cause.objects.filter(slug="load-spike").update(name="Sudden jump in distance")
    choices = dict(owner_client.get(url).context["form"].fields["cause"].choices)
    published = dict(Cause.objects.published().values_list("slug", "name"))
    assert set(choices) == {"", *published, "poor-sleep", runner_up}
    assert choices["load-spike"] == "Sudden jump in distance"
    assert choices["poor-sleep"] == tired.top_cause_name
    assert never not in choices
    assert tired in listed(cause=runner_up)
    assert listed(cause="poor-sleep") == [tired]


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        ({"date_from": "31/02/2026"}, "date_from", "Enter a real date"),
        ({"date_to": "yesterday"}, "date_to", "Enter a real date"),
        ({"date_from": "2026-03-10", "date_to": "2026-03-01"}, "date_to", "before the start"),
        ({"triage": "panic"}, "triage", "Pick an advice level"),
        ({"cause": "not-a-cause"}, "cause", "Pick a cause from the list"),
    ],
)
def test_bad_filters_show_a_field_error_and_never_fail(
    owner_client: Client, owner: User, params: dict[str, str], field: str, message: str
) -> None:
    make_episode(owner)
    response = owner_client.get(reverse("history:list"), params)
    assert response.status_code == 200
    assert response.context["form"].has_error(field)
    assert message in response.content.decode()


def test_the_reminder_lists_episodes_older_than_three_days_without_a_follow_up(
    owner_client: Client, owner: User
) -> None:
    due = make_episode(owner, days_ago=6, saved_days_ago=4)
    answered = make_episode(owner, days_ago=7, saved_days_ago=5)
    FollowUp.objects.create(episode=answered, outcome="better")
    recent = make_episode(owner, days_ago=1, saved_days_ago=1)
    reminders = owner_client.get(reverse("history:list")).context["reminders"]
    assert reminders == [due]
    assert answered not in reminders and recent not in reminders


def test_each_episode_is_a_card_with_date_distance_top_cause_and_follow_up(
    owner_client: Client, owner: User
) -> None:
    owner.distance_unit = "mi"
    owner.save()
    due = make_episode(owner, SPIKE, days_ago=6, distance_km="16.093", saved_days_ago=4)
    answered = make_episode(owner, TIRED, days_ago=5, saved_days_ago=4)
    FollowUp.objects.create(episode=answered, outcome="worse")
    recent = make_episode(owner, URGENT, days_ago=1, distance_km=None, heaviness=None)
    page = owner_client.get(reverse("history:list")).content.decode()
    cards = re.findall(r'<li class="episode-card">(.*?)</li>', page, re.S)
    assert len(cards) == 3
    assert "<table" not in page
    newest, middle, oldest = (text_of_card(card) for card in cards)
    assert recent.run_date.strftime("%A") in newest
    assert "Doctor today" in newest and "Not recorded" in newest and "Not yet" in newest
    assert "Legs felt worse" in middle and answered.top_cause_name in middle
    assert "10.00 mi" in oldest and due.top_cause_name in oldest and "Follow-up due" in oldest
    assert f'href="{due.get_absolute_url()}#follow-up"' in cards[2]


def text_of_card(card: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", card).split())


def test_an_empty_history_says_what_to_do_first_and_offers_nothing_to_export(
    owner_client: Client, owner: User, django_assert_num_queries: Any
) -> None:
    # 1 session, 2 user, 3 cause choices, 4 count (no reminders, no page of episodes)
    with django_assert_num_queries(4):
        response = owner_client.get(reverse("history:list"))
    page = response.content.decode()
    assert "No episodes yet" in page
    assert f'href="{reverse("assessment:wizard")}"' in page
    for absent in (
        "history:export_csv",
        "history:export_json",
        "history:print_range",
        "history:insights",
    ):
        assert f'"{reverse(absent)}' not in page, absent
    assert "Filter episodes" not in page
    assert page.count("<h1") == 1

    make_episode(owner)
    page = owner_client.get(reverse("history:list")).content.decode()
    assert "No episodes yet" not in page
    assert "Filter episodes" in page
    assert f'href="{reverse("history:export_csv")}"' in page


def test_filters_that_match_nothing_keep_the_filters_and_offer_the_whole_list(
    owner_client: Client, owner: User
) -> None:
    make_episode(owner, TIRED)
    page = owner_client.get(reverse("history:list"), {"triage": "emergency"}).content.decode()
    assert "No episodes match these filters." in page
    assert "Filter episodes" in page and "No episodes yet" not in page


def test_a_filter_error_is_summarised_at_the_top_with_a_link_to_the_field(
    owner_client: Client, owner: User
) -> None:
    make_episode(owner)
    page = owner_client.get(reverse("history:list"), {"date_to": "yesterday"}).content.decode()
    assert page.index("There is a problem") < page.index("<h1")
    assert 'href="#id_date_to"' in page


@pytest.mark.parametrize("count", [2, 50])
def test_the_list_runs_the_same_queries_for_any_number_of_episodes(
    owner_client: Client, owner: User, django_assert_num_queries: Any, count: int
) -> None:
    for days in range(count):
        make_episode(owner, days_ago=days, saved_days_ago=5 if days % 2 else 0)
    # 1 session, 2 user, 3 cause choices, 4 count, 5 reminders, 6 the page of episodes
    # (with their follow-ups, joined)
    with django_assert_num_queries(6):
        response = owner_client.get(reverse("history:list"), {"triage": "self_care"})
    assert response.status_code == 200
    assert len(response.context["page"].object_list) == min(count, 20)


# -- the episode page --------------------------------------------------------------------


def test_the_episode_page_shows_everything_saved(owner_client: Client, owner: User) -> None:
    episode = make_episode(owner, heaviness=7, distance_km="12.5")
    Episode.objects.filter(pk=episode.pk).update(
        notes="Felt like running in sand.", duration=timedelta(minutes=65), legs="left"
    )
    page = owner_client.get(episode.get_absolute_url()).content.decode()
    for text in ("7 out of 10", "12.50 km", "1 h 05 min", "Left leg", "Felt like running in sand."):
        assert text in page
    for cause in episode.result["causes"][:6]:
        assert cause["name"] in page
        for reason in cause["because"]:
            assert reason["text"] in page
    for remedy in episode.remedies.all():
        assert f'value="{remedy.pk}"' in page
    assert "not a diagnosis" in page


def test_ticking_remedies_marks_exactly_those_as_tried(owner_client: Client, owner: User) -> None:
    episode = make_episode(owner)
    first, second, *rest = list(episode.remedies.all())
    url = reverse("history:follow_up", args=[episode.pk])
    owner_client.post(url, {"tried": [first.pk, second.pk]})
    assert set(episode.remedies.filter(tried=True)) == {first, second}
    owner_client.post(url, {"tried": [second.pk]})
    assert set(episode.remedies.filter(tried=True)) == {second}
    assert not FollowUp.objects.exists()
    page = owner_client.get(episode.get_absolute_url()).content.decode()
    assert re.search(rf'<input[^>]*value="{second.pk}"[^>]*checked', page)
    assert not re.search(rf'<input[^>]*value="{first.pk}"[^>]*checked', page)


def test_remedies_of_another_episode_cannot_be_ticked(
    owner_client: Client, owner: User, outsider: User
) -> None:
    episode = make_episode(owner)
    theirs = make_episode(outsider).remedies.first()
    assert theirs is not None
    response = owner_client.post(
        reverse("history:follow_up", args=[episode.pk]), {"tried": [theirs.pk]}
    )
    assert response.status_code == 200
    assert "Tick only fixes shown with this episode." in response.content.decode()
    assert not EpisodeRemedy.objects.filter(tried=True).exists()


def test_a_follow_up_can_be_given_and_changed_later(owner_client: Client, owner: User) -> None:
    episode = make_episode(owner, saved_days_ago=5)
    url = reverse("history:follow_up", args=[episode.pk])
    response = owner_client.post(url, {"outcome": "same", "note": "Slept more, no change."})
    assert response["Location"] == episode.get_absolute_url() + "#follow-up"
    owner_client.post(url, {"outcome": "better", "note": "Better after a rest week."})
    follow_up = FollowUp.objects.get(episode=episode)
    assert (follow_up.outcome, follow_up.note) == ("better", "Better after a rest week.")
    assert owner_client.get(reverse("history:list")).context["reminders"] == []


def test_the_fixes_tried_and_the_follow_up_are_one_form_saved_together(
    owner_client: Client, owner: User
) -> None:
    """Ticking a fix never loses the follow-up, and the other way round."""
    episode = make_episode(owner, saved_days_ago=5)
    first, second, *rest = list(episode.remedies.all())
    url = reverse("history:follow_up", args=[episode.pk])
    page = owner_client.get(episode.get_absolute_url()).content.decode()
    forms = re.findall(r'<form method="post" action="([^"]+)"', page.split("<main")[1])
    assert forms == [url]

    owner_client.post(url, {"tried": [first.pk], "outcome": "better", "note": "Rested."})
    assert set(episode.remedies.filter(tried=True)) == {first}
    follow_up = FollowUp.objects.get(episode=episode)
    assert (follow_up.outcome, follow_up.note) == ("better", "Rested.")

    # The page shows both as saved; sending it back with one more tick keeps the follow-up
    # as it was, with the day it was given.
    FollowUp.objects.filter(pk=follow_up.pk).update(
        given_on=timezone.localdate() - timedelta(days=2)
    )
    form = owner_client.get(episode.get_absolute_url()).context["form"]
    assert form.initial == {"tried": [first.pk], "outcome": "better", "note": "Rested."}
    owner_client.post(url, {"tried": [first.pk, second.pk], "outcome": "better", "note": "Rested."})
    assert set(episode.remedies.filter(tried=True)) == {first, second}
    follow_up.refresh_from_db()
    assert follow_up.given_on == timezone.localdate() - timedelta(days=2)


def test_saving_the_fixes_without_an_outcome_keeps_the_follow_up_given(owner: User) -> None:
    episode = make_episode(owner)
    first, second, *rest = list(episode.remedies.all())
    given = episode_follow_up_save(
        episode=episode, tried_ids=[first.pk], outcome="same", note="Tired."
    )
    assert given is not None and given.outcome == "same"
    kept = episode_follow_up_save(episode=episode, tried_ids=[second.pk], outcome="", note="")
    assert kept == given
    assert (FollowUp.objects.get().outcome, FollowUp.objects.get().note) == ("same", "Tired.")
    assert set(episode.remedies.filter(tried=True)) == {second}
    assert (
        episode_follow_up_save(episode=make_episode(owner), tried_ids=[], outcome="", note="")
        is None
    )


def test_a_note_without_how_the_legs_feel_is_a_field_error_and_keeps_the_ticks(
    owner_client: Client, owner: User
) -> None:
    episode = make_episode(owner)
    first = episode.remedies.first()
    assert first is not None
    response = owner_client.post(
        reverse("history:follow_up", args=[episode.pk]), {"tried": [first.pk], "note": "x"}
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "Pick better, about the same or worse, to save your note with it." in page
    # The error summary comes first, links to the first answer, and what was typed stays.
    summary = page.index("data-error-summary")
    assert summary < page.index("<h1")
    assert 'href="#id_outcome_0"' in page
    assert re.search(rf'<input[^>]*value="{first.pk}"[^>]*checked', page)
    assert not FollowUp.objects.exists()
    assert not EpisodeRemedy.objects.filter(tried=True).exists()


def test_the_run_details_can_be_edited_without_touching_the_result(
    owner_client: Client, owner: User
) -> None:
    episode = make_episode(owner, heaviness=3)
    result_before = episode.result
    url = reverse("history:edit", args=[episode.pk])
    assert owner_client.get(url).status_code == 200
    day = timezone.localdate() - timedelta(days=2)
    response = owner_client.post(
        url,
        {
            "run_date": day.isoformat(),
            "distance": "5",
            "unit": "mi",
            "duration": "40",
            "heaviness": "5",
            "legs": "right",
            "notes": "Edited.",
        },
    )
    assert response["Location"] == episode.get_absolute_url()
    episode.refresh_from_db()
    assert (episode.run_date, episode.heaviness, episode.legs) == (day, 5, "right")
    assert episode.distance_km == Decimal("8.047")
    assert episode.result == result_before
    bad = owner_client.post(url, {"run_date": "", "unit": "km"})
    assert bad.status_code == 200
    assert "Enter the date of the run." in bad.content.decode()


def test_deleting_asks_first_then_removes_everything_of_the_episode(
    owner_client: Client, owner: User
) -> None:
    episode = make_episode(owner)
    FollowUp.objects.create(episode=episode, outcome="worse")
    url = reverse("history:delete", args=[episode.pk])
    confirm = owner_client.get(url)
    assert confirm.status_code == 200
    assert "cannot be undone" in confirm.content.decode()
    assert Episode.objects.filter(pk=episode.pk).exists()
    response = owner_client.post(url)
    assert response["Location"] == reverse("history:list")
    assert not Episode.objects.exists()
    assert not EpisodeCause.objects.exists()
    assert not EpisodeRemedy.objects.exists()
    assert not FollowUp.objects.exists()


def test_a_load_spike_is_pointed_out_on_the_episode_page(owner_client: Client, owner: User) -> None:
    make_episode(owner, days_ago=10, distance_km="10")
    long_run = make_episode(owner, days_ago=1, distance_km="12")
    page = owner_client.get(long_run.get_absolute_url()).content.decode()
    assert "This run was 20% longer than your longest run" in page


# -- access: every history URL -----------------------------------------------------------

# (url name, needs an episode, methods that work, a method that does not)
HISTORY_URLS = [
    ("history:list", False, "get", "post"),
    ("history:insights", False, "get", "post"),
    ("history:export_csv", False, "get", "post"),
    ("history:export_json", False, "get", "post"),
    ("history:print_range", False, "get", "post"),
    ("history:detail", True, "get", "post"),
    ("history:edit", True, "get", "put"),
    ("history:delete", True, "get", "put"),
    ("history:print", True, "get", "post"),
    ("history:follow_up", True, "post", "get"),
]


def _url(name: str, episode: Episode, needs_episode: bool) -> str:
    return reverse(name, args=[episode.pk]) if needs_episode else reverse(name)


def _call(client: Client, method: str, url: str) -> Any:
    data = {"outcome": "better"} if method == "post" else None
    return getattr(client, method)(url, data) if data else getattr(client, method)(url)


@pytest.mark.parametrize(("name", "needs_episode", "method", "wrong"), HISTORY_URLS)
def test_anonymous_visitors_are_sent_to_log_in(
    client: Client, owner: User, name: str, needs_episode: bool, method: str, wrong: str
) -> None:
    url = _url(name, make_episode(owner), needs_episode)
    response = _call(client, method, url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login") + "?next=")


@pytest.mark.parametrize(("name", "needs_episode", "method", "wrong"), HISTORY_URLS)
def test_the_owner_can_use_every_history_url(
    owner_client: Client, owner: User, name: str, needs_episode: bool, method: str, wrong: str
) -> None:
    url = _url(name, make_episode(owner), needs_episode)
    response = _call(owner_client, method, url)
    assert response.status_code == (200 if method == "get" else 302)


@pytest.mark.parametrize(
    ("name", "needs_episode", "method", "wrong"), [u for u in HISTORY_URLS if u[1]]
)
def test_another_user_gets_404_on_every_episode_url(
    client: Client,
    owner: User,
    outsider: User,
    name: str,
    needs_episode: bool,
    method: str,
    wrong: str,
) -> None:
    episode = make_episode(owner)
    client.force_login(outsider)
    response = _call(client, method, _url(name, episode, needs_episode))
    assert response.status_code == 404
    assert Episode.objects.filter(pk=episode.pk).exists()
    assert not FollowUp.objects.exists()


@pytest.mark.parametrize(
    ("name", "needs_episode", "method", "wrong"), [u for u in HISTORY_URLS if not u[1]]
)
def test_another_users_episodes_never_show_on_the_pages_without_an_id(
    client: Client,
    owner: User,
    outsider: User,
    name: str,
    needs_episode: bool,
    method: str,
    wrong: str,
) -> None:
    make_episode(owner).notes  # noqa: B018
    Episode.objects.update(notes="owner-only-secret-note", top_cause_name="owner-only-cause")
    client.force_login(outsider)
    response = client.get(reverse(name))
    assert response.status_code == 200
    assert b"owner-only" not in response.content


@pytest.mark.parametrize(("name", "needs_episode", "method", "wrong"), HISTORY_URLS)
def test_a_wrong_method_gets_405(
    owner_client: Client, owner: User, name: str, needs_episode: bool, method: str, wrong: str
) -> None:
    response = _call(owner_client, wrong, _url(name, make_episode(owner), needs_episode))
    assert response.status_code == 405


def test_the_save_url_only_takes_post(owner_client: Client) -> None:
    assert owner_client.get(reverse("history:save")).status_code == 405


def test_logged_in_runners_see_history_in_the_menu(owner_client: Client, client: Client) -> None:
    page = owner_client.get(reverse("home")).content.decode()
    assert f'href="{reverse("history:list")}"' in page


def test_anonymous_visitors_do_not_see_history_in_the_menu() -> None:
    page = Client().get(reverse("home")).content.decode()
    assert f'href="{reverse("history:list")}"' not in page


# -- admin privacy -----------------------------------------------------------------------


def test_superusers_can_look_at_episodes_read_only_in_the_admin(
    client: Client, owner: User
) -> None:
    episode = make_episode(owner)
    client.force_login(make_superuser())
    changelist = client.get(reverse("admin:history_episode_changelist"), {"q": owner.email})
    assert changelist.status_code == 200
    assert episode in changelist.context["cl"].result_list
    change = client.get(reverse("admin:history_episode_change", args=[episode.pk]))
    assert change.status_code == 200
    assert not change.context["has_change_permission"]
    assert b'name="_save"' not in change.content
    assert client.get(reverse("admin:history_episode_add")).status_code == 403
    assert (
        client.post(reverse("admin:history_episode_delete", args=[episode.pk])).status_code == 403
    )
    assert Episode.objects.filter(pk=episode.pk).exists()


def test_staff_editors_never_see_episodes_in_the_admin(client: Client, owner: User) -> None:
    episode = make_episode(owner)
    editor = make_staff()
    # Even with every permission there is, an editor who is not a superuser sees nothing.
    editor.user_permissions.set(Permission.objects.all())
    client.force_login(editor)
    index = client.get(reverse("admin:index")).content.decode()
    assert reverse("admin:history_episode_changelist") not in index
    changelist = client.get(reverse("admin:history_episode_changelist"), {"q": owner.email})
    assert changelist.status_code == 403
    change = client.get(reverse("admin:history_episode_change", args=[episode.pk]))
    assert change.status_code == 403
    # Episodes have their own app now: its admin section does not exist for an editor, and
    # the section an editor works in (the knowledge base) never lists them.
    assert client.get(reverse("admin:app_list", args=["history"])).status_code == 404
    knowledge = client.get(reverse("admin:app_list", args=["knowledge"]))
    assert knowledge.status_code == 200
    assert knowledge.content.decode().lower().count("episode") == 0


# Each field the episode admin shows (its list, filters, search and change page), and the
# words the privacy page's list of what administrators see uses for it.
ADMIN_SEES_ON_THE_PRIVACY_PAGE = {
    "owner": "the account it belongs to (its email address)",
    "owner__email": "the account it belongs to (its email address)",
    "run_date": "the run date",
    "triage": "the advice level it got",
    "top_cause_name": "the name of the top likely cause",
    "knowledge_version": "the version of our knowledge base that scored it",
    "created_at": "when it was saved and last changed",
    "updated_at": "when it was saved and last changed",
}


def episode_admin_fields() -> set[str]:
    from django.contrib import admin

    model_admin = admin.site.get_model_admin(Episode)
    shown = {
        *model_admin.list_display,
        *model_admin.list_filter,
        *model_admin.search_fields,
        *(model_admin.fields or ()),
        *model_admin.readonly_fields,
        model_admin.date_hierarchy,
    }
    for inline in model_admin.inlines:
        shown |= {f"{inline.model._meta.model_name}.{name}" for name in inline.fields or ()}
    return {str(name) for name in shown if name}


def test_the_privacy_page_lists_exactly_what_the_episode_admin_shows(client: Client) -> None:
    page = client.get(reverse("privacy")).content.decode()
    listed = re.search(r'<ul id="administrators-see">(.*?)</ul>', page, re.S)
    assert listed, "the privacy page has no list of what administrators see"
    items = {
        re.sub(r"\s+", " ", item).strip()
        for item in re.findall(r"<li>(.*?)</li>", listed.group(1), re.S)
    }

    assert episode_admin_fields() == set(ADMIN_SEES_ON_THE_PRIVACY_PAGE)
    for words in ADMIN_SEES_ON_THE_PRIVACY_PAGE.values():
        assert any(item.startswith(words) for item in items), words
    assert len(items) == len(set(ADMIN_SEES_ON_THE_PRIVACY_PAGE.values()))


def test_superusers_never_see_what_a_runner_wrote_or_answered(client: Client, owner: User) -> None:
    episode = make_episode(owner, distance_km="21.3")
    Episode.objects.filter(pk=episode.pk).update(notes="Cramp after the bridge")
    EpisodeRemedy.objects.filter(episode=episode).update(tried=True)
    FollowUp.objects.create(episode=episode, outcome="better", note="Slept nine hours")
    client.force_login(make_superuser())

    change = client.get(reverse("admin:history_episode_change", args=[episode.pk]))
    changelist = client.get(reverse("admin:history_episode_changelist"))

    assert change.status_code == changelist.status_code == 200
    assert episode.top_cause_name in change.content.decode()
    for page in (change, changelist):
        # The page itself, after the admin's navigation (whose "Task Results" is no result).
        text = page.content.decode().split('<main id="content-start"', 1)[1]
        assert "Cramp after the bridge" not in text
        assert "Slept nine hours" not in text
        assert "21.3" not in text
        # The answers and the result, by what they hold.
        assert "under_6" not in text
        assert "Answers" not in text and "Result" not in text
    hidden = {"notes", "answers", "answer_labels", "result", "heaviness", "distance_km"}
    assert not hidden & episode_admin_fields()
    assert not any(
        name.startswith(("followup.", "episoderemedy.")) for name in episode_admin_fields()
    )


def test_a_superuser_can_delete_an_account_with_its_episodes(client: Client, owner: User) -> None:
    make_episode(owner)
    client.force_login(make_superuser())
    url = reverse("admin:accounts_user_delete", args=[owner.pk])
    confirm = client.get(url)
    assert confirm.status_code == 200
    assert not confirm.context["perms_lacking"]
    client.post(url, {"post": "yes"})
    assert not User.objects.filter(pk=owner.pk).exists()
    assert not Episode.objects.exists()


@pytest.mark.parametrize("count", [2, 5])
def test_the_admin_changelist_runs_the_same_queries_for_any_number_of_episodes(
    client: Client, owner: User, django_assert_num_queries: Any, count: int
) -> None:
    for _ in range(count):
        make_episode(owner)
    client.force_login(make_superuser())
    # 1 session, 2 user, 3 count of the filtered list, 4 count of all, 5 episodes joined
    # with their owners, 6 first and last run date, 7 the days for the date drill-down
    with django_assert_num_queries(7):
        assert client.get(reverse("admin:history_episode_changelist")).status_code == 200


# -- the knowledge base changes between answering and saving ------------------------------


def test_a_result_scored_before_an_editors_change_is_scored_again_before_it_is_saved(
    owner_client: Client,
) -> None:
    """A saved episode is scored and worded with one knowledge base: when an editor changes
    it in between, the runner sees the result with the latest advice first, and what they
    typed is kept for the second press."""
    put_result_in_session(owner_client)
    token = save_token(owner_client.get(reverse("assessment:result")).content.decode())
    before = get_knowledge().version
    cause = Cause.objects.get(slug="poor-sleep")
    cause.name = "Short or broken sleep"
    cause.save()

    response = owner_client.post(reverse("history:save"), run_form(token), follow=True)
    assert response.redirect_chain == [(reverse("assessment:result"), 302)]
    page = response.content.decode()
    assert "Our advice was updated since you answered" in page
    assert "Short or broken sleep" in page
    assert "Hilly route, hot afternoon." in page
    assert not Episode.objects.exists()

    assert save_token(page) == token
    response = owner_client.post(reverse("history:save"), run_form(token))
    episode = Episode.objects.get()
    assert response["Location"] == episode.get_absolute_url()
    assert episode.knowledge_version == get_knowledge().version > before
    assert episode.top_cause_name == "Short or broken sleep"
    assert episode.result == make_result(TIRED).to_dict()


def test_answers_that_no_longer_fit_the_questions_are_asked_again_before_saving(
    owner_client: Client,
) -> None:
    put_result_in_session(owner_client)
    token = save_token(owner_client.get(reverse("assessment:result")).content.decode())
    # An answer to a question an editor has since deleted.
    session = owner_client.session
    stored = session[RESULT_SESSION_KEY]
    session[RESULT_SESSION_KEY] = {**stored, "answers": {**TIRED, "retired_question": "yes"}}
    session.save()
    Cause.objects.filter(slug="poor-sleep").update(name="Short or broken sleep")

    response = owner_client.post(reverse("history:save"), run_form(token), follow=True)
    assert response.redirect_chain[0] == (reverse("assessment:wizard"), 302)
    assert "The questions have changed since you answered them" in response.content.decode()
    assert not Episode.objects.exists()
    assert RESULT_SESSION_KEY not in owner_client.session


def test_the_result_shown_again_with_form_errors_is_never_kept_by_a_browser(
    owner_client: Client,
) -> None:
    put_result_in_session(owner_client)
    token = save_token(owner_client.get(reverse("assessment:result")).content.decode())
    response = owner_client.post(reverse("history:save"), run_form(token, heaviness="11"))
    assert response.status_code == 200
    assert response.context["save_form"].has_error("heaviness")
    assert "no-store" in response["Cache-Control"]
    assert "private" in response["Cache-Control"]


# -- warnings from rules over several answers ------------------------------------------------

SERIOUS_MESSAGE = "One heavy leg with a clot risk: see a doctor before running again."


def make_serious_episode(owner: User) -> Episode:
    make_one_leg_rule(message=SERIOUS_MESSAGE, serious=True)
    episode = make_episode(owner, {**TIRED, **ONE_LEG_ON_THE_PILL})
    assert episode.shown_result().serious
    return episode


@pytest.mark.parametrize("view", ["history:detail", "history:print"])
def test_a_saved_rule_warning_is_shown_with_the_answers_behind_it(
    owner_client: Client, owner: User, view: str
) -> None:
    episode = make_serious_episode(owner)
    page = " ".join(owner_client.get(reverse(view, args=[episode.pk])).content.decode().split())
    legs = Choice.objects.get(question__key="legs", value="one").because
    assert SERIOUS_MESSAGE in page
    assert re.search(rf"Because you said:\s+{re.escape(legs)}\s*;", page)
    # The warning comes before any cause, and no cause is called likely.
    assert page.index(SERIOUS_MESSAGE) < page.index("Possible causes")
    assert "Likely causes" not in page
    assert "(likely)" not in page
    assert "text-bg-success" not in page
