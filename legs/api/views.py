"""The runner's API tokens page: create, name and revoke personal access tokens."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from accounts.models import User

from .forms import TokenForm
from .models import ApiToken
from .services import token_create, token_revoke

# The new token's secret waits here for the page after the redirect, which shows it once.
NEW_SECRET_SESSION_KEY = "api_new_token"  # noqa: S105 - a session key


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)  # noqa: S101 - login_required guarantees it
    return request.user


def get_token_for_user(request: HttpRequest, pk: int) -> ApiToken:
    return get_object_or_404(ApiToken.objects.for_user(request.user), pk=pk)


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def token_list(request: HttpRequest) -> HttpResponse:
    form = TokenForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        token, secret = token_create(
            owner=_user(request),
            name=form.cleaned_data["name"],
            scope=form.cleaned_data["scope"],
            lifetime=form.lifetime(),
        )
        request.session[NEW_SECRET_SESSION_KEY] = {"pk": token.pk, "secret": secret}
        return redirect("api:tokens")
    new = request.session.pop(NEW_SECRET_SESSION_KEY, None)
    return render(
        request,
        "api/tokens.html",
        {
            "form": form,
            "tokens": ApiToken.objects.for_user(request.user).select_related("owner"),
            "new_secret": new["secret"] if new else None,
        },
    )


@never_cache
@login_required
@require_POST
def token_revoke_view(request: HttpRequest, pk: int) -> HttpResponse:
    token = get_token_for_user(request, pk)
    token_revoke(token=token)
    messages.success(request, f"The token “{token.name}” has been revoked.")
    return redirect("api:tokens")
