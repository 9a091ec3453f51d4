"""Small helpers that build the people and rows tests need."""

from __future__ import annotations

from typing import Any

from accounts.models import User

PASSWORD = "correct-horse-battery-staple-42"


def make_user(email: str = "runner@example.com", **extra: Any) -> User:
    return User.objects.create_user(email=email, password=PASSWORD, **extra)


def make_staff(email: str = "editor@example.com") -> User:
    return User.objects.create_user(email=email, password=PASSWORD, is_staff=True)


def make_superuser(email: str = "admin@example.com") -> User:
    return User.objects.create_superuser(email=email, password=PASSWORD)
