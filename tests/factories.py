"""Small helpers that build the people and rows tests need, and the few client actions and
checks the account tests share (log in, read an emailed link, find a field error)."""

from __future__ import annotations

import html
import re
from decimal import Decimal
from io import StringIO
from typing import Any

from django.core import mail
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from accounts.models import User
from legs.knowledge.models import (
    Category,
    Cause,
    Choice,
    Evidence,
    Question,
    Rule,
    RuleCondition,
    RuleEvidence,
    Step,
)

PASSWORD = "correct-horse-battery-staple-42"
NEW_PASSWORD = "plum-orchard-lantern-917"
TEN_KB = "x" * 10_240
LOGIN = reverse("accounts:login")
LOGOUT = reverse("accounts:logout")
PROFILE = reverse("accounts:profile")


def make_user(email: str = "runner@example.com", **extra: Any) -> User:
    return User.objects.create_user(email=email, password=PASSWORD, **extra)


def make_staff(email: str = "editor@example.com") -> User:
    return User.objects.create_user(email=email, password=PASSWORD, is_staff=True)


def make_superuser(email: str = "admin@example.com") -> User:
    return User.objects.create_superuser(email=email, password=PASSWORD)


# Knowledge base ------------------------------------------------------------------------


def make_cause(slug: str = "overtraining", **extra: Any) -> Cause:
    fields: dict[str, Any] = {
        "name": slug.replace("-", " ").capitalize(),
        "category": Category.TRAINING,
        "summary": f"Summary of {slug}.",
        "body": f"Body of {slug}.",
        "see_doctor": "See a doctor if it lasts.",
        **extra,
    }
    return Cause.objects.create(slug=slug, **fields)


def make_step(key: str = "pattern", **extra: Any) -> Step:
    return Step.objects.create(key=key, **{"title": key.capitalize(), **extra})


def make_question(key: str = "timing", step: Step | None = None, **extra: Any) -> Question:
    step = step or Step.objects.filter(key="pattern").first() or make_step()
    return Question.objects.create(key=key, step=step, **{"text": f"{key}?", **extra})


def make_choice(question: Question, value: str = "whole_run", **extra: Any) -> Choice:
    return Choice.objects.create(question=question, value=value, **{"label": value, **extra})


def make_evidence(choice: Choice, cause: Cause, weight: float | str = 3) -> Evidence:
    return Evidence.objects.create(choice=choice, cause=cause, weight=Decimal(str(weight)))


def make_rule(
    slug: str = "one-leg-and-risk",
    *conditions: tuple[Question, list[str]] | tuple[Question, list[str], int],
    evidence: tuple[tuple[Cause, float | str], ...] = (),
    **extra: Any,
) -> Rule:
    """A rule with one condition per group (all must hold): (question, values[, at_least])."""
    fields: dict[str, Any] = {
        "name": slug.replace("-", " ").capitalize(),
        "level": "soon",
        "message": f"See a doctor about {slug}.",
        **extra,
    }
    rule = Rule.objects.create(slug=slug, **fields)
    for group, (question, values, *at_least) in enumerate(conditions, start=1):
        RuleCondition.objects.create(
            rule=rule,
            group=group,
            question=question,
            values=values,
            at_least=at_least[0] if at_least else 1,
        )
    for cause, weight in evidence:
        RuleEvidence.objects.create(rule=rule, cause=cause, weight=Decimal(str(weight)))
    return rule


# The seed's answers for one heavy leg and a clot risk (the pill), and a rule over them.
ONE_LEG_ON_THE_PILL = {"legs": "one", "risk_factors": ["hormonal_contraception_or_hrt"]}


def make_one_leg_rule(**extra: Any) -> Rule:
    """A rule on the seed's questions that fires on ONE_LEG_ON_THE_PILL (soon by default)."""
    return make_rule(
        "test-one-leg-with-risk",
        (Question.objects.get(key="legs"), ["one"]),
        (Question.objects.get(key="risk_factors"), ["hormonal_contraception_or_hrt", "pregnant"]),
        **extra,
    )


# Accounts: logging in, emailed links, pages ----------------------------------------------


def login_post(client: Client, email: str, password: str, **extra: Any) -> Any:
    return client.post(LOGIN, {"username": email, "password": password}, **extra)


def fail_logins(client: Client, email: str, times: int) -> list[int]:
    return [login_post(client, email, f"wrong-{n}").status_code for n in range(times)]


def logged_in_user(client: Client) -> User | None:
    user_id = client.session.get("_auth_user_id")
    return User.objects.filter(pk=user_id).first() if user_id else None


def activation_links(message: mail.EmailMultiAlternatives) -> dict[str, str]:
    """The one activation link (path and query) in the text body and in the HTML alternative.

    The scheme and host are those the sign-up request came to (testserver, a live server).
    """
    pattern = r"https?://[^/\s\"<]+(/accounts/activate/[^/\s\"<]+/[^/\s\"<]+/(?:\?[^\s\"<]*)?)"
    text_links = re.findall(pattern, str(message.body))
    html_body = next(str(body) for body, kind in message.alternatives if kind == "text/html")
    html_links = [html.unescape(link) for link in re.findall(pattern, html_body)]
    assert len(text_links) == 1, message.body
    assert len(html_links) == 1, html_body
    return {"text": text_links[0], "html": html_links[0]}


def run_worker() -> str:
    """`manage.py worker --batch` in this process: runs every task that is ready, then
    returns what it printed."""
    out = StringIO()
    call_command("worker", "--batch", "--no-startup-delay", "--no-reload", stdout=out)
    return out.getvalue()


def request_reset(client: Client, email: str) -> Any:
    return client.post(reverse("accounts:password_reset"), {"email": email}, follow=True)


def reset_links(message: mail.EmailMultiAlternatives) -> dict[str, str]:
    """The reset link in the text body and in the HTML alternative."""
    pattern = r"http://testserver(/accounts/password/reset/[^/\s\"<]+/[^/\s\"<]+/)"
    text_links = re.findall(pattern, str(message.body))
    html_body = next(str(body) for body, kind in message.alternatives if kind == "text/html")
    html_links = re.findall(pattern, html_body)
    assert len(text_links) == 1, message.body
    assert len(html_links) == 1, html_body
    return {"text": text_links[0], "html": html_links[0]}


def field_block(content: str, field: str) -> str:
    """The crispy-forms markup of one field: label, input, errors and help text."""
    match = re.search(
        rf'<div id="div_id_{field}".*?(?=<div id="div_id_|<button type="submit")', content, re.S
    )
    assert match, f"no field {field!r} in the page"
    return html.unescape(match.group(0))


def assert_field_error(response: Any, field: str, text: str = "") -> None:
    """The page is the form again, with a Bootstrap invalid-feedback message by the field."""
    assert response.status_code == 200
    content = response.content.decode()
    block = field_block(content, field)
    assert "is-invalid" in block
    feedback = re.search(
        rf'<div id="id_{field}_error" class="invalid-feedback">(.*?)</div>', block, re.S
    )
    assert feedback, f"no invalid-feedback next to {field!r}"
    assert text in feedback.group(1)
    # Screen readers announce the message with the field.
    assert re.search(rf'aria-describedby="[^"]*id_{field}_error', block)


def visible_text(response: Any) -> str:
    """The page without what differs on every request (tokens, nonces)."""
    content = response.content.decode()
    content = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", content)
    return re.sub(r'nonce="[^"]+"', "", content)
