from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import password_validation
from django.contrib.auth.forms import (
    AuthenticationForm,
    BaseUserCreationForm,
    PasswordChangeForm,
    SetPasswordForm,
)
from django.contrib.auth.hashers import make_password

from .models import User

UNIT_ERRORS = {"invalid_choice": "Choose kilometres or miles."}
PENDING_LOGIN = (
    "Please confirm your email address first: open the link in the email we sent you when "
    "you signed up. No email, or the link has expired? Send yourself a new one below."
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

    error_messages = {**AuthenticationForm.error_messages, "pending": PENDING_LOGIN}
    needs_activation = False

    def clean_username(self) -> str:
        return str(self.cleaned_data["username"]).strip().lower()

    def get_invalid_login_error(self) -> forms.ValidationError:
        """A pending account with the right password hears it must confirm its address first.

        Only someone who knows the password learns that, so nothing leaks. Every failed
        login hashes the password once more here, found or not, so timing tells nothing either.
        Logins paused by django-axes are left to its lockout page.
        """
        email = self.cleaned_data.get("username", "")
        password = self.cleaned_data.get("password", "")
        if self.request is None or getattr(self.request, "axes_locked_out", False):
            return super().get_invalid_login_error()
        pending = User.objects.pending().filter(email__iexact=email).first()
        if pending is None:
            make_password(password)
        elif pending.check_password(password):
            self.needs_activation = True
            return forms.ValidationError(self.error_messages["pending"], code="pending")
        return super().get_invalid_login_error()


class ActivationResendForm(forms.Form):
    email = forms.EmailField(
        label="Email address",
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )

    def clean_email(self) -> str:
        return User.objects.normalize_email(self.cleaned_data["email"]).lower()


class ProfileForm(forms.ModelForm[User]):
    class Meta:
        model = User
        fields = ("display_name", "distance_unit")
        widgets = {
            "display_name": forms.TextInput(attrs={"autocomplete": "nickname"}),
            "distance_unit": forms.RadioSelect,
        }
        error_messages = {"distance_unit": UNIT_ERRORS}


class PlainPasswordChangeForm(PasswordChangeForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        plain_password_help(self, "new_password1", "new_password2")


class PlainSetPasswordForm(SetPasswordForm[User]):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        plain_password_help(self, "new_password1", "new_password2")


class DeleteAccountForm(forms.Form):
    password = forms.CharField(
        label="Your password",
        strip=False,
        max_length=4096,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        help_text="Enter your password to confirm. This cannot be undone.",
    )

    def __init__(self, user: User, *args: Any, **kwargs: Any) -> None:
        self.user = user
        super().__init__(*args, **kwargs)

    def clean_password(self) -> str:
        password: str = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise forms.ValidationError("That password is not correct.", code="wrong_password")
        return password


__all__ = [
    "ActivationResendForm",
    "DeleteAccountForm",
    "EmailAuthenticationForm",
    "PlainPasswordChangeForm",
    "PlainSetPasswordForm",
    "ProfileForm",
    "SignUpForm",
]
