from __future__ import annotations

from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from legs import views as legs_views

urlpatterns = [
    path("", legs_views.home, name="home"),
    path("about/", legs_views.about, name="about"),
    path("privacy/", legs_views.privacy, name="privacy"),
    path("healthz", legs_views.healthz, name="healthz"),
    path("favicon.ico", legs_views.favicon),
    path("accounts/", include("accounts.urls")),
    path("", include("legs.urls")),
    path("history/", include("legs.history_urls")),
    path(settings.ADMIN_URL, admin.site.urls),
]

handler400 = "legs.views.bad_request"
handler403 = "legs.views.permission_denied"
handler404 = "legs.views.page_not_found"
handler500 = "legs.views.server_error"

admin.site.site_header = "Heavy Legs editors"
admin.site.site_title = "Heavy Legs admin"
admin.site.index_title = "Knowledge base and accounts"
