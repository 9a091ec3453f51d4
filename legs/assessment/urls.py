from __future__ import annotations

from django.urls import path

from . import views
from .wizard import AssessmentWizard

app_name = "assessment"

wizard = AssessmentWizard.as_view()

urlpatterns = [
    path("", wizard, name="wizard"),
    path("result/", views.result, name="result"),
    path("<slug:step>/", wizard, name="wizard_step"),
]
