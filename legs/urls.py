from __future__ import annotations

from django.urls import path

from . import pages, views
from .wizard import AssessmentWizard

app_name = "legs"

assessment = AssessmentWizard.as_view()

urlpatterns = [
    path("assessment/", assessment, name="wizard"),
    path("assessment/result/", views.result, name="result"),
    path("assessment/<slug:step>/", assessment, name="wizard_step"),
    path("causes/", pages.CauseListView.as_view(), name="cause_list"),
    path("causes/<slug:slug>/", pages.CauseDetailView.as_view(), name="cause_detail"),
    path("faq/", pages.faq, name="faq"),
    path("warning-signs/", pages.warning_signs, name="warning_signs"),
]
