"""The follow-up reminder: "did the fix help?" three days after an episode with no follow-up,
once, never late, never to a runner who switched it off, with a one-click way to do so."""

from __future__ import annotations

import email.policy
from datetime import datetime, timedelta
from io import StringIO
from smtplib import SMTPException
from typing import Any
from unittest import mock

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from accounts.emails import PlainTextEmail
from accounts.models import User
from accounts.services import reminders_stop_path
from legs.history.models import Episode
from legs.history.reminders import due_reminder_ids, follow_up_reminder_send
from legs.history.services import follow_up_save
from tests.factories import ONE_LEG_ON_THE_PILL, PROFILE, make_user, run_worker
from tests.test_history import TIRED, URGENT, make_episode

pytestmark = pytest.mark.usefixtures("seeded")

THREE_DAYS = timedelta(days=3)
# Soon, under the seed's serious clot rule: no cause is called likely.
SERIOUS = {**TIRED, **ONE_LEG_ON_THE_PILL}
# Only a cause the result calls possible.
NO_WARMUP = {"warning_signs": ["none"], "legs": "both", "warmup": "none"}


def days_after(episode: Episode, days: float) -> datetime:
    return episode.created_at + timedelta(days=days)


def send(episode: Episode, now: datetime) -> bool:
    return follow_up_reminder_send(episode_id=episode.pk, now=now)


def send_reminders(*args: str) -> str:
    out = StringIO()
    call_command("send_reminders", *args, stdout=out)
    return out.getvalue()


# TIMING


def test_the_reminder_is_due_three_days_after_the_episode_was_saved(
    mailoutbox: list[Any],
) -> None:
    episode = make_episode(make_user())

    assert not send(episode, days_after(episode, 2.9))
    assert mailoutbox == []
    assert send(episode, days_after(episode, 3))
    assert [message.to for message in mailoutbox] == [["runner@example.com"]]


def test_the_reminder_goes_out_once(mailoutbox: list[Any]) -> None:
    episode = make_episode(make_user())
    first = days_after(episode, 3)

    assert send(episode, first)
    assert not send(episode, days_after(episode, 4))
    assert len(mailoutbox) == 1
    episode.refresh_from_db()
    assert episode.reminder_sent_at == first


def test_an_episode_with_a_follow_up_gets_no_reminder(mailoutbox: list[Any]) -> None:
    episode = make_episode(make_user())
    follow_up_save(episode=episode, outcome="better", note="")

    assert not send(episode, days_after(episode, 3))
    assert mailoutbox == []


@pytest.mark.parametrize("days", [30, 45])
def test_an_episode_saved_a_month_ago_never_gets_a_late_reminder(
    mailoutbox: list[Any], days: int
) -> None:
    episode = make_episode(make_user())
    assert due_reminder_ids(days_after(episode, 29.9)) == [episode.pk]

    assert not send(episode, days_after(episode, days))
    assert mailoutbox == []


def test_a_run_logged_long_after_it_happened_gets_no_reminder(mailoutbox: list[Any]) -> None:
    episode = make_episode(make_user(), days_ago=28)

    assert not send(episode, days_after(episode, 3))
    assert mailoutbox == []


def test_a_result_that_sent_the_runner_to_a_doctor_gets_no_reminder(
    mailoutbox: list[Any],
) -> None:
    episode = make_episode(make_user(), URGENT)

    assert episode.stops
    assert not send(episode, days_after(episode, 3))
    assert mailoutbox == []


def test_a_serious_result_gets_no_reminder(mailoutbox: list[Any]) -> None:
    """It told the runner to see a doctor soon, since a clot is still possible: there were
    no fixes to ask about."""
    episode = make_episode(make_user(), SERIOUS)

    assert (episode.triage, episode.serious, episode.stops) == ("soon", True, False)
    assert due_reminder_ids(days_after(episode, 3)) == []
    assert not send(episode, days_after(episode, 3))
    assert mailoutbox == []


@pytest.mark.parametrize(("serious", "due"), [(False, True), (True, False)])
def test_a_soon_result_gets_a_reminder_unless_its_rule_is_serious(serious: bool, due: bool) -> None:
    episode = make_episode(make_user())
    warning = {"rule": "r", "level": "soon", "message": "See a GP.", "serious": serious}
    other = {"question": "q", "value": "v", "level": "soon", "message": "See a GP."}
    Episode.objects.filter(pk=episode.pk).update(
        triage="soon", result={**episode.result, "triage": "soon", "warnings": [warning, other]}
    )

    assert (due_reminder_ids(days_after(episode, 3)) == [episode.pk]) is due


def test_a_runner_who_switched_reminders_off_gets_none(mailoutbox: list[Any]) -> None:
    episode = make_episode(make_user(follow_up_reminders=False))

    assert not send(episode, days_after(episode, 3))
    assert mailoutbox == []


def test_an_account_switched_off_gets_no_reminder(mailoutbox: list[Any]) -> None:
    episode = make_episode(make_user(is_active=False))

    assert not send(episode, days_after(episode, 3))
    assert mailoutbox == []


def test_finding_due_reminders_is_one_query_however_many(
    django_assert_num_queries: Any,
) -> None:
    episodes = [make_episode(make_user(f"r{n}@example.com")) for n in range(3)]
    now = days_after(episodes[-1], 3)

    with django_assert_num_queries(1):  # the due episodes' ids, with owner and follow-up joined
        due = due_reminder_ids(now)
    assert due == [episode.pk for episode in episodes]


# THE EMAIL


def test_the_reminder_is_short_plain_text_with_the_episode_and_the_stop_link(
    mailoutbox: list[Any], settings: Any
) -> None:
    settings.SITE_URL = "https://heavylegs.example"
    user = make_user(display_name="Ada")
    episode = make_episode(user, TIRED, days_ago=1)
    send(episode, days_after(episode, 3))

    [message] = mailoutbox
    stop_url = "https://heavylegs.example" + reminders_stop_path(user)
    assert isinstance(message, PlainTextEmail)
    assert message.subject == f"Did the fix help? Your heavy legs on {episode.run_date:%-d %b}"
    assert message.alternatives == []
    body = str(message.body)
    assert body.startswith("Hello Ada,")
    assert f"https://heavylegs.example/history/{episode.pk}/#follow-up" in body
    assert stop_url in body
    assert "https://heavylegs.example/warning-signs/" in body
    assert len(body.splitlines()) <= 20
    # As the SMTP backend writes it: the link whole, as mail programs read it (RFC 8058).
    raw = message.message(policy=email.policy.SMTP).as_string().splitlines()
    assert f"List-Unsubscribe: <{stop_url}>" in raw
    assert "List-Unsubscribe-Post: List-Unsubscribe=One-Click" in raw


def test_the_reminder_says_most_likely_only_of_a_cause_the_result_called_likely(
    mailoutbox: list[Any],
) -> None:
    likely = make_episode(make_user(), TIRED)
    possible = make_episode(make_user("other@example.com"), NO_WARMUP)
    assert send(likely, days_after(likely, 3))
    assert send(possible, days_after(possible, 3))

    assert possible.top_cause_name
    first, second = (str(message.body) for message in mailoutbox)
    assert f"(most likely: {likely.top_cause_name})" in first
    assert "most likely" not in second
    assert possible.top_cause_name not in second


def test_a_mail_server_failure_leaves_the_reminder_unsent_for_the_next_try(
    mailoutbox: list[Any],
) -> None:
    episode = make_episode(make_user())
    now = days_after(episode, 3)
    with (
        mock.patch.object(PlainTextEmail, "send", side_effect=SMTPException("down")),
        pytest.raises(SMTPException),
    ):
        send(episode, now)
    episode.refresh_from_db()
    assert episode.reminder_sent_at is None

    assert send(episode, now)
    assert len(mailoutbox) == 1


# THE COMMAND FOR CRON


def saved_days_ago(episode: Episode, days: int) -> None:
    Episode.objects.filter(pk=episode.pk).update(created_at=timezone.now() - timedelta(days=days))


def test_send_reminders_sends_the_due_ones_once(mailoutbox: list[Any]) -> None:
    due = [make_episode(make_user(f"due{n}@example.com")) for n in range(2)]
    fresh = make_episode(make_user("fresh@example.com"))
    old = make_episode(make_user("old@example.com"))
    for episode in due:
        saved_days_ago(episode, 4)
    saved_days_ago(old, 40)

    assert send_reminders("--dry-run") == "2 follow-up reminder(s) due.\n"
    assert mailoutbox == []
    assert send_reminders() == "Sent 2 follow-up reminder(s).\n"
    assert sorted(message.to[0] for message in mailoutbox) == [
        "due0@example.com",
        "due1@example.com",
    ]
    assert send_reminders() == "Sent 0 follow-up reminder(s).\n"
    assert len(mailoutbox) == 2
    fresh.refresh_from_db()
    assert fresh.reminder_sent_at is None


def test_send_reminders_says_what_failed_and_leaves_it_for_the_next_run(
    mailoutbox: list[Any],
) -> None:
    episode = make_episode(make_user())
    saved_days_ago(episode, 3)

    with (
        mock.patch.object(PlainTextEmail, "send", side_effect=SMTPException("down")),
        pytest.raises(CommandError, match="1 follow-up reminder"),
    ):
        send_reminders()
    assert send_reminders() == "Sent 1 follow-up reminder(s).\n"
    assert len(mailoutbox) == 1


# QUEUED WHEN THE EPISODE IS SAVED


@pytest.mark.django_db(transaction=True)
def test_saving_an_episode_queues_its_reminder_for_three_days_later(
    mailoutbox: list[Any], database_tasks: None
) -> None:
    episode = make_episode(make_user())

    [queued] = DBTaskResult.objects.all()
    assert queued.task_path == "legs.history.tasks.send_follow_up_reminder"
    assert queued.args_kwargs == {"args": [], "kwargs": {"episode_id": episode.pk}}
    assert queued.run_after == episode.created_at + THREE_DAYS
    run_worker()
    assert mailoutbox == []

    # Three days on, the worker sends it; the command for cron then finds nothing to send.
    saved_days_ago(episode, 3)
    DBTaskResult.objects.filter(pk=queued.pk).update(run_after=timezone.now())
    run_worker()
    queued.refresh_from_db()
    assert queued.return_value is True
    assert len(mailoutbox) == 1
    assert send_reminders() == "Sent 0 follow-up reminder(s).\n"


@pytest.mark.django_db(transaction=True)
def test_a_doctor_now_result_queues_no_reminder(database_tasks: None) -> None:
    make_episode(make_user(), URGENT)
    assert not DBTaskResult.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_a_serious_result_queues_no_reminder(database_tasks: None) -> None:
    make_episode(make_user(), SERIOUS)
    assert not DBTaskResult.objects.exists()


def test_without_a_worker_saving_an_episode_queues_and_sends_nothing(
    mailoutbox: list[Any],
) -> None:
    make_episode(make_user())
    assert mailoutbox == []


# SWITCHING REMINDERS OFF


def test_the_stop_link_asks_first_and_changes_nothing_on_a_get(client: Client) -> None:
    user = make_user()
    response = client.get(reminders_stop_path(user))

    assert response.status_code == 200
    assert "Stop follow-up reminders?" in response.content.decode()
    assert "no-store" in response["Cache-Control"]
    user.refresh_from_db()
    assert user.follow_up_reminders


def test_one_click_on_the_stop_link_switches_reminders_off_without_logging_in(
    mailoutbox: list[Any],
) -> None:
    """As a mail program's unsubscribe button sends it (RFC 8058): a POST from its own
    server, with no cookie and no CSRF token."""
    user = make_user()
    episode = make_episode(user)
    mail_program = Client(enforce_csrf_checks=True)

    response = mail_program.post(reminders_stop_path(user), {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    assert "Reminders are off" in response.content.decode()
    user.refresh_from_db()
    assert not user.follow_up_reminders
    assert not send(episode, days_after(episode, 3))
    assert mailoutbox == []


@pytest.mark.parametrize("tamper", ["cut", "other-user", "garbage"])
def test_a_stop_link_the_site_did_not_make_is_404_and_changes_nothing(
    client: Client, tamper: str
) -> None:
    user = make_user()
    other = make_user("other@example.com")
    path = reminders_stop_path(user)
    token = path.split("/")[-2]
    bad = {
        "cut": token[:-4],
        "other-user": f"{other.pk}:{token.split(':', 1)[1]}",
        "garbage": "nonsense",
    }[tamper]

    response = client.post(reverse("accounts:reminders_stop", kwargs={"token": bad}))
    assert response.status_code == 404
    assert "This link does not work" in response.content.decode()
    assert set(User.objects.values_list("follow_up_reminders", flat=True)) == {True}


@pytest.mark.parametrize("method", ["put", "delete", "patch"])
def test_the_stop_link_refuses_other_methods(client: Client, method: str) -> None:
    assert getattr(client, method)(reminders_stop_path(make_user())).status_code == 405


def test_the_profile_switches_reminders_off_and_on(client: Client) -> None:
    user = make_user()
    client.force_login(user)
    assert 'name="follow_up_reminders"' in client.get(PROFILE).content.decode()

    client.post(PROFILE, {"display_name": "", "distance_unit": "km"})
    user.refresh_from_db()
    assert not user.follow_up_reminders

    client.post(PROFILE, {"display_name": "", "distance_unit": "km", "follow_up_reminders": "on"})
    user.refresh_from_db()
    assert user.follow_up_reminders
