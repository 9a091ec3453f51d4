from __future__ import annotations

from typing import Any, ClassVar

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models


class DistanceUnit(models.TextChoices):
    KM = "km", "Kilometres"
    MI = "mi", "Miles"


class EmailUserManager(UserManager["User"]):
    """Users sign in with their email address; there is no separate user name."""

    def _create_user_object(
        self, username: str | None, email: str | None, password: str | None, **extra_fields: Any
    ) -> User:
        email = self.normalize_email(email or username or "")
        user = self.model(email=email, **extra_fields)
        user.password = ""
        if password is not None:
            user.set_password(password)
        return user

    def get_by_natural_key(self, username: str | None) -> User:
        return self.get(email__iexact=username)

    def pending(self) -> models.QuerySet[User]:
        """Accounts created by sign-up whose email address is not confirmed yet."""
        return self.filter(is_active=False, last_login__isnull=True)

    def create_user(  # type: ignore[override]
        self, email: str, password: str | None = None, **extra_fields: Any
    ) -> User:
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        user = self._create_user_object(None, email, password, **extra_fields)
        user.save(using=self._db)
        return user

    def create_superuser(  # type: ignore[override]
        self, email: str, password: str | None = None, **extra_fields: Any
    ) -> User:
        extra_fields.setdefault("is_staff", True)
        extra_fields.setdefault("is_superuser", True)
        return self.create_user(email, password, **extra_fields)


class User(AbstractUser):
    username = None  # type: ignore[assignment]
    first_name = None  # type: ignore[assignment]
    last_name = None  # type: ignore[assignment]
    email = models.EmailField("email address", unique=True)
    display_name = models.CharField(
        max_length=80, blank=True, help_text="How the site greets you. Optional."
    )
    distance_unit = models.CharField(
        "preferred distance unit",
        max_length=2,
        choices=DistanceUnit.choices,
        default=DistanceUnit.KM,
        help_text="Distances you log and see are shown in this unit.",
    )
    follow_up_reminders = models.BooleanField(
        "email me a follow-up reminder",
        default=True,
        help_text=(
            "Three days after you save an episode, one short email asks whether the fixes "
            "helped, unless you have already said so."
        ),
    )

    objects: ClassVar[EmailUserManager] = EmailUserManager()

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    class Meta:
        verbose_name = "user"
        verbose_name_plural = "users"

    def __str__(self) -> str:
        return self.email

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.email = type(self).objects.normalize_email(self.email).lower()
        super().save(*args, **kwargs)

    def get_full_name(self) -> str:
        return self.display_name or self.email

    def get_short_name(self) -> str:
        return self.display_name or self.email.split("@")[0]

    @property
    def is_pending(self) -> bool:
        """Signed up but never confirmed the address (an account switched off later has
        logged in at least once, so sign-up and the activation links leave it alone)."""
        return not self.is_active and self.last_login is None


class LoginSession(models.Model):
    """A session a user logged in to, so their other sessions can be ended (password change,
    account deletion) without reading every session in the database.

    The row goes with its session: logging out, expiry (`clearsessions`) and deleting the
    session all delete the Session row, and this one with it.
    """

    session = models.OneToOneField(
        "sessions.Session", on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="login_sessions")

    class Meta:
        verbose_name = "login session"
        verbose_name_plural = "login sessions"

    def __str__(self) -> str:
        return f"{self.user} ({self.session_id[:8]}…)"
