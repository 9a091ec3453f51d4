"""Serve the site with production settings on 127.0.0.1 for the load test and benchmarks.

gunicorn runs with the project's gunicorn.conf.py, collected static files and a throwaway
database (SQLite in a temporary folder, or a PostgreSQL database of its own), over plain HTTP.
"""

from __future__ import annotations

import os
import platform
import secrets
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
POSTGRES_SERVER = os.environ.get("BENCH_POSTGRES_SERVER", "postgres://postgres@127.0.0.1:5432")
STARTUP_TIMEOUT = 60


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def database_version(database_url: str) -> str:
    if database_url.startswith("sqlite"):
        return f"SQLite {sqlite3.sqlite_version}"
    import psycopg

    with psycopg.connect(database_url) as connection:
        row = connection.execute("SHOW server_version").fetchone()
    return f"PostgreSQL {row[0] if row else '?'}"


def machine_description(database_url: str) -> list[tuple[str, str]]:
    memory = "unknown"
    try:
        total_kb = int(Path("/proc/meminfo").read_text().split()[1])
        memory = f"{total_kb / 1024 / 1024:.1f} GiB"
    except (OSError, ValueError, IndexError):
        pass
    return [
        ("CPU", f"{os.cpu_count()} × {cpu_model()} (nproc {len(os.sched_getaffinity(0))})"),
        ("memory", memory),
        ("system", f"{platform.system()} {platform.release()}"),
        ("Python", platform.python_version()),
        ("Django", version("django")),
        ("gunicorn", version("gunicorn")),
        ("database", database_version(database_url)),
        (
            "load average at the start (1, 5, 15 min)",
            ", ".join(f"{x:.2f}" for x in os.getloadavg()),
        ),
    ]


@contextmanager
def database(kind: str, tmp: Path, name: str) -> Iterator[str]:
    """An empty database of the given kind; a PostgreSQL one is dropped afterwards."""
    if kind == "sqlite":
        yield f"sqlite:///{tmp / f'{name}.sqlite3'}"
        return
    if kind != "postgres":
        raise SystemExit(f"The database must be sqlite or postgres, not {kind!r}.")
    import psycopg

    server = f"{POSTGRES_SERVER}/postgres"
    try:
        admin = psycopg.connect(server, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as error:
        raise SystemExit(f"PostgreSQL is not reachable at {server}: {error}") from None
    with admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"{POSTGRES_SERVER}/{name}"
    finally:
        with psycopg.connect(server, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def production_env(
    tmp: Path, database_url: str, *, workers: int, threads: int, **extra: str
) -> dict[str, str]:
    env = {key: os.environ[key] for key in ("PATH", "HOME", "LANG") if key in os.environ}
    env["PATH"] = f"{VENV_BIN}{os.pathsep}{env.get('PATH', '/usr/bin:/bin')}"
    env.update(
        DEBUG="false",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="127.0.0.1,localhost",
        DATABASE_URL=database_url,
        CACHE_URL=os.environ.get("BENCH_CACHE_URL", "locmemcache://bench"),
        STATIC_ROOT=str(tmp / "staticfiles"),
        SECURE_SSL_REDIRECT="false",
        SECURE_COOKIES="false",
        WEB_CONCURRENCY=str(workers),
        GUNICORN_THREADS=str(threads),
        PYTHONUNBUFFERED="1",
    )
    env.update(extra)
    return env


def manage(env: dict[str, str], *arguments: str) -> str:
    done = subprocess.run(
        [sys.executable, "manage.py", *arguments],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"manage.py {' '.join(arguments)} failed:\n{done.stdout}{done.stderr}")
    return done.stdout


def prepare(env: dict[str, str]) -> None:
    manage(env, "collectstatic", "--no-input", "--verbosity", "0")
    manage(env, "migrate", "--no-input", "--verbosity", "0")
    manage(env, "load_knowledge_base", "--verbosity", "0")


@dataclass
class Server:
    url: str
    process: subprocess.Popen[bytes]
    log: Path

    def worker_pids(self) -> list[int]:
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        try:
            return [int(pid) for pid in children.read_text().split()]
        except OSError:
            return []


def peak_rss_kib(pid: int) -> int:
    """The highest resident memory the process has had (VmHWM), in KiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


@contextmanager
def gunicorn(env: dict[str, str], log: Path) -> Iterator[Server]:
    port = free_port()
    env = env | {"GUNICORN_BIND": f"127.0.0.1:{port}"}
    url = f"http://127.0.0.1:{port}"
    with log.open("wb") as log_file:
        process = subprocess.Popen(
            [str(VENV_BIN / "gunicorn"), "config.wsgi", "-c", "gunicorn.conf.py"],
            cwd=ROOT,
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    server = Server(url=url, process=process, log=log)
    try:
        wait_until_healthy(server)
        yield server
    finally:
        stop(process)


def wait_until_healthy(server: Server) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise SystemExit(f"gunicorn exited:\n{server.log.read_text(errors='replace')}")
        try:
            with urllib.request.urlopen(f"{server.url}/healthz", timeout=2) as answer:  # noqa: S310
                if answer.status == 200:
                    return
        except (OSError, urllib.error.URLError):
            pass
        time.sleep(0.1)
    raise SystemExit(f"gunicorn did not answer /healthz within {STARTUP_TIMEOUT} s")


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
