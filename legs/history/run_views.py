"""The runner's training log: the runs page, one run, and importing files in the background.

Like every history page, never cached (`Cache-Control: private, no-store`).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import TooManyFilesSent
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_http_methods, require_safe

from .exports import export_filename, write_runs_csv
from .forms import RunImportForm, UploadLimit
from .models import ImportBatch, Run
from .run_import import import_runs
from .services import import_batch_create, run_delete
from .views import _unit, _user

RUNS_PER_PAGE = 50


def get_run_for_user(request: HttpRequest, pk: int) -> Run:
    """The request user's own run, or 404 for anyone else's."""
    return get_object_or_404(Run.objects.for_user(request.user), pk=pk)


def get_batch_for_user(request: HttpRequest, pk: int) -> ImportBatch:
    """The request user's own import, or 404 for anyone else's."""
    return get_object_or_404(ImportBatch.objects.for_user(request.user), pk=pk)


def _max_upload_bytes() -> int:
    return int(settings.RUNS_IMPORT_MAX_UPLOAD_MB) * 1024 * 1024


@never_cache
@login_required
@require_safe
def run_list(request: HttpRequest) -> HttpResponse:
    runs = Run.objects.for_user(request.user)
    page = Paginator(runs, RUNS_PER_PAGE).get_page(request.GET.get("page"))
    return render(request, "history/runs.html", {"page": page, "unit": _unit(request)})


@never_cache
@login_required
@require_safe
def run_detail(request: HttpRequest, pk: int) -> HttpResponse:
    run = get_run_for_user(request, pk)
    return render(request, "history/run_detail.html", {"run": run, "unit": _unit(request)})


@never_cache
@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def run_delete_view(request: HttpRequest, pk: int) -> HttpResponse:
    run = get_run_for_user(request, pk)
    if request.method == "POST":
        run_delete(run=run)
        messages.success(request, "The run is deleted.")
        return redirect("history:runs")
    return render(request, "history/run_delete.html", {"run": run, "unit": _unit(request)})


# IMPORTING


def _import_page(
    request: HttpRequest, form: RunImportForm, status: int = 200, problem: str = ""
) -> HttpResponse:
    recent = ImportBatch.objects.for_user(request.user)[:5]
    return render(
        request,
        "history/run_import.html",
        {
            "form": form,
            "problem": problem,
            "recent": recent,
            "max_mb": settings.RUNS_IMPORT_MAX_UPLOAD_MB,
        },
        status=status,
    )


@never_cache
@login_required
@csrf_exempt  # checked in _import_post, once the upload limit is in place
@require_http_methods(["GET", "HEAD", "POST"])
def run_import(request: HttpRequest) -> HttpResponse:
    form = RunImportForm(max_bytes=_max_upload_bytes())
    if request.method != "POST":
        return _import_page(request, form)
    limit = UploadLimit(_max_upload_bytes())
    request.upload_handlers.insert(0, limit)
    try:
        request.FILES  # noqa: B018 - read the body now, with the limit in place
    except TooManyFilesSent:
        # Nothing was read or stored, so answering without the CSRF check changes nothing.
        problem = (
            f"At most {settings.DATA_UPLOAD_MAX_NUMBER_FILES} files at a time: "
            "put them in a zip, or upload them in parts. Nothing was imported."
        )
        return _import_page(request, form, status=400, problem=problem)
    return _import_post(request, limit)


@csrf_protect
def _import_post(request: HttpRequest, limit: UploadLimit) -> HttpResponse:
    form = RunImportForm(request.POST, request.FILES, max_bytes=_max_upload_bytes())
    if limit.exceeded:
        form.upload_too_big()
        return _import_page(request, form, status=413)
    if not form.is_valid():
        return _import_page(request, form, status=400)
    batch = import_batch_create(user=_user(request), files=form.named_data())
    import_runs.enqueue(batch.pk)
    return redirect(batch)


def status_data(batch: ImportBatch) -> dict[str, Any]:
    return {
        "status": batch.status,
        "status_text": batch.get_status_display(),
        "finished": batch.is_over,
        "total": batch.total,
        "done": batch.done,
        "percent": batch.percent,
        "imported": batch.imported,
        "duplicates": batch.duplicates,
        "skipped": batch.skipped,
        "problems": len(batch.errors),
    }


@never_cache
@login_required
@require_safe
def import_status(request: HttpRequest, pk: int) -> HttpResponse:
    batch = get_batch_for_user(request, pk)
    return render(
        request, "history/import_status.html", {"batch": batch, "status": status_data(batch)}
    )


@never_cache
@login_required
@require_safe
def import_status_json(request: HttpRequest, pk: int) -> JsonResponse:
    return JsonResponse(status_data(get_batch_for_user(request, pk)))


@never_cache
@login_required
@require_safe
def export_runs_csv(request: HttpRequest) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{export_filename("csv", "runs")}"'
    write_runs_csv(response, _user(request))
    return response
