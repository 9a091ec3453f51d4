from __future__ import annotations

from django.urls import path

from . import run_views, views

app_name = "history"

urlpatterns = [
    path("", views.episode_list, name="list"),
    path("save/", views.save_result, name="save"),
    path("insights/", views.insights, name="insights"),
    path("export.csv", views.export_csv, name="export_csv"),
    path("export.json", views.export_json, name="export_json"),
    path("print/", views.print_range, name="print_range"),
    path("<int:pk>/", views.episode_detail, name="detail"),
    path("<int:pk>/edit/", views.episode_edit, name="edit"),
    path("<int:pk>/delete/", views.episode_delete_view, name="delete"),
    path("<int:pk>/follow-up/", views.episode_follow_up, name="follow_up"),
    path("<int:pk>/print/", views.print_episode, name="print"),
    path("runs/", run_views.run_list, name="runs"),
    path("runs/import/", run_views.run_import, name="run_import"),
    path("runs/import/<int:pk>/", run_views.import_status, name="import_status"),
    path(
        "runs/import/<int:pk>/status.json", run_views.import_status_json, name="import_status_json"
    ),
    path("runs/export.csv", run_views.export_runs_csv, name="export_runs_csv"),
    path("runs/<int:pk>/", run_views.run_detail, name="run_detail"),
    path("runs/<int:pk>/delete/", run_views.run_delete_view, name="run_delete"),
]
