"""Personal access tokens in the admin: who holds which, and until when, with a way to revoke
them (a leaked token, a lost device). Never the token's digest, and no adding: a token's
secret is shown once, to the runner who makes it on their tokens page."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from .models import ApiToken
from .services import tokens_revoke


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin[ApiToken]):
    list_display = (
        "owner",
        "name",
        "prefix",
        "scope",
        "created_at",
        "expires_at",
        "last_used_at",
        "revoked_at",
    )
    list_filter = ("scope", ("revoked_at", admin.EmptyFieldListFilter), "expires_at")
    list_select_related = ("owner",)
    search_fields = ("owner__email", "name", "prefix")
    date_hierarchy = "created_at"
    ordering = ("-created_at", "-pk")
    actions = ("revoke",)
    # Everything a token has but its digest and the password marker that ends it.
    fields = list_display
    readonly_fields = list_display

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.action(description="Revoke the selected tokens", permissions=["change"])
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiToken]) -> None:
        revoked = tokens_revoke(tokens=queryset)
        self.message_user(
            request,
            f"Revoked {revoked} token(s); apps using them are refused from now on.",
            messages.SUCCESS,
        )
