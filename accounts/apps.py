from __future__ import annotations

from typing import Any

from django.apps import AppConfig
from django.contrib.auth.signals import user_logged_in
from django.http import HttpRequest


def _login_session_start(
    sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any
) -> None:
    # A signal, not a call from each view: every login (the site's form, an activation link,
    # the admin's log-in form, tests' force_login) goes through django.contrib.auth.login,
    # and this is the one place that sees them all. The work is in the service.
    from .services import login_session_start

    if request is not None and hasattr(request, "session"):
        login_session_start(user=user, session=request.session)


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        user_logged_in.connect(_login_session_start, dispatch_uid="accounts.login_session_start")
