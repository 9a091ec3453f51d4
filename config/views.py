"""The site's own pages: home, about, privacy, the health check and the error pages."""

from __future__ import annotations

import logging
import uuid

from django.core.cache import cache
from django.db import DatabaseError, connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from legs.history.models import Episode
from legs.knowledge.cache import cache_public_page

FOLLOW_UPS_SHOWN = 3


@cache_public_page
@require_safe
def home(request: HttpRequest) -> HttpResponse:
    """The site's front page; a logged-in runner's also shows their last episode and the
    follow-ups they owe (never cached: see `cache_public_page`)."""
    if not request.user.is_authenticated:
        return render(request, "pages/home.html")
    episodes = Episode.objects.for_user(request.user)
    due = list(
        episodes.needing_follow_up().only("pk", "run_date", "top_cause_name")[
            : FOLLOW_UPS_SHOWN + 1
        ]
    )
    context = {
        "latest": episodes.select_related("follow_up").first(),
        "due": due[:FOLLOW_UPS_SHOWN],
        "more_due": len(due) > FOLLOW_UPS_SHOWN,
    }
    return render(request, "pages/home.html", context)


@cache_public_page
@require_safe
def about(request: HttpRequest) -> HttpResponse:
    return render(request, "pages/about.html")


@cache_public_page
@require_safe
def privacy(request: HttpRequest) -> HttpResponse:
    return render(request, "pages/privacy.html")


@require_safe
def favicon(request: HttpRequest) -> HttpResponse:
    """Browsers ask for /favicon.ico whatever the page says; point them at the hashed file."""
    return redirect(static("favicon.ico"), permanent=True)


@never_cache
@require_safe
def healthz(request: HttpRequest) -> JsonResponse:
    """Cheap readiness check for load balancers: one trivial query and a cache round trip."""
    checks = {"database": "ok", "cache": "ok"}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        checks["database"] = "unavailable"
    # A key of its own per probe, so that concurrent probes never read each other's value.
    key = f"healthz:{uuid.uuid4().hex}"
    try:
        cache.set(key, "ok", timeout=10)
        if cache.get(key) != "ok":
            checks["cache"] = "unavailable"
        cache.delete(key)
    except Exception:  # whatever the cache client raises, the cache is not usable
        checks["cache"] = "unavailable"
    if all(state == "ok" for state in checks.values()):
        return JsonResponse({"status": "ok", **checks})
    failed = ", ".join(name for name, state in checks.items() if state != "ok")
    logging.getLogger("heavylegs.health").error("Health check failed: %s", failed)
    return JsonResponse({"status": "error", **checks}, status=503)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "400.html", status=400)


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "403.html", status=403)


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "404.html", status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    # No context processors that might fail again: plain template, plain response.
    from django.template import loader

    return HttpResponse(loader.get_template("500.html").render(), status=500)
