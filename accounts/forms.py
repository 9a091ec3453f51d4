from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django import forms
from django.contrib.auth import password_validation
from django.contrib.auth.forms import (
    AuthenticationForm,
    BaseUserCreationForm,
    PasswordChangeForm,
    PasswordResetForm,
    SetPasswordForm,
)
from django.http import HttpRequest

from .models import User
from .services import password_check
from .tasks import send_password_reset_email

UNIT_ERRORS = {"invalid_choice": "Choose kilometres or miles."}
INVALID_LOGIN = (
    "Please enter a correct email address and password. If you have just signed up, first "
    "confirm your address with the link we emailed you. No email, or the link has expired? "
    "Send yourself a new one below."
)


def minimum_password_length() -> int:
    for validator in password_validation.get_default_password_validators():
        if isinstance(validator, password_validation.MinimumLengthValidator):
            return validator.min_length
    return 1


def plain_password_help(form: forms.BaseForm, new: str, confirm: str) -> None:
    """Plain words instead of Django's list of validator rules (the rules still apply)."""
    form.fields[new].help_text = (
        f"At least {minimum_password_length()} characters. Avoid common passwords, numbers "
        "only, or anything like your email address."
    )
    form.fields[confirm].label = "Confirm password"
    form.fields[confirm].help_text = "Type the same password again."


class SignUpForm(BaseUserCreationForm[User]):
    class Meta:
        model = User
        fields = ("email", "display_name", "distance_unit")
        widgets = {
            "email": forms.EmailInput(attrs={"autocomplete": "email"}),
            "display_name": forms.TextInput(attrs={"autocomplete": "nickname"}),
            "distance_unit": forms.RadioSelect,
        }
        error_messages = {"distance_unit": UNIT_ERRORS}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        plain_password_help(self, "password1", "password2")

    def clean_email(self) -> str:
        return User.objects.normalize_email(self.cleaned_data["email"]).lower()

    def validate_unique(self) -> None:
        """No "already exists" error: that would tell anyone which addresses are registered.
        accounts.services.signup_request handles a taken address by email instead."""


class EmailAuthenticationForm(AuthenticationForm):
    username = forms.EmailField(
        label="Email address",
        max_length=254,
        widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"}),
    )

    # One answer for every failed login, including an unconfirmed account with the right
    # password: a message only pending accounts got would let anyone sign up with an address,
    # try to log in with the password just chosen, and so learn whether it was registered.
    error_messages = {**AuthenticationForm.error_messages, "invalid_login": INVALID_LOGIN}
    offer_activation_resend = False

    def clean_username(self) -> str:
        return str(self.cleaned_data["username"]).strip().lower()

    def get_invalid_login_error(self) -> forms.ValidationError:
        self.offer_activation_resend = True
        return super().get_invalid_login_error()


class ActivationResendForm(forms.Form):
    email = forms.EmailField(
        label="Email address",
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )

    def clean_email(self) -> str:
        return User.objects.normalize_email(self.cleaned_data["email"]).lower()


class ActivationPasswordForm(forms.Form):
    """Asked when an activation link is opened somewhere other than the browser that made the
    latest sign-up: only the password chosen then confirms the address and logs in."""

    password = forms.CharField(
        label="Password",
        strip=False,
        max_length=4096,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password", "autofocus": True}),
    )

    def __init__(self, user: User, request: HttpRequest, *args: Any, **kwargs: Any) -> None:
        self.user = user
        self.request = request
        super().__init__(*args, **kwargs)

    def clean_password(self) -> str:
        password: str = self.cleaned_data["password"]
        if not password_check(request=self.request, user=self.user, password=password):
            raise forms.ValidationError(
                "That password does not match the one chosen at sign-up. Please try again.",
                code="wrong_password",
            )
        return password


class ProfileForm(forms.ModelForm[User]):
    class Meta:
        model = User
        fields = ("display_name", "distance_unit", "follow_up_reminders")
        widgets = {
            "display_name": forms.TextInput(attrs={"autocomplete": "nickname"}),
            "distance_unit": forms.RadioSelect,
        }
        error_messages = {"distance_unit": UNIT_ERRORS}


class PlainPasswordChangeForm(PasswordChangeForm):
    """A wrong old password counts as a failed login (accounts.services.password_check)."""

    def __init__(self, user: User, *args: Any, request: HttpRequest, **kwargs: Any) -> None:
        self.request = request
        super().__init__(user, *args, **kwargs)
        plain_password_help(self, "new_password1", "new_password2")

    def clean_old_password(self) -> str:
        old_password: str = self.cleaned_data["old_password"]
        if not password_check(request=self.request, user=self.user, password=old_password):
            raise forms.ValidationError(
                self.error_messages["password_incorrect"], code="password_incorrect"
            )
        return old_password


class PlainSetPasswordForm(SetPasswordForm[User]):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        plain_password_help(self, "new_password1", "new_password2")


class EvenPasswordResetForm(PasswordResetForm):
    """Django's reset form, doing the same work whether or not the address has an account.

    Django mails only real accounts, so an unknown address would answer sooner and tell
    anyone which addresses are registered. Here an unknown address gets a stand-in account
    (never saved), for which Django makes a token as for a real one, and the send is a task
    queued for the worker in both cases (accounts.tasks.send_password_reset_email): the
    stand-in's task has no user and sends nothing. The worker builds the message and its
    link, so the answer never waits on the mail server either.
    """

    def get_users(self, email: str) -> Iterator[User]:
        users = list(super().get_users(email))
        return iter(users or [User(email=email)])

    def send_mail(
        self,
        subject_template_name: str,
        email_template_name: str,
        context: dict[str, Any],
        from_email: str | None,
        to_email: str,
        html_email_template_name: str | None = None,
    ) -> None:
        # The templates are the view's, the same as RESET_TEMPLATES in accounts.emails.
        user: User = context["user"]
        send_password_reset_email.enqueue(
            user_id=user.pk, protocol=context["protocol"], domain=context["domain"]
        )


class DeleteAccountForm(forms.Form):
    password = forms.CharField(
        label="Your password",
        strip=False,
        max_length=4096,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        help_text="Enter your password to confirm. This cannot be undone.",
    )

    def __init__(self, user: User, request: HttpRequest, *args: Any, **kwargs: Any) -> None:
        self.user = user
        self.request = request
        super().__init__(*args, **kwargs)

    def clean_password(self) -> str:
        # A wrong password counts as a failed login (accounts.services.password_check).
        password: str = self.cleaned_data["password"]
        if not password_check(request=self.request, user=self.user, password=password):
            raise forms.ValidationError("That password is not correct.", code="wrong_password")
        return password


__all__ = [
    "ActivationPasswordForm",
    "ActivationResendForm",
    "DeleteAccountForm",
    "EmailAuthenticationForm",
    "EvenPasswordResetForm",
    "PlainPasswordChangeForm",
    "PlainSetPasswordForm",
    "ProfileForm",
    "SignUpForm",
]
