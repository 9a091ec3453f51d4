from __future__ import annotations

from django.urls import path

from . import views
from .api import api

app_name = "api"

urlpatterns = [
    path("tokens/", views.token_list, name="tokens"),
    path("tokens/<int:pk>/revoke/", views.token_revoke_view, name="token_revoke"),
]

# Included at the top level by config/urls.py, outside the "api" namespace: ninja names its
# own URLs (api-v1:openapi-json, api-v1:openapi-view…).
api_urls = [path("v1/", api.urls)]
