from __future__ import annotations

from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from config import views
from config.ratelimit import limit_posts
from legs.api.urls import api_urls

urlpatterns = [
    path("", views.home, name="home"),
    path("about/", views.about, name="about"),
    path("privacy/", views.privacy, name="privacy"),
    path("healthz", views.healthz, name="healthz"),
    path("favicon.ico", views.favicon),
    path("accounts/", include("accounts.urls")),
    path("", include("legs.knowledge.urls")),
    path("assessment/", include("legs.assessment.urls")),
    path("history/", include("legs.history.urls")),
    path("api/", include("legs.api.urls")),
    path("api/", include(api_urls)),
    # The admin's log-in form, rate limited like the site's own, ahead of the admin's own
    # route to it (its wrong passwords already count towards the login lockout: it logs in
    # through django-axes' backend).
    path(f"{settings.ADMIN_URL}login/", limit_posts(admin.site.login), name="admin_login"),
    path(settings.ADMIN_URL, admin.site.urls),
]

handler400 = "config.views.bad_request"
handler403 = "config.views.permission_denied"
handler404 = "config.views.page_not_found"
handler500 = "config.views.server_error"

admin.site.site_header = "Heavy Legs editors"
admin.site.site_title = "Heavy Legs admin"
admin.site.index_title = "Knowledge base and accounts"
