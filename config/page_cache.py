"""Rendered pages kept in the cache, so that a page is rendered once, not on every request.

Two ways in:

- AnonymousPageCacheMiddleware: the home page, the cause pages, the FAQ and the warning
  signs are the same for every visitor who is not logged in. Such a page is kept only when
  it is certainly nobody's own: a GET or HEAD without a session or messages cookie, a 200
  that set no cookie, used no CSRF token, changed no session and added no message.
- cached_response(): a view names everything its page depends on (the wizard step and the
  answers stored for it, the result in the session, a runner's history version…); the
  response is kept under those parts plus the user shown in the header.

Forms need a CSRF token of the visitor's own. A page kept by cached_response() is rendered
with a placeholder where the token goes, and every response gets a fresh token in its place
(the "hole" in the cached page), with the CSRF cookie as usual. The token is masked as
Django masks it, from one read of the system's random source (Django reads it once per
letter, a tenth of the cost of serving such a page), and a browser that holds the cookie
already is not sent it again. never_cache() writes Django's no-cache headers for these
views without parsing them again on every response.

Every key holds the build (the templates and code that render the page) and the knowledge
base's revision, so a deploy or an editor's change shows at once in this process and within
a second in the others. Pages with messages waiting are always rendered afresh.
PAGE_CACHE_SECONDS=0 switches all of it off.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
import time
from collections.abc import Callable, Iterable
from functools import cache as memoize
from functools import wraps
from importlib.metadata import distributions
from pathlib import Path
from typing import Any, Concatenate

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.middleware.csrf import (
    CSRF_ALLOWED_CHARS,
    CSRF_SECRET_LENGTH,
    get_token,
)
from django.template.response import SimpleTemplateResponse
from django.utils.cache import add_never_cache_headers, patch_vary_headers
from django.utils.http import http_date

logger = logging.getLogger(__name__)
MESSAGES_COOKIE = "messages"
_KEY = "_page_cache_key"
_PLACEHOLDER_FLAG = "_page_cache_csrf_placeholder"
_CSRF_FILLED = "_page_cache_csrf_token_used"
# Letters only, so that escaping leaves it as it is wherever a template puts the token.
CSRF_PLACEHOLDER = "csrfPlaceholderOfTheRenderedPageCache"
_PLACEHOLDER_BYTES = CSRF_PLACEHOLDER.encode()
BUILD_SOURCES = ("config", "legs", "accounts", "templates")


@memoize
def build_id() -> str:
    """A fingerprint of what renders pages: the project's code and templates, the static
    files manifest and the installed packages. A deploy that changes any of them starts
    with an empty page cache even when the cache (Redis) outlives the app servers."""
    digest = hashlib.sha256()
    base = Path(settings.BASE_DIR)
    files = [
        path
        for folder in BUILD_SOURCES
        for path in (base / folder).rglob("*")
        if path.suffix in {".py", ".html", ".txt"} and path.is_file()
    ]
    manifest = Path(settings.STATIC_ROOT or base / "staticfiles") / "staticfiles.json"
    if manifest.is_file():
        files.append(manifest)
    # Templates and code of the installed packages (Django, formtools, crispy forms…).
    packages = sorted(f"{d.metadata['Name']}=={d.version}" for d in distributions())
    digest.update("\n".join(packages).encode())
    for path in sorted(files):
        digest.update(str(path.relative_to(base) if path.is_relative_to(base) else path).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def csrf_placeholder(request: HttpRequest) -> dict[str, str]:
    """Context processor: while a page is rendered for the cache, its forms get the
    placeholder instead of a token (listed after Django's own, so it wins)."""
    return {"csrf_token": CSRF_PLACEHOLDER} if getattr(request, _PLACEHOLDER_FLAG, False) else {}


# Django's CSRF alphabet by position, and byte tables over it: a letter to its position,
# a position (or a sum of two, up to 122) to its letter, a random byte to a position.
_CSRF_CHARS = CSRF_ALLOWED_CHARS.encode()
_CSRF_BASE = len(_CSRF_CHARS)
_CSRF_POSITION = bytes(_CSRF_CHARS.find(bytes([byte])) % _CSRF_BASE for byte in range(256))
_CSRF_LETTER = bytes(_CSRF_CHARS[value % _CSRF_BASE] for value in range(256))
_CSRF_SHIFT = bytes(byte % _CSRF_BASE for byte in range(256))
# Random bytes from here up would favour the first letters; they are dropped and drawn again.
_CSRF_UNEVEN = bytes(range(256 - 256 % _CSRF_BASE, 256))


def _mask(secret: str) -> str:
    """A fresh masking of the CSRF secret, exactly as Django masks it (a random mask as
    long as the secret, then each letter of the secret shifted by the mask's letter), with
    the mask drawn from one read of the system's random source, not one per letter."""
    shifts = b""
    while len(shifts) < CSRF_SECRET_LENGTH:
        draw = secrets.token_bytes(2 * CSRF_SECRET_LENGTH)
        shifts += draw.translate(_CSRF_SHIFT, _CSRF_UNEVEN)
    shifts = shifts[:CSRF_SECRET_LENGTH]
    positions = secret.encode().translate(_CSRF_POSITION)
    cipher = bytes(map(int.__add__, positions, shifts))
    return (shifts + cipher).translate(_CSRF_LETTER).decode()


def csrf_token(request: HttpRequest) -> str:
    """A token for the visitor's CSRF secret, as django.middleware.csrf.get_token() gives.

    Unlike get_token(), a browser whose cookie holds this very secret is not sent the
    cookie again: Django re-sends it with every token to move its expiry (a year,
    CSRF_COOKIE_AGE) on, and pages rendered afresh still do. A new secret, or a cookie in
    an older (masked) form, is sent as usual.
    """
    secret = request.META.get("CSRF_COOKIE")
    if not isinstance(secret, str) or len(secret) != CSRF_SECRET_LENGTH:
        return get_token(request)
    if not secret.isascii() or not secret.isalnum():
        return get_token(request)
    if request.COOKIES.get(settings.CSRF_COOKIE_NAME) != secret:
        request.META["CSRF_COOKIE_NEEDS_UPDATE"] = True
    # The page now holds the visitor's own token (see _is_nobodys_own).
    setattr(request, _CSRF_FILLED, True)
    return _mask(secret)


def _fill_csrf(request: HttpRequest, content: bytes) -> bytes:
    if _PLACEHOLDER_BYTES not in content:
        return content
    return content.replace(_PLACEHOLDER_BYTES, csrf_token(request).encode())


def _has_messages(request: HttpRequest) -> bool:
    storage: Any = getattr(request, "_messages", None)
    # len() loads the waiting messages without marking them as shown.
    return storage is not None and len(storage) > 0


def _revision_token() -> str:
    from legs.models import KnowledgeRevision

    return KnowledgeRevision.recent()[1]


def _viewer(request: HttpRequest) -> tuple[object, ...]:
    """What the page header shows of the visitor."""
    user: Any = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return ("anonymous",)
    return ("user", user.pk, user.get_short_name())


def _rendered_key(request: HttpRequest, parts: Iterable[object]) -> str | None:
    """The cache key of a page, or None when this response must not come from the cache."""
    if getattr(settings, "PAGE_CACHE_SECONDS", 0) <= 0:
        return None
    if request.method != "GET" or _has_messages(request):
        return None
    raw = repr((build_id(), _revision_token(), request.path, _viewer(request), *parts))
    return f"rendered:{hashlib.sha256(raw.encode()).hexdigest()}"


def _kept(request: HttpRequest, key: str) -> HttpResponse | None:
    try:
        entry = cache.get(key)
    except Exception:
        logger.exception("The page cache is unavailable")
        return None
    if entry is None:
        return None
    content, content_type = entry
    return HttpResponse(_fill_csrf(request, content), content_type=content_type)


def cached_page(request: HttpRequest, parts: Iterable[object]) -> HttpResponse | None:
    """The response kept under `parts` by cached_response(), if there is one; nothing is
    rendered. For views that can tell from the request alone which page they would show."""
    key = _rendered_key(request, parts)
    return None if key is None else _kept(request, key)


def cached_response(
    request: HttpRequest, parts: Iterable[object], render: Callable[[], HttpResponse]
) -> HttpResponse:
    """`render()`'s response, kept under `parts` (everything the page depends on besides
    the path, the visitor, the build and the knowledge revision) and reused for a GET.

    Only a plain 200 that set no cookie and added no message is kept. The caller must name
    in `parts` every piece of request or session state the page shows.
    """
    key = _rendered_key(request, parts)
    if key is None:
        return render()
    kept = _kept(request, key)
    if kept is not None:
        return kept
    setattr(request, _PLACEHOLDER_FLAG, True)
    try:
        response = render()
        if isinstance(response, SimpleTemplateResponse) and not response.is_rendered:
            response.render()  # while the placeholder stands in for the token
    finally:
        delattr(request, _PLACEHOLDER_FLAG)
    if (
        response.status_code == 200
        and not response.cookies
        and not getattr(getattr(request, "_messages", None), "added_new", False)
    ):
        try:
            cache.set(
                key,
                (response.content, response["Content-Type"]),
                timeout=settings.PAGE_CACHE_SECONDS,
            )
        except Exception:
            logger.exception("A page could not be cached")
    response.content = _fill_csrf(request, response.content)
    return response


# What django.utils.cache.add_never_cache_headers() gives a response without caching
# headers of its own.
NEVER_CACHE = "max-age=0, no-cache, no-store, must-revalidate, private"
_http_date: tuple[int, str] = (0, "")


def _http_date_now() -> str:
    """http_date() of now, formatted once a second."""
    global _http_date
    second = int(time.time())
    kept = _http_date
    if kept[0] != second:
        kept = _http_date = (second, http_date(second))
    return kept[1]


def never_cache[**P, R: HttpResponseBase](
    view: Callable[Concatenate[HttpRequest, P], R],
) -> Callable[Concatenate[HttpRequest, P], R]:
    """Django's never_cache for views that serve cached pages: the same headers, written
    directly (Django parses and rebuilds Cache-Control for each response) when the view
    set no caching headers of its own."""

    @wraps(view)
    def wrapper(request: HttpRequest, /, *args: P.args, **kwargs: P.kwargs) -> R:
        return never_cached(view(request, *args, **kwargs))

    return wrapper


def never_cached[R: HttpResponseBase](response: R) -> R:
    """The response with never_cache's headers."""
    if response.has_header("Cache-Control") or response.has_header("Expires"):
        add_never_cache_headers(response)
    else:
        response.headers["Expires"] = _http_date_now()
        response.headers["Cache-Control"] = NEVER_CACHE
    return response


def page_key(request: HttpRequest) -> str:
    path = hashlib.sha256(request.path.encode()).hexdigest()
    from legs.models import KnowledgeRevision

    return f"pagecache:{build_id()}:{KnowledgeRevision.recent()[1]}:{path}"


def _is_anonymous_and_plain(request: HttpRequest) -> bool:
    cookies = request.COOKIES
    return (
        request.method in ("GET", "HEAD")
        # Any query string is rendered afresh: random ones must not fill the cache.
        and not request.META.get("QUERY_STRING")
        and settings.SESSION_COOKIE_NAME not in cookies
        and MESSAGES_COOKIE not in cookies
    )


def _is_nobodys_own(request: HttpRequest, response: HttpResponseBase) -> bool:
    session: Any = getattr(request, "session", None)
    messages: Any = getattr(request, "_messages", None)
    return (
        isinstance(response, HttpResponse)
        and not response.streaming
        and response.status_code == 200
        and not response.cookies
        and not response.has_header("Vary")
        and "private" not in response.get("Cache-Control", "")
        and "no-store" not in response.get("Cache-Control", "")
        and not request.META.get("CSRF_COOKIE_NEEDS_UPDATE")
        and not getattr(request, _CSRF_FILLED, False)
        and not (session is not None and session.modified)
        and not (messages is not None and getattr(messages, "added_new", False))
    )


class AnonymousPageCacheMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        key: str | None = getattr(request, _KEY, None)
        if key is not None and request.method == "GET" and _is_nobodys_own(request, response):
            assert isinstance(response, HttpResponse)  # noqa: S101 - checked just above
            entry = (response.content, response["Content-Type"])
            try:
                cache.set(key, entry, timeout=settings.PAGE_CACHE_SECONDS)
            except Exception:
                logger.exception("A page could not be cached")
        return response

    def process_view(
        self,
        request: HttpRequest,
        view_func: Callable[..., Any],
        view_args: tuple[Any, ...],
        view_kwargs: dict[str, Any],
    ) -> HttpResponse | None:
        seconds: int = getattr(settings, "PAGE_CACHE_SECONDS", 0)
        match = request.resolver_match
        views: frozenset[str] | set[str] = getattr(settings, "PAGE_CACHE_VIEWS", frozenset())
        if seconds <= 0 or match is None or match.view_name not in views:
            return None
        if not _is_anonymous_and_plain(request):
            return None
        try:
            key = page_key(request)
            entry = cache.get(key)
        except Exception:
            logger.exception("The page cache is unavailable")
            return None
        if entry is None:
            setattr(request, _KEY, key)
            return None
        content, content_type = entry
        response = HttpResponse(content, content_type=content_type)
        # The page differs for logged-in runners: a shared proxy must not hand it to them.
        patch_vary_headers(response, ("Cookie",))
        return response
