"""Emails to account holders, sent by the background worker so that no request waits on the
mail server (and a mail server that is down is tried again later, worker.retry).

Each task takes ids and the address of the site the visitor used, all plain JSON; the email
and its one-time link are made when the task runs (accounts.emails), so no token is stored
with a queued task or written to a log. Each checks again that the email still makes sense:
an account deleted in the meantime gets nothing, nor does one switched off (password reset).
"""

from __future__ import annotations

from typing import Any

from django.tasks import TaskContext, task

from worker.retry import retry_on_failure

from .emails import SiteAddress, activation_email, password_reset_email, signup_attempt_email
from .models import User


@task(takes_context=True)
def send_signup_email(
    context: TaskContext[..., Any],
    *,
    user_id: int,
    protocol: str,
    domain: str,
    next_url: str | None = None,
    attempt: int = 1,
) -> None:
    """What a sign-up asks for: the activation link while the account waits for its address
    to be confirmed, or else a notice to the address's owner that someone tried to sign up
    with it. Every sign-up queues this same task, so the queue tells nothing either."""
    with retry_on_failure(context, attempt=attempt):
        user = User.objects.filter(pk=user_id).first()
        if user is None:
            return
        site = SiteAddress(protocol=protocol, domain=domain)
        build = activation_email if user.is_pending else signup_attempt_email
        build(user=user, site=site, next_url=next_url).send()


@task(takes_context=True)
def send_password_reset_email(
    context: TaskContext[..., Any],
    *,
    user_id: int | None,
    protocol: str,
    domain: str,
    attempt: int = 1,
) -> None:
    """The reset link. `user_id` is None when the address typed has no account: the form
    enqueues this task all the same, so both answers do the same work, and nothing is sent."""
    with retry_on_failure(context, attempt=attempt):
        user = User.objects.filter(pk=user_id, is_active=True).first() if user_id else None
        if user is not None and user.has_usable_password():
            password_reset_email(
                user=user, site=SiteAddress(protocol=protocol, domain=domain)
            ).send()
