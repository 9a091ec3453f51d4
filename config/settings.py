"""Heavy Legs settings: one file, driven by environment variables (see .env.example)."""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Any

import django_stubs_ext
import environ
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.core.validators import URLValidator
from django.utils.csp import CSP

# Lets the code subscript generic Django classes (ModelForm[User]) for the type checker.
django_stubs_ext.monkeypatch()

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
# A local .env is read when present; real environment variables always win.
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

# CORE
DEBUG = env.bool("DEBUG", default=False)
# pytest-django imports these settings before any conftest runs, so the test suite cannot
# supply its environment itself: under pytest a throwaway key is used and HTTPS-only
# protections default to off (the test client and live server speak plain HTTP).
TESTING = "pytest" in sys.modules or env.bool("TESTING", default=False)
SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not (DEBUG or "pytest" in sys.modules):
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set the SECRET_KEY environment variable "
            "(or DEBUG=true for local development)."
        )
    SECRET_KEY = "insecure-development-key-do-not-use-in-production"  # noqa: S105
ALLOWED_HOSTS = env.list(
    "ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"] if DEBUG else []
)
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

# APPLICATIONS
INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "crispy_forms",
    "crispy_bootstrap5",
    "bootstrap",
    # Icons drawn into the page as inline SVG from the package: nothing loads from elsewhere.
    "heroicons",
    "formtools",
    "axes",
    "accounts",
    # Holds only the migrations of the tables from before the split into the apps below.
    "legs",
    "legs.knowledge",
    "legs.assessment",
    "legs.history",
    # The JSON API (django-ninja); listed after the apps it serves. "ninja" itself is listed
    # so that its docs page is drawn from its own static files, never from a CDN.
    "ninja",
    "legs.api",
    # Background tasks (django.tasks) kept in the database, and the worker that runs them.
    "django_tasks_db",
    "worker",
]

MIDDLEWARE = [
    # First, so that every response (redirects and static files too) carries a request id.
    "config.request_id.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django_permissions_policy.PermissionsPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # After the session middleware, so its renewal is saved with the response.
    "accounts.middleware.SessionLifetimeMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ADMIN_URL = env.str("ADMIN_URL", default="admin/").strip("/") + "/"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.csp",
                "config.context_processors.urgent_help",
            ],
            # Filters every app's templates use (config is not an app, so it is named here).
            "libraries": {"form_errors": "config.templatetags.form_errors"},
        },
    },
]

# DATABASE
# SQLite by default, tuned for concurrent writers: WAL journal, IMMEDIATE transactions
# (no lock upgrade deadlocks) and a busy timeout instead of an instant "database is locked".
SQLITE_OPTIONS: dict[str, Any] = {
    "transaction_mode": "IMMEDIATE",
    "timeout": 20,
    "init_command": (
        "PRAGMA journal_mode=WAL;PRAGMA synchronous=NORMAL;"
        "PRAGMA busy_timeout=20000;PRAGMA foreign_keys=ON;"
    ),
}
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"].setdefault("OPTIONS", {}).update(SQLITE_OPTIONS)
# Persistent connections (per gunicorn thread) save a connect and, on SQLite, its PRAGMAs
# on every request. The development server starts a thread per request, so not there.
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=0 if DEBUG else 60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# CACHE AND SESSIONS
CACHES = {
    "default": env.cache("CACHE_URL", default="locmemcache://heavy-legs"),
    # Per process, for page fragments that only a deploy changes (the site's links): a new
    # process starts empty, so a deploy never serves the previous build's fragments.
    "local": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "local"},
}
# Sessions live in the database; with a shared cache (Redis) they are read through it
# (cached_db). A per-process memory cache would let one worker read another's stale copy.
SESSION_ENGINE = (
    "django.contrib.sessions.backends.cached_db"
    if CACHES["default"]["BACKEND"].endswith("RedisCache")
    else "django.contrib.sessions.backends.db"
)
# A login ends after SESSION_IDLE_SECONDS without a request, and SESSION_COOKIE_AGE after it
# began however active it is (accounts.middleware.SessionLifetimeMiddleware).
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=60 * 60 * 24 * 14)
SESSION_IDLE_SECONDS = env.int("SESSION_IDLE_SECONDS", default=60 * 60 * 24 * 7)
if SESSION_IDLE_SECONDS <= 0 or SESSION_COOKIE_AGE <= 0:
    raise ImproperlyConfigured(
        "SESSION_IDLE_SECONDS and SESSION_COOKIE_AGE must be positive numbers of seconds."
    )

# AUTHENTICATION
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# New passwords are hashed with Argon2; hashes made by the others still verify and are
# rehashed with Argon2 at the next login.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.BCryptSHA256PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "home"
PASSWORD_RESET_TIMEOUT = 60 * 60 * 24

# LOGIN LOCKOUT (django-axes)
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env.float("AXES_COOLOFF_HOURS", default=0.5)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_USERNAME_FORM_FIELD = "username"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "accounts/lockout.html"
# With Redis, several app servers share the lockout state through the cache.
AXES_HANDLER = env.str(
    "AXES_HANDLER",
    default=(
        "axes.handlers.cache.AxesCacheHandler"
        if CACHES["default"]["BACKEND"].endswith("RedisCache")
        else "axes.handlers.database.AxesDatabaseHandler"
    ),
)
# Lockouts and rate limits see the client's address through one function (config.client):
# REMOTE_ADDR, or behind PROXY_COUNT proxies the address the outermost of them saw.
PROXY_COUNT = env.int("PROXY_COUNT", default=0)
AXES_CLIENT_IP_CALLABLE = "config.client.client_ip"
AXES_VERBOSE = False

# RATE LIMITS (django-ratelimit, through config.ratelimit.limit_posts)
# POSTs per client address to sign-up, log-in, the admin log-in, password reset and change,
# account deletion, the new-link form and the activation password form, as count/period
# (s, m, h or d, e.g. 100/5m); beyond that the form answers 429. Counted in the cache, so
# shared by all app servers with Redis. The django_ratelimit app is not installed: its only
# job is a system check that calls the per-process memory cache an error, and counting per
# process is a choice made here.
RATELIMIT_ENABLE = env.bool("RATELIMIT_ENABLE", default=True)
RATELIMIT_RATE = env.str("RATELIMIT_RATE", default="20/m")
# django-ratelimit would read "20" as 20 a second and "20/minute" as 20/m.
if not re.fullmatch(r"[1-9]\d*/(?:[1-9]\d*)?[smhd]", RATELIMIT_RATE):
    raise ImproperlyConfigured(
        f"RATELIMIT_RATE must look like 20/m (count / s, m, h or d), got {RATELIMIT_RATE!r}."
    )
RATELIMIT_IP_META_KEY = "config.client.client_ip"
# A count the cache could not keep lets the request through rather than lock everyone out.
RATELIMIT_FAIL_OPEN = True

# PAGE CACHE
# Public pages (home, causes, FAQ, warning signs…) are kept this many seconds for visitors
# who are not logged in, under the knowledge base's revision, so an editor's change shows at
# once (0 = off). Off under pytest, where tests count the queries of each render.
PUBLIC_PAGE_CACHE_SECONDS = env.int("PUBLIC_PAGE_CACHE_SECONDS", default=0 if TESTING else 300)

# URGENT HELP
# The numbers to call and the web page for finding care, shown as tap-to-call buttons on
# emergency and urgent results and on the warning-signs page. The UK's by default; a site in
# another country sets its own (e.g. 112, or 911 with no urgent-care number). An empty
# URGENT_CARE_NUMBER or URGENT_CARE_URL leaves that button out.
EMERGENCY_NUMBER = env.str("EMERGENCY_NUMBER", default="999").strip()
URGENT_CARE_NUMBER = env.str("URGENT_CARE_NUMBER", default="111").strip()
URGENT_CARE_URL = env.str("URGENT_CARE_URL", default="https://111.nhs.uk/").strip()
for _name, _number, _required in (
    ("EMERGENCY_NUMBER", EMERGENCY_NUMBER, True),
    ("URGENT_CARE_NUMBER", URGENT_CARE_NUMBER, False),
):
    if (_number or _required) and not re.fullmatch(r"\+?[0-9](?:[ -]?[0-9]){1,19}", _number):
        raise ImproperlyConfigured(
            f"{_name} must be a phone number of digits (a leading + and single spaces or "
            f"dashes allowed), got {_number!r}."
        )
if URGENT_CARE_URL:
    try:
        URLValidator(schemes=["https"])(URGENT_CARE_URL)
    except ValidationError as _error:
        raise ImproperlyConfigured(
            f"URGENT_CARE_URL must be a web address starting with https://, got "
            f"{URGENT_CARE_URL!r}."
        ) from _error

# KNOWLEDGE EDITING
# Before an editor's change to questions, answers, weights or rules is saved, the admin scores
# these runner stories with it and shows those whose result would change (see
# legs/assessment/admin.py). They are the public vignettes the tests also run; the image keeps
# the file (.dockerignore leaves tests/data in).
SAFETY_VIGNETTES_FILE = Path(
    env.str(
        "SAFETY_VIGNETTES_FILE",
        default=str(BASE_DIR / "tests" / "data" / "vignettes_public.json"),
    )
)

# BACKGROUND TASKS
# Django's tasks framework. "database" keeps tasks in the site's own database
# (django-tasks-db), run by `manage.py worker`: nothing else to install or run on one
# machine. "immediate" runs each task at once inside the request (tests, and a site that
# runs no worker; deferred follow-up reminders then wait for `manage.py send_reminders`).
TASK_BACKENDS = {
    "database": "django_tasks_db.DatabaseBackend",
    "immediate": "django.tasks.backends.immediate.ImmediateBackend",
}
TASKS_BACKEND = env.str("TASKS_BACKEND", default="immediate" if TESTING else "database")
if TASKS_BACKEND not in TASK_BACKENDS:
    raise ImproperlyConfigured(
        f"TASKS_BACKEND must be one of {', '.join(TASK_BACKENDS)}, got {TASKS_BACKEND!r}."
    )
TASKS = {"default": {"BACKEND": TASK_BACKENDS[TASKS_BACKEND]}}
# A task that raises is run again later (after 1, 5, 25 minutes…) until it has been tried
# this many times in all (worker.retry).
TASKS_MAX_ATTEMPTS = env.int("TASKS_MAX_ATTEMPTS", default=5)
# A task still marked running this many seconds after a worker took it is taken to belong
# to a worker that died, and goes back in the queue (worker.recovery). Keep every task much
# shorter than this: one that is merely slow would run twice.
TASKS_STALE_SECONDS = env.int("TASKS_STALE_SECONDS", default=600)
if TASKS_MAX_ATTEMPTS < 1 or TASKS_STALE_SECONDS < 1:
    raise ImproperlyConfigured("TASKS_MAX_ATTEMPTS and TASKS_STALE_SECONDS must be 1 or more.")

# INTERNATIONALISATION
LANGUAGE_CODE = "en-gb"
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

# STATIC FILES
STATIC_URL = "/static/"
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if TESTING and not env.bool("MANIFEST_STATIC", default=False)
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
# Tests and development read static files from the apps and static/ as they change;
# production serves the collected, hashed files only.
WHITENOISE_AUTOREFRESH = DEBUG or TESTING
WHITENOISE_USE_FINDERS = DEBUG or TESTING
WHITENOISE_SKIP_COMPRESS_EXTENSIONS = (
    "jpg", "jpeg", "png", "gif", "webp", "zip", "gz", "tgz", "bz2", "tbz", "xz", "br", "swf",
    "flv", "woff", "woff2", "map",
)  # fmt: skip

# EMAIL
# Django 6.1 configures mail through MAILERS; EMAIL_URL picks the backend
# (consolemail:// by default, smtp+tls://user:pass@host:587 in production).
_email = env.email_url("EMAIL_URL", default="consolemail://")
_mailer: dict[str, Any] = {"BACKEND": _email["EMAIL_BACKEND"]}
_mail_options = {
    "host": _email.get("EMAIL_HOST"),
    "port": _email.get("EMAIL_PORT"),
    "username": _email.get("EMAIL_HOST_USER"),
    "password": _email.get("EMAIL_HOST_PASSWORD"),
    "use_tls": _email.get("EMAIL_USE_TLS"),
    "use_ssl": _email.get("EMAIL_USE_SSL"),
    # Seconds before a silent mail server counts as a failure (retried later), so it never
    # holds a worker for good.
    "timeout": env.int("EMAIL_TIMEOUT", default=30),
}
if _mailer["BACKEND"].endswith("smtp.EmailBackend"):
    _mailer["OPTIONS"] = {k: v for k, v in _mail_options.items() if v not in (None, "")}
MAILERS = {"default": _mailer}
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Heavy Legs <noreply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# Where links in emails sent without a request (follow-up reminders) point: the site's
# public address, scheme and host, no path. Default: https:// and the first ALLOWED_HOSTS
# entry, or http://localhost:8000 in debug.
_first_host = next((h.lstrip(".") for h in ALLOWED_HOSTS if h.strip("*.")), "")
_site_url = f"https://{_first_host}" if _first_host and not (DEBUG or TESTING) else ""
SITE_URL = env.str("SITE_URL", default=_site_url or "http://localhost:8000").rstrip("/")
if not re.fullmatch(r"https?://[^/\s?#]+", SITE_URL):
    raise ImproperlyConfigured(
        f"SITE_URL must be a scheme and host such as https://heavylegs.example, got {SITE_URL!r}."
    )

# SECURITY
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not (DEBUG or TESTING))
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 60 * 60 * 24 * 365)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
# Joining the browsers' HSTS preload list binds every subdomain for months, so it is the
# operator's choice (SECURE_HSTS_PRELOAD=true), not a deployment error.
SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD else ["security.W021"]
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_X_FORWARDED_PROTO", "https") if env.bool("BEHIND_TLS_PROXY", default=False) else None
)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# Secure cookies are on outside debug; SECURE_COOKIES=false allows plain-HTTP runs on
# 127.0.0.1 (browser and load tests against gunicorn).
SECURE_COOKIES = env.bool("SECURE_COOKIES", default=not (DEBUG or TESTING))
SESSION_COOKIE_SECURE = SECURE_COOKIES
CSRF_COOKIE_SECURE = SECURE_COOKIES
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "object-src": [CSP.NONE],
}
# Sent by django-permissions-policy: features the site never uses, allowed to no origin.
PERMISSIONS_POLICY: dict[str, list[str]] = {
    "camera": [],
    "microphone": [],
    "geolocation": [],
    "payment": [],
    "usb": [],
}

# FORMS
CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440

# TRAINING LOG
# One upload of run files (all its files together) may be at most this many megabytes;
# a larger one is refused before any of it is stored. Keep a reverse proxy's body limit
# (nginx client_max_body_size) at least this high.
RUNS_IMPORT_MAX_UPLOAD_MB = env.int("RUNS_IMPORT_MAX_UPLOAD_MB", default=50)
if RUNS_IMPORT_MAX_UPLOAD_MB <= 0:
    raise ImproperlyConfigured("RUNS_IMPORT_MAX_UPLOAD_MB must be a positive number.")
# Files per upload (Django's own limit; more is refused with a message).
DATA_UPLOAD_MAX_NUMBER_FILES = 100
# The assessment's training answers that a logged-in runner's log of runs can give: a
# function (user, question keys) -> {question_key: value}. Set here, so that the assessment
# app never imports the history app.
ASSESSMENT_PREFILL = "legs.history.runs.prefill_answers"

# LOGGING
LOG_LEVEL = env.str("LOG_LEVEL", default="INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # Every record written during a request carries its id (config.request_id), and no record
    # holds a reset or activation token (config.redact).
    "filters": {
        "request_id": {"()": "config.request_id.RequestIdFilter"},
        "redact_secrets": {"()": "config.redact.RedactSecretsFilter"},
    },
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
        # One JSON object a line (python-json-logger): these fields, then any `extra=` values.
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(levelname)s %(name)s %(message)s %(request_id)s",
            "rename_fields": {"levelname": "level", "name": "logger", "exc_info": "exception"},
            "timestamp": "time",
        },
    },
    "handlers": {
        "stdout": {
            "class": "logging.StreamHandler",
            "stream": sys.stdout,
            "formatter": "plain",
            "filters": ["request_id", "redact_secrets"],
        },
        "json_stdout": {
            "class": "logging.StreamHandler",
            "stream": sys.stdout,
            "formatter": "json",
            "filters": ["request_id", "redact_secrets"],
        },
    },
    "root": {"handlers": ["stdout"], "level": LOG_LEVEL},
    "loggers": {
        "django": {"handlers": ["stdout"], "level": LOG_LEVEL, "propagate": False},
        "axes": {"handlers": ["stdout"], "level": "WARNING", "propagate": False},
        # One JSON line per request: method, path, status, duration_ms, request_id, user_id.
        "heavylegs.request": {"handlers": ["json_stdout"], "level": LOG_LEVEL, "propagate": False},
    },
}
