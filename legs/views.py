from __future__ import annotations

import logging
import uuid

from django.contrib import messages
from django.core.cache import cache
from django.db import DatabaseError, connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.utils import timezone
from django.views.decorators.http import require_safe

from config.page_cache import cached_response, never_cache

from .history import result_save_context, result_save_state, shown_result
from .wizard import StoredResult


@require_safe
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "legs/home.html")


@require_safe
def about(request: HttpRequest) -> HttpResponse:
    return render(request, "legs/about.html")


@require_safe
def privacy(request: HttpRequest) -> HttpResponse:
    return render(request, "legs/privacy.html")


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


@never_cache
@require_safe
def result(request: HttpRequest) -> HttpResponse:
    stored = StoredResult.from_session(request.session)
    if stored is None:
        return _no_result(request)
    # The page shows the stored result and its save form (the one-time token, details typed
    # before logging in, the runner's unit, today's date, whether it is saved already), so
    # it is rendered once for each of those rather than on every visit.
    state = result_save_state(request, stored)
    parts = (
        "result",
        # A result is stored once, stamped with its time; the session key keeps one
        # runner's page from ever being served for another's result of the same moment.
        request.session.session_key,
        stored.stamp,
        *state.parts(),
        timezone.localdate().isoformat(),
    )

    def page() -> HttpResponse:
        parsed = shown_result(stored)
        if parsed is None:
            return _no_result(request)
        context = {**parsed[1], **result_save_context(request, stored, state=state)}
        return render(request, "legs/result.html", context)

    return cached_response(request, parts, page)


def _no_result(request: HttpRequest) -> HttpResponse:
    messages.info(request, "There is no assessment result yet. Answer the questions to get one.")
    return redirect("legs:wizard")
