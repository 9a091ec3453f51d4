"""Small helpers that build the people and rows tests need."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from accounts.models import User
from legs.knowledge.models import Category, Cause, Choice, Evidence, Question, Step

PASSWORD = "correct-horse-battery-staple-42"


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
