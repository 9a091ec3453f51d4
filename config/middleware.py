from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponseBase


class PermissionsPolicyMiddleware:
    """Send the Permissions-Policy header from settings.PERMISSIONS_POLICY.

    Django has no setting for this header. The policy switches off browser features the site
    never uses (camera, microphone, location, payment…), so injected code could not use them.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        # Read on every request so a policy changed in tests or at runtime applies at once.
        policy: str = getattr(settings, "PERMISSIONS_POLICY", "")
        if policy and "Permissions-Policy" not in response.headers:
            response.headers["Permissions-Policy"] = policy
        return response
