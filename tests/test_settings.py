"""Settings read from the environment, and the security headers every response carries."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

ROOT = Path(__file__).resolve().parent.parent
PRODUCTION = {
    "DEBUG": "false",
    "SECRET_KEY": "k3Yq-production-like-secret-9f8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e1f0a",
    "ALLOWED_HOSTS": "heavylegs.example",
    "EMAIL_URL": "smtp+tls://mailer:secret@127.0.0.1:587",
}
# Printed by the child process: the settings a test looks at, as JSON.
DUMP = """
import json
import environ
environ.Env.read_env = lambda *args, **kwargs: None  # a developer's own .env must not leak in
from config import settings as s
print(json.dumps({name: getattr(s, name) for name in NAMES}, default=str))
"""


def clean_env(**values: str) -> dict[str, str]:
    """Only what a fresh shell has, plus the given variables."""
    env = {key: os.environ[key] for key in ("PATH", "HOME", "LANG") if key in os.environ}
    env.update(values)
    return env


def settings_in(env: dict[str, str], *names: str) -> dict[str, Any]:
    """Import config.settings in a fresh interpreter with exactly this environment."""
    code = f"NAMES = {list(names)!r}\n{DUMP}"
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=clean_env(**env),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    values: dict[str, Any] = json.loads(result.stdout)
    return values


# SECRET KEY AND DEBUG


def settings_error(**env: str) -> str:
    """The last line a fresh interpreter prints when importing config.settings fails."""
    result = subprocess.run(
        [sys.executable, "-c", "import config.settings"],
        cwd=ROOT,
        env=clean_env(**env),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode != 0
    return result.stderr.strip().splitlines()[-1]


def test_missing_secret_key_with_debug_off_is_a_clear_error() -> None:
    last_line = settings_error(DEBUG="false", SECRET_KEY="")
    assert last_line.startswith("django.core.exceptions.ImproperlyConfigured: SECRET_KEY")
    assert "environment variable" in last_line


def test_a_copy_of_env_example_is_enough_to_run_the_site_locally(tmp_path: Path) -> None:
    """`cp .env.example .env && make run`: the settings load from that file alone and serve
    the address runserver listens on."""
    shutil.copytree(ROOT / "config", tmp_path / "config")
    shutil.copy(ROOT / ".env.example", tmp_path / ".env")
    code = (
        "import json; from config import settings as s; "
        "print(json.dumps([s.DEBUG, s.ALLOWED_HOSTS, s.SECURE_SSL_REDIRECT]))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    debug, allowed_hosts, ssl_redirect = json.loads(result.stdout)
    assert debug is True
    assert "127.0.0.1" in allowed_hosts
    assert ssl_redirect is False


def test_debug_is_off_unless_asked_for() -> None:
    values = settings_in({"SECRET_KEY": "x" * 50}, "DEBUG")
    assert values["DEBUG"] is False


def test_debug_runs_without_a_secret_key() -> None:
    values = settings_in({"DEBUG": "true"}, "DEBUG", "SECRET_KEY", "ALLOWED_HOSTS")
    assert values["DEBUG"] is True
    assert values["SECRET_KEY"]
    assert "localhost" in values["ALLOWED_HOSTS"]


def test_production_defaults_are_secure() -> None:
    values = settings_in(
        PRODUCTION,
        "SECURE_SSL_REDIRECT",
        "SECURE_HSTS_SECONDS",
        "SESSION_COOKIE_SECURE",
        "CSRF_COOKIE_SECURE",
        "STORAGES",
        "ALLOWED_HOSTS",
    )
    assert values["SECURE_SSL_REDIRECT"] is True
    assert values["SECURE_HSTS_SECONDS"] >= 60 * 60 * 24 * 365
    assert values["SESSION_COOKIE_SECURE"] is True
    assert values["CSRF_COOKIE_SECURE"] is True
    assert values["ALLOWED_HOSTS"] == ["heavylegs.example"]
    assert values["STORAGES"]["staticfiles"]["BACKEND"] == (
        "whitenoise.storage.CompressedManifestStaticFilesStorage"
    )


def test_check_deploy_passes_with_a_production_environment(tmp_path: Path) -> None:
    # Model checks open the database; a private file keeps a busy db.sqlite3 out of it.
    database = f"sqlite:///{tmp_path / 'check.sqlite3'}"
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=clean_env(**PRODUCTION, DATABASE_URL=database),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


# DATABASE


def test_default_database_is_sqlite_tuned_for_concurrent_writes() -> None:
    database = settings_in({"DEBUG": "true"}, "DATABASES")["DATABASES"]["default"]
    assert database["ENGINE"] == "django.db.backends.sqlite3"
    assert database["NAME"] == str(ROOT / "db.sqlite3")
    options = database["OPTIONS"]
    assert options["transaction_mode"] == "IMMEDIATE"
    assert "journal_mode=WAL" in options["init_command"]
    assert "busy_timeout=" in options["init_command"]
    assert options["timeout"] >= 5


def test_postgres_database_url_gives_persistent_checked_connections() -> None:
    url = "postgres://heavy:pw@db.internal:5432/heavylegs"
    database = settings_in(
        {"DEBUG": "false", "SECRET_KEY": "k" * 50, "DATABASE_URL": url}, "DATABASES"
    )["DATABASES"]["default"]
    assert database["ENGINE"] == "django.db.backends.postgresql"
    assert (database["NAME"], database["HOST"], database["PORT"]) == (
        "heavylegs",
        "db.internal",
        5432,
    )
    assert database["CONN_MAX_AGE"] > 0
    assert database["CONN_HEALTH_CHECKS"] is True
    assert "transaction_mode" not in database.get("OPTIONS", {})


def test_the_development_server_does_not_keep_connections() -> None:
    # runserver starts a thread per request: a kept connection would never be reused.
    database = settings_in({"DEBUG": "true"}, "DATABASES")["DATABASES"]["default"]
    assert database["CONN_MAX_AGE"] == 0


# EMAIL, CACHE AND SESSIONS


def test_email_defaults_to_the_console() -> None:
    mailers = settings_in({"DEBUG": "true"}, "MAILERS")["MAILERS"]
    assert mailers["default"]["BACKEND"] == "django.core.mail.backends.console.EmailBackend"


def test_smtp_email_url_maps_into_mailers() -> None:
    env = {"DEBUG": "true", "EMAIL_URL": "smtp+tls://mailer:s3cret@mail.example:587"}
    mailer = settings_in(env, "MAILERS")["MAILERS"]["default"]
    assert mailer["BACKEND"] == "django.core.mail.backends.smtp.EmailBackend"
    assert mailer["OPTIONS"] == {
        "host": "mail.example",
        "port": 587,
        "username": "mailer",
        "password": "s3cret",
        "use_tls": True,
        "timeout": 30,
    }


def test_default_cache_is_local_memory_with_database_sessions() -> None:
    values = settings_in({"DEBUG": "true"}, "CACHES", "SESSION_ENGINE")
    assert values["CACHES"]["default"]["BACKEND"].endswith("LocMemCache")
    assert values["SESSION_ENGINE"] == "django.contrib.sessions.backends.db"


def test_redis_cache_url_gives_django_redis_and_cached_db_sessions() -> None:
    env = {"DEBUG": "true", "CACHE_URL": "redis://127.0.0.1:6379/1"}
    values = settings_in(env, "CACHES", "SESSION_ENGINE")
    cache = values["CACHES"]["default"]
    assert cache["BACKEND"] == "django_redis.cache.RedisCache"
    assert cache["LOCATION"] == "redis://127.0.0.1:6379/1"
    assert values["SESSION_ENGINE"] == "django.contrib.sessions.backends.cached_db"


def test_logins_end_after_a_week_idle_or_two_weeks_in_all() -> None:
    values = settings_in({"DEBUG": "true"}, "SESSION_IDLE_SECONDS", "SESSION_COOKIE_AGE")
    assert values == {"SESSION_IDLE_SECONDS": 60 * 60 * 24 * 7, "SESSION_COOKIE_AGE": 1209600}
    values = settings_in({"DEBUG": "true", "SESSION_IDLE_SECONDS": "900"}, "SESSION_IDLE_SECONDS")
    assert values["SESSION_IDLE_SECONDS"] == 900


@pytest.mark.parametrize("name", ["SESSION_IDLE_SECONDS", "SESSION_COOKIE_AGE"])
def test_a_session_time_of_zero_stops_the_server_with_a_clear_message(name: str) -> None:
    last_line = settings_error(DEBUG="true", **{name: "0"})
    assert last_line.startswith("django.core.exceptions.ImproperlyConfigured: SESSION_IDLE")
    assert "must be positive" in last_line


# PASSWORDS


def test_passwords_are_hashed_with_argon2_and_older_hashes_still_verify() -> None:
    from django.contrib.auth.hashers import Argon2PasswordHasher

    hashers = settings_in({"DEBUG": "true"}, "PASSWORD_HASHERS")["PASSWORD_HASHERS"]
    assert hashers[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"
    assert "django.contrib.auth.hashers.PBKDF2PasswordHasher" in hashers[1:]
    hasher = Argon2PasswordHasher()  # argon2-cffi is installed: this would raise otherwise
    assert hasher.verify("a password", hasher.encode("a password", hasher.salt()))


def test_passwords_need_at_least_12_characters() -> None:
    validators = settings_in({"DEBUG": "true"}, "AUTH_PASSWORD_VALIDATORS")
    lengths = [
        v.get("OPTIONS", {}).get("min_length")
        for v in validators["AUTH_PASSWORD_VALIDATORS"]
        if v["NAME"].endswith("MinimumLengthValidator")
    ]
    assert lengths == [12]


# RATE LIMITS AND THE CLIENT ADDRESS


def test_rate_limits_and_lockouts_share_one_client_address_behind_proxies() -> None:
    env = {"DEBUG": "true", "PROXY_COUNT": "2"}
    names = ("PROXY_COUNT", "AXES_CLIENT_IP_CALLABLE", "RATELIMIT_IP_META_KEY")
    values = settings_in(env, *names)
    assert values == {
        "PROXY_COUNT": 2,
        "AXES_CLIENT_IP_CALLABLE": "config.client.client_ip",
        "RATELIMIT_IP_META_KEY": "config.client.client_ip",
    }


def test_a_rate_over_several_minutes_is_accepted() -> None:
    values = settings_in({"DEBUG": "true", "RATELIMIT_RATE": "100/5m"}, "RATELIMIT_RATE")
    assert values["RATELIMIT_RATE"] == "100/5m"


@pytest.mark.parametrize("text", ["20", "20/minute", "0/m", "a/m", "20/0m", "20/m/m"])
def test_a_mistyped_rate_stops_the_server_with_a_clear_message(text: str) -> None:
    last_line = settings_error(DEBUG="true", RATELIMIT_RATE=text)
    assert last_line.startswith("django.core.exceptions.ImproperlyConfigured: RATELIMIT_RATE")
    assert "must look like 20/m" in last_line


# URGENT HELP

URGENT_HELP = ("EMERGENCY_NUMBER", "URGENT_CARE_NUMBER", "URGENT_CARE_URL")


def test_urgent_help_defaults_to_the_uks_numbers() -> None:
    assert settings_in({"DEBUG": "true"}, *URGENT_HELP) == {
        "EMERGENCY_NUMBER": "999",
        "URGENT_CARE_NUMBER": "111",
        "URGENT_CARE_URL": "https://111.nhs.uk/",
    }


def test_a_site_in_another_country_sets_its_own_numbers() -> None:
    env = {
        "DEBUG": "true",
        "EMERGENCY_NUMBER": " 911 ",
        "URGENT_CARE_NUMBER": "",
        "URGENT_CARE_URL": "https://www.findurgentcare.example/near-me?lang=en",
    }
    assert settings_in(env, *URGENT_HELP) == {
        "EMERGENCY_NUMBER": "911",
        "URGENT_CARE_NUMBER": "",
        "URGENT_CARE_URL": "https://www.findurgentcare.example/near-me?lang=en",
    }
    env = {"DEBUG": "true", "EMERGENCY_NUMBER": "112", "URGENT_CARE_NUMBER": "+49 116 117"}
    assert settings_in(env, "URGENT_CARE_NUMBER")["URGENT_CARE_NUMBER"] == "+49 116 117"


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("EMERGENCY_NUMBER", ""),
        ("EMERGENCY_NUMBER", "nine-nine-nine"),
        ("EMERGENCY_NUMBER", "9"),
        ("URGENT_CARE_NUMBER", "111 ext. 2"),
        ("URGENT_CARE_NUMBER", "1--11"),
    ],
)
def test_a_mistyped_number_stops_the_server_with_a_clear_message(name: str, value: str) -> None:
    last_line = settings_error(DEBUG="true", **{name: value})
    assert last_line.startswith(f"django.core.exceptions.ImproperlyConfigured: {name}")
    assert "must be a phone number" in last_line


@pytest.mark.parametrize("value", ["111.nhs.uk", "http://111.nhs.uk/", "javascript:alert(1)"])
def test_an_urgent_care_address_must_be_https(value: str) -> None:
    last_line = settings_error(DEBUG="true", URGENT_CARE_URL=value)
    assert last_line.startswith("django.core.exceptions.ImproperlyConfigured: URGENT_CARE_URL")
    assert "https://" in last_line


# BACKGROUND TASKS AND LINKS IN EMAILS


def test_tasks_wait_in_the_database_for_the_worker_by_default() -> None:
    values = settings_in(PRODUCTION, "TASKS", "TASKS_MAX_ATTEMPTS", "TASKS_STALE_SECONDS")
    assert values["TASKS"] == {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    assert values["TASKS_MAX_ATTEMPTS"] == 5
    assert values["TASKS_STALE_SECONDS"] == 600


def test_tests_run_tasks_at_once_inside_the_request(settings: Any) -> None:
    assert settings.TASKS["default"]["BACKEND"].endswith("ImmediateBackend")


@pytest.mark.parametrize(
    ("env", "starts"),
    [
        ({"TASKS_BACKEND": "celery"}, "TASKS_BACKEND must be one of database, immediate"),
        ({"TASKS_MAX_ATTEMPTS": "0"}, "TASKS_MAX_ATTEMPTS and TASKS_STALE_SECONDS"),
        ({"SITE_URL": "heavylegs.example"}, "SITE_URL must be a scheme and host"),
        ({"SITE_URL": "https://heavylegs.example/app"}, "SITE_URL must be a scheme and host"),
    ],
)
def test_a_bad_task_or_site_setting_stops_start_up_with_a_clear_message(
    env: dict[str, str], starts: str
) -> None:
    last_line = settings_error(DEBUG="true", **env)
    assert last_line.startswith(f"django.core.exceptions.ImproperlyConfigured: {starts}")


def test_links_in_emails_without_a_request_use_the_first_allowed_host() -> None:
    assert settings_in(PRODUCTION, "SITE_URL")["SITE_URL"] == "https://heavylegs.example"
    assert settings_in({"DEBUG": "true"}, "SITE_URL")["SITE_URL"] == "http://localhost:8000"
    custom = settings_in({**PRODUCTION, "SITE_URL": "https://legs.example:8443/"}, "SITE_URL")
    assert custom["SITE_URL"] == "https://legs.example:8443"


# SECURITY HEADERS


@pytest.fixture
def home_response(client: Client, db: None) -> Any:
    return client.get("/")


def test_responses_refuse_framing_and_sniffing(home_response: Any) -> None:
    assert home_response.status_code == 200
    assert home_response["X-Frame-Options"] == "DENY"
    assert home_response["X-Content-Type-Options"] == "nosniff"
    assert home_response["Referrer-Policy"] == "same-origin"
    assert home_response["Cross-Origin-Opener-Policy"] == "same-origin"


def test_content_security_policy_is_strict(home_response: Any) -> None:
    policy = home_response["Content-Security-Policy"]
    directives = dict(
        (part.strip().split(" ", 1) + [""])[:2] for part in policy.split(";") if part.strip()
    )
    assert directives["default-src"] == "'self'"
    assert directives["script-src"] == "'self'"
    assert directives["style-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert directives["object-src"] == "'none'"
    assert "unsafe-inline" not in policy
    assert "unsafe-eval" not in policy


def test_permissions_policy_switches_off_unused_features(home_response: Any) -> None:
    policy = home_response["Permissions-Policy"]
    for feature in ("camera=()", "microphone=()", "geolocation=()", "payment=()", "usb=()"):
        assert feature in policy


def test_permissions_policy_follows_the_setting(client: Client, db: None, settings: Any) -> None:
    settings.PERMISSIONS_POLICY = {"camera": ["self"]}
    assert client.get("/")["Permissions-Policy"] == "camera=(self)"
    settings.PERMISSIONS_POLICY = {}
    assert "Permissions-Policy" not in client.get("/")


def test_permissions_policy_is_on_every_kind_of_response(client: Client, db: None) -> None:
    for url in ("/healthz", "/no-such-page/"):
        assert "camera=()" in client.get(url)["Permissions-Policy"]


def test_session_and_csrf_cookies_are_hidden_from_scripts(client: Client, db: None) -> None:
    from tests.factories import PASSWORD, make_user

    make_user()
    login_page = client.get("/accounts/login/")
    response = client.post(
        "/accounts/login/", {"username": "runner@example.com", "password": PASSWORD}
    )
    assert response.status_code == 302
    for cookie in (login_page.cookies["csrftoken"], response.cookies["sessionid"]):
        assert cookie["httponly"]
        assert cookie["samesite"] == "Lax"
