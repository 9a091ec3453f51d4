from __future__ import annotations

from django.urls import path

from . import views
from .cache import cache_public_page

app_name = "knowledge"

urlpatterns = [
    path("causes/", cache_public_page(views.CauseListView.as_view()), name="cause_list"),
    path(
        "causes/<slug:slug>/",
        cache_public_page(views.CauseDetailView.as_view()),
        name="cause_detail",
    ),
    path("faq/", cache_public_page(views.faq), name="faq"),
    path("warning-signs/", cache_public_page(views.warning_signs), name="warning_signs"),
]
