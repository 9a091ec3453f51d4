"""The follow-up reminder: "did the fix help?", emailed once, three days after an episode
that has no follow-up yet (Episode.objects.reminder_due says which episodes, and when).

Two ways send it, and either is enough: the task queued when the episode is saved, to run
three days later (legs.history.tasks), and `manage.py send_reminders` for sites that would
rather run cron. Both go through `follow_up_reminder_send`, which sets the episode's
`reminder_sent_at` with one conditional UPDATE before sending, so a reminder never goes out
twice, however many workers or cron runs overlap.
"""

from __future__ import annotations

import logging
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts.emails import PlainTextEmail, email_from_templates
from accounts.services import reminders_stop_path

from .models import Episode

logger = logging.getLogger(__name__)


def follow_up_reminder_email(episode: Episode) -> PlainTextEmail:
    """Plain text and short: the episode's link, and the link that stops these emails, also
    offered to mail programs as a one-click unsubscribe (RFC 8058)."""
    owner = episode.owner
    stop_url = settings.SITE_URL + reminders_stop_path(owner)
    message = email_from_templates(
        subject_template="history/follow_up_reminder_subject.txt",
        body_template="history/follow_up_reminder_email.txt",
        html_template=None,
        context={
            "name": owner.get_short_name(),
            "episode": episode,
            "episode_url": f"{settings.SITE_URL}{episode.get_absolute_url()}#follow-up",
            "profile_url": settings.SITE_URL + reverse("accounts:profile"),
            "warning_signs_url": settings.SITE_URL + reverse("knowledge:warning_signs"),
            "stop_url": stop_url,
        },
        to=owner.email,
    )
    message.extra_headers["List-Unsubscribe"] = f"<{stop_url}>"
    message.extra_headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    return message


def follow_up_reminder_send(*, episode_id: int, now: datetime | None = None) -> bool:
    """Email the episode's owner its follow-up reminder if it is due at `now`; True if sent.

    The episode is marked sent first, in its own committed UPDATE that only succeeds while
    it is unmarked, so of two callers at once only one sends. If the mail server then fails,
    the mark is taken back and the error raised, for the caller to try again later. (A
    worker killed between the two leaves it marked and unsent: one reminder missed rather
    than two sent.)
    """
    now = now or timezone.now()
    with transaction.atomic():
        due = Episode.objects.reminder_due(now).filter(pk=episode_id).exists()
        claimed = due and bool(
            Episode.objects.filter(pk=episode_id, reminder_sent_at__isnull=True).update(
                reminder_sent_at=now
            )
        )
    if not claimed:
        return False
    episode = Episode.objects.select_related("owner").get(pk=episode_id)
    try:
        follow_up_reminder_email(episode).send()
    except Exception:
        Episode.objects.filter(pk=episode_id, reminder_sent_at=now).update(reminder_sent_at=None)
        raise
    logger.info(
        "Sent the follow-up reminder of episode %s to user %s", episode_id, episode.owner_id
    )
    return True


def due_reminder_ids(now: datetime) -> list[int]:
    """The episodes whose reminder is due at `now`, oldest first."""
    return list(
        Episode.objects.reminder_due(now).order_by("created_at").values_list("pk", flat=True)
    )
