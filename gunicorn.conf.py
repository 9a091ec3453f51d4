"""gunicorn settings for the Docker image and local production-like runs.

Every value can be changed through the environment (see .env.example), so the same file
serves the container, a virtual machine and the load tests on 127.0.0.1.
"""

from __future__ import annotations

import gc
import os
from pathlib import Path
from typing import Any

from gunicorn.glogging import Logger

from config.redact import redact


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SystemExit(f"{name} must be a whole number, got {raw!r}.") from None
    if value < 1:
        raise SystemExit(f"{name} must be 1 or more, got {value}.")
    return value


def _env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name, "").strip().lower()
    if not raw:
        return default
    if raw in {"1", "true", "yes", "on"}:
        return True
    if raw in {"0", "false", "no", "off"}:
        return False
    raise SystemExit(f"{name} must be true or false, got {raw!r}.")


# SOCKET
# GUNICORN_BIND wins; otherwise PORT (set by many hosting platforms) on all interfaces.
bind = os.environ.get("GUNICORN_BIND") or f"0.0.0.0:{_env_int('PORT', 8000)}"
# Only these addresses may tell gunicorn that the original request was HTTPS.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")

# WORKERS
# Threads share one database connection pool per process and suit this I/O-bound site;
# SQLite is tuned for several writers (see DATABASES in config/settings.py).
worker_class = "gthread"
workers = _env_int("WEB_CONCURRENCY", 2)
threads = _env_int("GUNICORN_THREADS", 4)
timeout = _env_int("GUNICORN_TIMEOUT", 30)
graceful_timeout = _env_int("GUNICORN_GRACEFUL_TIMEOUT", 20)
keepalive = 5
# Recycling workers now and then bounds the damage of any slow memory growth.
max_requests = _env_int("GUNICORN_MAX_REQUESTS", 2000)
max_requests_jitter = max_requests // 10
# Loading the app once in the master fails fast with one clear message on a bad setting
# (instead of every worker failing to boot) and shares memory between workers.
preload_app = _env_bool("GUNICORN_PRELOAD", True)
# The heartbeat file on a disk-backed /tmp can stall workers inside containers; gunicorn
# creates it with mkstemp, so a shared memory directory is safe.
_SHARED_MEMORY = Path("/dev/shm")  # noqa: S108
if _SHARED_MEMORY.is_dir() and os.access(_SHARED_MEMORY, os.W_OK):
    worker_tmp_dir = str(_SHARED_MEMORY)

# CONTROL SOCKET
# Off unless a path is given: the default lives in $HOME, which is read-only for the
# container's user, and several servers on one machine would share it.
_control_socket = os.environ.get("GUNICORN_CONTROL_SOCKET", "").strip()
if _control_socket:
    control_socket = _control_socket
else:
    control_socket_disable = True

# LOGGING
# Both logs go to the standard streams, where the container runtime collects them.
accesslog = "-" if _env_bool("GUNICORN_ACCESS_LOG", True) else None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms "%(f)s" "%(a)s"'


class RedactingLogger(Logger):
    """gunicorn's logger, with reset and activation tokens left out of the access log.

    A format cannot drop part of a path, so every value the format may use (request line,
    path, referrer, headers) goes through config.redact first.
    """

    def atoms(self, resp: Any, req: Any, environ: dict[str, Any], request_time: Any) -> Any:
        found = super().atoms(resp, req, environ, request_time)
        return {
            name: redact(value) if isinstance(value, str) else value
            for name, value in found.items()
        }


logger_class = RedactingLogger


# HOOKS
def on_starting(server: Any) -> None:
    """Refuse to start when static files were never collected.

    With manifest storage every page that links a stylesheet would fail with a 500, so a
    missing `collectstatic` is reported once, at start-up, with the command that fixes it.
    """
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.staticfiles.storage import ManifestFilesMixin
    from django.core.files.storage import storages

    storage = storages["staticfiles"]
    if settings.DEBUG or not isinstance(storage, ManifestFilesMixin):
        return
    if not storage.manifest_storage.exists(storage.manifest_name):
        raise SystemExit(
            f"Static files have not been collected into {settings.STATIC_ROOT}. "
            "Run `python manage.py collectstatic --no-input` before starting gunicorn."
        )


def pre_fork(server: Any, worker: Any) -> None:
    # With preload_app the master may have touched the database; a connection must never
    # be shared between forked workers.
    from django.db import connections

    connections.close_all()


def when_ready(server: Any) -> None:
    """Once, before the first worker is forked: what the master loaded (Django, the app,
    the templates) lives as long as the workers, so the garbage collector need not walk
    it in every worker, which also keeps those memory pages shared with the master
    instead of copied into each worker."""
    gc.collect()
    gc.freeze()
