from __future__ import annotations

from django.urls import path

from . import history

app_name = "history"

urlpatterns = [
    path("", history.episode_list, name="list"),
    path("save/", history.save_result, name="save"),
    path("insights/", history.insights, name="insights"),
    path("export.csv", history.export_csv, name="export_csv"),
    path("export.json", history.export_json, name="export_json"),
    path("print/", history.print_range, name="print_range"),
    path("<int:pk>/", history.episode_detail, name="detail"),
    path("<int:pk>/edit/", history.episode_edit, name="edit"),
    path("<int:pk>/delete/", history.episode_delete_view, name="delete"),
    path("<int:pk>/remedies/", history.episode_remedies, name="remedies"),
    path("<int:pk>/follow-up/", history.episode_follow_up, name="follow_up"),
    path("<int:pk>/print/", history.print_episode, name="print"),
]
