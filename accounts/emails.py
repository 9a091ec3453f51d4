"""The emails the site sends to account holders, built from templates.

Each is built where it is sent (the background worker, accounts.tasks), so the one-time link
it carries is made there and never travels with the queued task or into a log.
"""

from __future__ import annotations

import email.message
import email.policy
from dataclasses import dataclass
from email.policy import Policy
from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.tokens import default_token_generator
from django.core.mail import EmailMultiAlternatives
from django.template import loader
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from .models import User
from .tokens import activation_token

# Django's password-reset email templates, as the reset view names them.
RESET_TEMPLATES = {
    "subject_template": "registration/password_reset_subject.txt",
    "body_template": "registration/password_reset_email.txt",
    "html_template": "registration/password_reset_email.html",
}


@dataclass(frozen=True, slots=True)
class SiteAddress:
    """Where links in emails point: the scheme and host the request came to, as in Django's
    password reset (the host is one of ALLOWED_HOSTS)."""

    protocol: str
    domain: str

    def url(self, path: str, next_url: str | None = None) -> str:
        query = f"?{urlencode({'next': next_url})}" if next_url else ""
        return f"{self.protocol}://{self.domain}{path}{query}"


class PlainTextEmail(EmailMultiAlternatives):
    """An email whose text parts go out as they are (7bit, or 8bit when not ASCII), never
    quoted-printable, which breaks long lines with a stray `=`: a link then reads whole on
    one line, in a mail client's source view and in the console backend of `make run`.

    Headers stay whole up to RFC 5322's 998 characters too: Python folds a longer line than
    78, and folds a long link with no space in it (List-Unsubscribe) into encoded words that
    mail programs cannot read as a link."""

    def message(
        self, *, policy: Policy | None = email.policy.default
    ) -> email.message.EmailMessage:
        policy = (policy or email.policy.default).clone(max_line_length=998)
        msg = super().message(policy=policy)
        for part in msg.walk():
            if part.get_content_maintype() != "text" or part.is_attachment():
                continue
            text = part.get_content()
            cte = "7bit" if text.isascii() else "8bit"
            part.set_content(text, subtype=part.get_content_subtype(), charset="utf-8", cte=cte)
        return msg


def email_from_templates(
    *,
    subject_template: str,
    body_template: str,
    html_template: str | None,
    context: dict[str, Any],
    to: str,
    from_email: str | None = None,
) -> PlainTextEmail:
    """The message rendered from a subject, a text body and (optionally) an HTML body."""
    subject = "".join(loader.render_to_string(subject_template, context).splitlines())
    body = loader.render_to_string(body_template, context)
    message = PlainTextEmail(subject, body, from_email, [to])
    if html_template is not None:
        message.attach_alternative(loader.render_to_string(html_template, context), "text/html")
    return message


def _registration_email(name: str, *, user: User, context: dict[str, Any]) -> PlainTextEmail:
    """registration/<name>_subject.txt, <name>_email.txt and <name>_email.html, to the user."""
    return email_from_templates(
        subject_template=f"registration/{name}_subject.txt",
        body_template=f"registration/{name}_email.txt",
        html_template=f"registration/{name}_email.html",
        context=context,
        to=user.email,
    )


def activation_email(*, user: User, site: SiteAddress, next_url: str | None) -> PlainTextEmail:
    """The link that confirms a new account's address (accounts.tokens.activation_token)."""
    path = reverse(
        "accounts:activate",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": activation_token.make_token(user),
        },
    )
    context = {"email": user.email, "activate_url": site.url(path, next_url)}
    return _registration_email("activation", user=user, context=context)


def signup_attempt_email(*, user: User, site: SiteAddress, next_url: str | None) -> PlainTextEmail:
    """Someone signed up with an address that already has an account: where to log in or
    reset the password instead."""
    context = {
        "email": user.email,
        "login_url": site.url(reverse("accounts:login"), next_url),
        "reset_url": site.url(reverse("accounts:password_reset")),
    }
    return _registration_email("signup_attempt", user=user, context=context)


def password_reset_context(user: User, site: SiteAddress) -> dict[str, Any]:
    """What Django's password-reset templates are given (PasswordResetForm.save)."""
    return {
        "email": user.email,
        "domain": site.domain,
        "site_name": site.domain,
        "uid": urlsafe_base64_encode(force_bytes(user.pk)),
        "user": user,
        "token": default_token_generator.make_token(user),
        "protocol": site.protocol,
    }


def password_reset_email(*, user: User, site: SiteAddress) -> PlainTextEmail:
    return email_from_templates(
        **RESET_TEMPLATES, context=password_reset_context(user, site), to=user.email
    )
