from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import PasswordChangeForm, SetPasswordForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.decorators import method_decorator
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from config.ratelimit import limit_posts
from legs.history.views import save_pending_result

from .emails import RESET_TEMPLATES, SiteAddress
from .forms import (
    ActivationPasswordForm,
    ActivationResendForm,
    DeleteAccountForm,
    EmailAuthenticationForm,
    EvenPasswordResetForm,
    PlainPasswordChangeForm,
    PlainSetPasswordForm,
    ProfileForm,
    SignUpForm,
)
from .models import User
from .services import (
    PENDING_SIGNUP_SESSION_KEY,
    account_activate,
    account_delete,
    activation_link_user,
    activation_resend,
    login_lockout_clear,
    login_sessions_end,
    reminders_stop_user,
    reminders_switch_off,
    signup_marker_matches,
    signup_request,
)


def _safe_next(request: HttpRequest) -> str | None:
    target = request.POST.get("next") or request.GET.get("next")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return None


def _with_next(url: str, next_url: str | None) -> str:
    return f"{url}?{urlencode({'next': next_url})}" if next_url else url


def _site_address(request: HttpRequest) -> SiteAddress:
    return SiteAddress(
        protocol="https" if request.is_secure() else "http", domain=request.get_host()
    )


@never_cache
@require_http_methods(["GET", "POST"])
@limit_posts
def signup(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect("home")

    def page(form: SignUpForm) -> HttpResponse:
        context = {"form": form, "next": _safe_next(request)}
        return render(request, "accounts/signup.html", context)

    if request.method == "GET":
        return page(SignUpForm())
    form = SignUpForm(request.POST)
    if form.is_valid():
        # A new address, a pending one and a registered one all get this same answer.
        result = signup_request(
            email=form.cleaned_data["email"],
            password=form.cleaned_data["password1"],
            display_name=form.cleaned_data["display_name"],
            distance_unit=form.cleaned_data["distance_unit"],
            site=_site_address(request),
            next_url=_safe_next(request),
        )
        # Lets this browser, and only this one, follow the emailed link straight in.
        request.session[PENDING_SIGNUP_SESSION_KEY] = result.browser_marker
        return redirect(_with_next(reverse("accounts:signup_sent"), _safe_next(request)))
    return page(form)


@require_GET
def signup_sent(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/signup_sent.html", {"next": _safe_next(request)})


@never_cache
@require_http_methods(["GET", "POST"])
@limit_posts
def activate(request: HttpRequest, uidb64: str, token: str) -> HttpResponse:
    next_url = _safe_next(request)
    user = activation_link_user(uidb64=uidb64, token=token)
    if user is None:
        return render(request, "accounts/activation_invalid.html", {"next": next_url})
    if request.method == "GET" and signup_marker_matches(
        request.session.get(PENDING_SIGNUP_SESSION_KEY), user
    ):
        return _activate_and_log_in(request, user, next_url)
    # Another browser, or a later sign-up has changed the password since: the link alone
    # must not log anyone in to an account whose password someone else may have chosen.
    form = ActivationPasswordForm(user, request, request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        return _activate_and_log_in(request, user, next_url)
    return render(request, "accounts/activation_password.html", {"form": form, "next": next_url})


def _activate_and_log_in(request: HttpRequest, user: User, next_url: str | None) -> HttpResponse:
    account_activate(user=user)
    request.session.pop(PENDING_SIGNUP_SESSION_KEY, None)
    # The browser's session keeps what it held (a stored result, a save-form draft):
    # logging in to a session without a user only renews its key.
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    messages.success(request, "Welcome! Your email address is confirmed and your account is ready.")
    # Signing up began with the Save button under a result: confirming saves it.
    episode = save_pending_result(request)
    if episode is not None:
        messages.success(request, "Your result is saved to your history.")
        return redirect(episode)
    return redirect(next_url or "home")


@never_cache
@require_http_methods(["GET", "POST"])
@limit_posts
def resend_activation(request: HttpRequest) -> HttpResponse:
    def page(form: ActivationResendForm) -> HttpResponse:
        context = {"form": form, "next": _safe_next(request)}
        return render(request, "accounts/activation_resend.html", context)

    if request.method == "GET":
        return page(ActivationResendForm())
    form = ActivationResendForm(request.POST)
    if form.is_valid():
        activation_resend(
            email=form.cleaned_data["email"],
            site=_site_address(request),
            next_url=_safe_next(request),
        )
        return redirect("accounts:activation_resend_done")
    return page(form)


@require_GET
def resend_activation_done(request: HttpRequest) -> HttpResponse:
    return render(request, "accounts/activation_resend_done.html")


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def profile(request: HttpRequest) -> HttpResponse:
    assert isinstance(request.user, User)  # noqa: S101 - login_required guarantees it
    form = ProfileForm(request.POST if request.method == "POST" else None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, "Your profile has been saved.")
        return redirect("accounts:profile")
    return render(request, "accounts/profile.html", {"form": form})


# The link in every follow-up reminder, usable without logging in: a GET asks, a POST stops
# them. Mail programs send that POST themselves from an "Unsubscribe" button (RFC 8058), from
# their own servers with no cookie, so no CSRF token can be required: the signed link is the
# proof, and all it can do is switch reminders off.
@csrf_exempt
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def reminders_stop(request: HttpRequest, token: str) -> HttpResponse:
    user = reminders_stop_user(token)
    if user is None:
        return render(request, "accounts/reminders_stop.html", {"invalid": True}, status=404)
    if request.method == "POST":
        reminders_switch_off(user=user)
        return render(request, "accounts/reminders_stop.html", {"stopped": True})
    return render(request, "accounts/reminders_stop.html")


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
@limit_posts
def delete_account(request: HttpRequest) -> HttpResponse:
    assert isinstance(request.user, User)  # noqa: S101 - login_required guarantees it
    data = request.POST if request.method == "POST" else None
    form = DeleteAccountForm(request.user, request, data)
    if request.method == "POST" and form.is_valid():
        user = request.user
        logout(request)
        account_delete(user=user)  # ends the user's other sessions too
        messages.success(request, "Your account and everything stored with it have been deleted.")
        return redirect("home")
    return render(request, "accounts/delete.html", {"form": form})


@method_decorator(limit_posts, name="post")
class LoginView(auth_views.LoginView):
    authentication_form = EmailAuthenticationForm
    redirect_authenticated_user = True


@method_decorator(never_cache, name="dispatch")
@method_decorator(limit_posts, name="post")
class PasswordResetView(auth_views.PasswordResetView):
    form_class = EvenPasswordResetForm
    email_template_name = RESET_TEMPLATES["body_template"]
    html_email_template_name = RESET_TEMPLATES["html_template"]
    subject_template_name = RESET_TEMPLATES["subject_template"]
    success_url = reverse_lazy("accounts:password_reset_done")


@method_decorator(never_cache, name="dispatch")
@method_decorator(limit_posts, name="post")
class PasswordChangeView(auth_views.PasswordChangeView):
    """Django's password change, rate limited, where a wrong old password counts as a failed
    login, and which ends the user's other sessions (this one stays logged in)."""

    form_class = PlainPasswordChangeForm
    success_url = reverse_lazy("accounts:password_change_done")

    def get_form_kwargs(self) -> dict[str, Any]:
        return {**super().get_form_kwargs(), "request": self.request}

    def form_valid(self, form: PasswordChangeForm) -> HttpResponse:
        response = super().form_valid(form)
        login_sessions_end(user=form.user, keep=self.request.session)
        return response


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """Django's reset confirmation, which also lifts any login lockout on the account and ends
    every session the account was logged in to (someone else may hold one)."""

    form_class = PlainSetPasswordForm

    def form_valid(self, form: SetPasswordForm[User]) -> HttpResponse:
        response = super().form_valid(form)
        login_lockout_clear(user=form.user)
        login_sessions_end(user=form.user)
        return response


class LogoutView(auth_views.LogoutView):
    """Log out by POST only; a GET (an old link, a prefetch) gets a page with the button."""

    def http_method_not_allowed(
        self, request: HttpRequest, *args: Any, **kwargs: Any
    ) -> HttpResponse:
        response = render(request, "accounts/logout_get.html", status=405)
        response["Allow"] = ", ".join(
            method.upper() for method in self.http_method_names if hasattr(self, method)
        )
        return response
