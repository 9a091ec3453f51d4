"""The follow-up reminder as a background task, queued when an episode is saved to run three
days later (legs.history.reminders has the rules, and the command for cron)."""

from __future__ import annotations

from typing import Any

from django.tasks import TaskContext, task

from worker.retry import retry_on_failure

from .models import FOLLOW_UP_AFTER, Episode
from .reminders import follow_up_reminder_send


@task(takes_context=True)
def send_follow_up_reminder(
    context: TaskContext[..., Any], *, episode_id: int, attempt: int = 1
) -> bool:
    """Send the episode's reminder if it is still due (no follow-up given meanwhile, not
    switched off, not sent by `send_reminders`); True if it went out."""
    with retry_on_failure(context, attempt=attempt):
        return follow_up_reminder_send(episode_id=episode_id)


def follow_up_reminder_schedule(episode: Episode) -> None:
    """Queue the episode's reminder for three days after it was saved.

    Only with a backend that can hold a task until then (the database one): the immediate
    backend would send it now, so there `send_reminders` sends it instead. A result that
    sent the runner to a doctor (now, or soon under a serious rule) has no fixes to ask
    about and gets no reminder. With the
    database backend the task is written in the caller's transaction, so the episode and
    its reminder are saved together or not at all.
    """
    if episode.stops or episode.serious or not send_follow_up_reminder.get_backend().supports_defer:
        return
    send_follow_up_reminder.using(run_after=episode.created_at + FOLLOW_UP_AFTER).enqueue(
        episode_id=episode.pk
    )
