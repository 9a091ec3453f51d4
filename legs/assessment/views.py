from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from legs.knowledge.published import get_knowledge

from .presentation import result_page_context
from .wizard import StoredResult


@never_cache
@require_safe
def result(request: HttpRequest) -> HttpResponse:
    """The latest result of this visit. The save form under it comes from the history app
    (its `result_save_form` tag), so the assessment never depends on the history."""
    stored = StoredResult.load(request.session)
    if stored is None:
        messages.info(
            request, "There is no assessment result yet. Answer the questions to get one."
        )
        return redirect("assessment:wizard")
    context = result_page_context(stored.result, stored.answers, get_knowledge())
    return render(request, "assessment/result.html", context)
