"""Running the site: health check, request ids and request logs, backup and restore."""

from __future__ import annotations

import io
import json
import logging
import os
import re
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from unittest import mock
from urllib.parse import urlsplit

import pytest
from django.contrib.auth.tokens import default_token_generator
from django.core.cache import cache
from django.db import OperationalError, connection
from django.test import Client
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from pythonjsonlogger.json import JsonFormatter

from accounts.services import reminders_stop_path
from accounts.tokens import activation_token
from config.request_id import RequestIdFilter, request_id_from
from tests.factories import make_user

ROOT = Path(__file__).resolve().parent.parent
SCRIPTS = ROOT / "scripts"
COMMAND_TIMEOUT = 180


# HEALTH CHECK


def test_healthz_checks_database_and_cache_in_one_query(
    client: Client, db: None, django_assert_num_queries: Any
) -> None:
    with django_assert_num_queries(1):  # SELECT 1
        response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "cache": "ok"}


def test_healthz_leaves_no_key_behind_in_the_cache(client: Client, db: None) -> None:
    with mock.patch.object(cache, "delete", wraps=cache.delete) as delete:
        client.get("/healthz")

    (key,), _ = delete.call_args
    assert key.startswith("healthz:")
    assert cache.get(key) is None


def test_healthz_names_the_cache_when_the_cache_is_down(client: Client, db: None) -> None:
    with mock.patch.object(cache, "set", side_effect=ConnectionError("redis is down")):
        response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json() == {"status": "error", "database": "ok", "cache": "unavailable"}


def test_healthz_names_the_cache_when_it_forgets_what_was_stored(client: Client, db: None) -> None:
    with mock.patch.object(cache, "get", return_value=None):
        response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json()["cache"] == "unavailable"


def test_healthz_names_the_database_when_the_database_is_down(client: Client, db: None) -> None:
    with mock.patch.object(connection, "cursor", side_effect=OperationalError("down")):
        response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json() == {"status": "error", "database": "unavailable", "cache": "ok"}


# REQUEST IDS AND REQUEST LOGS


def configured_handlers(logger: str) -> list[logging.StreamHandler[Any]]:
    """The handlers settings.LOGGING gave this logger (they all write to standard output)."""
    return [
        handler
        for handler in logging.getLogger(logger).handlers
        if type(handler) is logging.StreamHandler
        and any(isinstance(f, RequestIdFilter) for f in handler.filters)
    ]


@pytest.fixture
def request_log() -> Iterator[io.StringIO]:
    """What the configured JSON request log writes, instead of standard output."""
    # pytest adds capture handlers of its own; the project's is the JSON one.
    (handler,) = configured_handlers("heavylegs.request")
    assert isinstance(handler.formatter, JsonFormatter)
    buffer = io.StringIO()
    previous = handler.setStream(buffer)
    try:
        yield buffer
    finally:
        handler.setStream(previous)


@pytest.fixture
def plain_log() -> Iterator[io.StringIO]:
    """What the configured plain log (the `django` logger's handler) writes."""
    (handler,) = configured_handlers("django")
    buffer = io.StringIO()
    previous = handler.setStream(buffer)
    try:
        yield buffer
    finally:
        handler.setStream(previous)


def log_lines(buffer: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in buffer.getvalue().splitlines() if line.strip()]


def test_every_response_carries_a_fresh_request_id(client: Client, db: None) -> None:
    first = client.get("/about/")["X-Request-ID"]
    second = client.get("/about/")["X-Request-ID"]

    assert re.fullmatch(r"[0-9a-f]{32}", first)
    assert first != second


def test_a_sane_request_id_from_the_proxy_is_kept(client: Client, db: None) -> None:
    response = client.get("/about/", headers={"X-Request-ID": "lb-7f3a-0001"})

    assert response["X-Request-ID"] == "lb-7f3a-0001"


@pytest.mark.parametrize(
    "sent",
    ["x" * 65, "has space", 'quote"d', "new\nline", "semi;colon", "ünïcode", ""],
)
def test_an_unsafe_request_id_is_replaced(sent: str) -> None:
    assert re.fullmatch(r"[0-9a-f]{32}", request_id_from(sent))


def test_one_json_line_per_request_with_method_path_status_and_timing(
    client: Client, db: None, request_log: io.StringIO
) -> None:
    response = client.get("/about/", headers={"X-Request-ID": "abc-123"})

    (line,) = log_lines(request_log)
    assert line["logger"] == "heavylegs.request"
    assert line["method"] == "GET"
    assert line["path"] == "/about/"
    assert line["status"] == response.status_code == 200
    assert line["request_id"] == "abc-123"
    assert isinstance(line["duration_ms"], float)
    assert line["duration_ms"] >= 0
    assert line["user_id"] is None


def test_request_log_names_the_signed_in_user(
    client: Client, db: None, request_log: io.StringIO
) -> None:
    user = make_user()
    client.force_login(user)

    client.get("/")

    (line,) = log_lines(request_log)
    assert line["user_id"] == user.pk


def test_request_log_costs_no_query_for_a_page_that_never_reads_the_user(
    client: Client, db: None, request_log: io.StringIO, django_assert_num_queries: Any
) -> None:
    client.force_login(make_user())

    with django_assert_num_queries(1):  # SELECT 1 of the health check; no session, no user
        client.get("/healthz")

    assert log_lines(request_log)[0]["user_id"] is None


def test_request_log_leaves_out_a_password_reset_token(
    client: Client, db: None, request_log: io.StringIO
) -> None:
    client.get("/accounts/password/reset/MQ/c5x9zz-0123456789abcdef0123456789abcdef/")

    (line,) = log_lines(request_log)
    assert "0123456789abcdef" not in line["path"]
    assert line["path"] == "/accounts/password/reset/MQ/[token]/"


def reset_and_activation_links() -> list[tuple[str, str]]:
    """(link path, its secret token) for a real password reset, a real activation and a real
    link that switches follow-up reminders off."""
    active = make_user("reset@example.com")
    pending = make_user("pending@example.com", is_active=False)
    reset_token = default_token_generator.make_token(active)
    activation = activation_token.make_token(pending)
    return [
        (
            reverse(
                "accounts:password_reset_confirm",
                kwargs={
                    "uidb64": urlsafe_base64_encode(force_bytes(active.pk)),
                    "token": reset_token,
                },
            ),
            reset_token,
        ),
        (
            reverse(
                "accounts:activate",
                kwargs={
                    "uidb64": urlsafe_base64_encode(force_bytes(pending.pk)),
                    "token": activation,
                },
            ),
            activation,
        ),
        (reminders_stop_path(active), reminders_stop_path(active).split("/")[-2]),
    ]


def test_no_log_line_holds_a_reset_or_activation_token(
    client: Client, db: None, request_log: io.StringIO, plain_log: io.StringIO
) -> None:
    links = reset_and_activation_links()
    for path, _ in links:
        client.get(path)
        # A refused method makes Django log a warning that names the path as well.
        client.put(path)

    written = request_log.getvalue() + plain_log.getvalue()
    assert "Method Not Allowed (PUT): /accounts/activate/" in plain_log.getvalue()
    paths = [line["path"] for line in log_lines(request_log)]
    assert len(paths) == 6
    assert all("/[token]/" in path for path in paths)
    for _, token in links:
        assert token not in written


def test_other_log_lines_of_a_request_carry_its_request_id(
    client: Client, db: None, plain_log: io.StringIO
) -> None:
    client.get("/no-such-page/", headers={"X-Request-ID": "trace-404"})

    not_found = [line for line in plain_log.getvalue().splitlines() if "Not Found" in line]
    assert not_found
    assert "[trace-404]" in not_found[0]


def test_log_lines_outside_a_request_have_a_dash_for_request_id(
    request_log: io.StringIO,
) -> None:
    logging.getLogger("heavylegs.request").info("hello %s", "x")

    (line,) = log_lines(request_log)
    assert line["request_id"] == "-"
    assert line["message"] == "hello x"
    assert line["level"] == "INFO"
    assert line["time"].endswith("+00:00")


def test_an_exception_is_written_into_its_json_line(request_log: io.StringIO) -> None:
    try:
        raise ValueError("broken")
    except ValueError:
        logging.getLogger("heavylegs.request").exception("failed")

    (line,) = log_lines(request_log)
    assert line["message"] == "failed"
    assert "ValueError: broken" in line["exception"]


def test_request_id_is_forgotten_once_the_response_is_finished(client: Client, db: None) -> None:
    client.get("/about/", headers={"X-Request-ID": "finished-1"})
    record = logging.LogRecord("heavylegs", logging.INFO, __file__, 1, "after", None, None)

    RequestIdFilter().filter(record)

    assert record.request_id == "-"


# BACKUP AND RESTORE


# Run in a child process against a file database: migrate, load the knowledge base, then
# save episodes for three runners through the service the site itself uses.
SEED = """
import datetime, uuid
import django
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
call_command("load_knowledge_base", verbosity=0)
from accounts.models import User
from legs.assessment.engine import assess
from legs.knowledge.published import get_knowledge
from legs.history.services import RunContext, episode_create

knowledge = get_knowledge()
answer_sets = [
    {"warning_signs": ["none"], "timing": "early_then_eases", "warmup": "none"},
    {"warning_signs": ["none"], "sleep_hours": "under_6", "stress": "high"},
    {"warning_signs": ["one_leg_swollen_painful"]},
    {"warning_signs": ["none"], "symptoms": ["breathless_on_easy_runs"], "diet": "low_carb"},
]
for n in range(3):
    user = User.objects.create_user(email=f"runner{n}@example.com", password="unused-pass-42x")
    for i, answers in enumerate(answer_sets):
        episode_create(
            user=user,
            answers=answers,
            result=assess(answers, knowledge),
            knowledge=knowledge,
            run_context=RunContext(
                run_date=datetime.date(2026, 3, 1 + i),
                heaviness=1 + (n + i) % 10,
                notes=f"Run {i} of runner {n}: “hilly”, 'windy' <b>&</b>",
            ),
            token=uuid.uuid4(),
        )
"""

# Every table's row count, and every episode with what hangs off it, as JSON.
LISTING = """
import json
import django
django.setup()
from django.apps import apps
from legs.history.models import Episode

counts = {m._meta.db_table: m._default_manager.count() for m in apps.get_models()}
episodes = [
    {
        "pk": e.pk, "token": str(e.token), "owner": e.owner.email, "notes": e.notes,
        "run_date": e.run_date.isoformat(), "triage": e.triage, "result": e.result,
        "causes": [c.slug for c in e.causes.order_by("rank")],
        "remedies": sorted(r.title for r in e.remedies.all()),
    }
    for e in Episode.objects.select_related("owner").order_by("pk")
]
print(json.dumps({"counts": counts, "episodes": episodes}))
"""


def child_env(database_url: str) -> dict[str, str]:
    env = {key: os.environ[key] for key in ("PATH", "HOME", "LANG") if key in os.environ}
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        DEBUG="true",
        DATABASE_URL=database_url,
        CACHE_URL="locmemcache://operations-test",
        PYTHON=sys.executable,
    )
    return env


def run(command: list[str], database_url: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command,
        cwd=ROOT,
        env=child_env(database_url),
        capture_output=True,
        text=True,
        timeout=COMMAND_TIMEOUT,
        check=False,
    )


def run_ok(command: list[str], database_url: str) -> str:
    done = run(command, database_url)
    assert done.returncode == 0, f"{command} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def seed(database_url: str) -> None:
    run_ok([sys.executable, "-c", SEED], database_url)


def listing(database_url: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(run_ok([sys.executable, "-c", LISTING], database_url))
    return data


@pytest.mark.slow
def test_sqlite_backup_restores_every_row_into_a_fresh_database(tmp_path: Path) -> None:
    source = f"sqlite:///{tmp_path / 'site.sqlite3'}"
    restored = f"sqlite:///{tmp_path / 'fresh' / 'restored.sqlite3'}"
    seed(source)
    before = listing(source)

    backed_up = run_ok([str(SCRIPTS / "backup.sh"), str(tmp_path / "site.backup")], source)
    restore_output = run_ok([str(SCRIPTS / "restore.sh"), str(tmp_path / "site.backup")], restored)

    after = listing(restored)
    assert len(before["episodes"]) == 12
    assert before["counts"]["legs_episodecause"] > 0
    assert after == before
    assert "Backed up SQLite database" in backed_up
    assert "12 rows in legs_episode" in restore_output


@pytest.mark.slow
def test_sqlite_backup_holds_commits_still_in_the_wal_and_nothing_uncommitted(
    tmp_path: Path,
) -> None:
    """A plain file copy would miss commits that live only in the -wal file."""
    path = tmp_path / "site.sqlite3"
    source = f"sqlite:///{path}"
    seed(source)
    first, second = (e["pk"] for e in listing(source)["episodes"][:2])
    writer = sqlite3.connect(path, isolation_level=None)
    reader = sqlite3.connect(path)
    try:
        # The open reader keeps SQLite from folding the WAL back into the main file.
        reader.execute("BEGIN")
        reader.execute("SELECT count(*) FROM legs_episode").fetchone()
        writer.execute("PRAGMA wal_autocheckpoint=0")
        writer.execute("UPDATE legs_episode SET notes = 'committed' WHERE id = ?", (first,))
        assert (tmp_path / "site.sqlite3-wal").stat().st_size > 0
        writer.execute("BEGIN IMMEDIATE")
        writer.execute("UPDATE legs_episode SET notes = 'never committed' WHERE id = ?", (second,))

        run_ok([str(SCRIPTS / "backup.sh"), str(tmp_path / "copy.sqlite3")], source)
    finally:
        writer.close()
        reader.close()

    copy = sqlite3.connect(tmp_path / "copy.sqlite3")
    notes = dict(
        copy.execute("SELECT id, notes FROM legs_episode WHERE id IN (?, ?)", (first, second))
    )
    assert copy.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    copy.close()
    assert notes[first] == "committed"
    assert notes[second].startswith("Run 1 of runner 0")


@pytest.mark.slow
def test_restore_refuses_to_overwrite_a_database_without_force(tmp_path: Path) -> None:
    source = f"sqlite:///{tmp_path / 'site.sqlite3'}"
    seed(source)
    run_ok([str(SCRIPTS / "backup.sh"), str(tmp_path / "copy.sqlite3")], source)

    refused = run([str(SCRIPTS / "restore.sh"), str(tmp_path / "copy.sqlite3")], source)
    forced = run([str(SCRIPTS / "restore.sh"), "--force", str(tmp_path / "copy.sqlite3")], source)

    assert refused.returncode != 0
    assert "pass --force" in refused.stderr
    assert forced.returncode == 0, forced.stderr


def test_restore_of_a_missing_or_foreign_file_is_a_clear_error(tmp_path: Path) -> None:
    database = f"sqlite:///{tmp_path / 'target.sqlite3'}"
    junk = tmp_path / "notes.txt"
    junk.write_text("not a backup")

    missing = run([str(SCRIPTS / "restore.sh"), str(tmp_path / "nope.dump")], database)
    foreign = run([str(SCRIPTS / "restore.sh"), str(junk)], database)
    no_argument = run([str(SCRIPTS / "restore.sh")], database)

    assert missing.returncode != 0
    assert "there is no backup file" in missing.stderr
    assert foreign.returncode != 0
    assert "neither a SQLite database nor a pg_dump" in foreign.stderr
    assert no_argument.returncode != 0
    assert "usage:" in no_argument.stderr
    assert not (tmp_path / "target.sqlite3").exists()


def test_backup_of_a_missing_sqlite_database_is_a_clear_error(tmp_path: Path) -> None:
    done = run(
        [str(SCRIPTS / "backup.sh"), str(tmp_path / "copy.sqlite3")],
        f"sqlite:///{tmp_path / 'missing.sqlite3'}",
    )

    assert done.returncode != 0
    assert "there is no SQLite database" in done.stderr
    assert not (tmp_path / "copy.sqlite3").exists()


# PostgreSQL: only when the suite itself runs on PostgreSQL (CI's second pass).
POSTGRES_URL = os.environ.get("DATABASE_URL", "")
on_postgres = pytest.mark.skipif(
    not POSTGRES_URL.startswith(("postgres://", "postgresql://")),
    reason="DATABASE_URL is not PostgreSQL (the PostgreSQL pass of scripts/test.sh runs this)",
)


@pytest.fixture
def postgres_databases() -> Iterator[tuple[str, str]]:
    """Two empty databases of their own on the suite's server: the site and a fresh one."""
    import psycopg

    parts = urlsplit(POSTGRES_URL)
    server = parts._replace(path="/postgres").geturl()
    names = [f"heavylegs_backup_{kind}_{os.getpid()}" for kind in ("site", "fresh")]
    with psycopg.connect(server, autocommit=True) as admin:
        for name in names:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
            admin.execute(f'CREATE DATABASE "{name}"')
    try:
        site, fresh = (parts._replace(path=f"/{name}").geturl() for name in names)
        yield site, fresh
    finally:
        with psycopg.connect(server, autocommit=True) as admin:
            for name in names:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.mark.slow
@on_postgres
def test_postgres_backup_restores_every_row_into_a_fresh_database(
    tmp_path: Path, postgres_databases: tuple[str, str]
) -> None:
    source, fresh = postgres_databases
    seed(source)
    before = listing(source)

    run_ok([str(SCRIPTS / "backup.sh"), str(tmp_path / "site.dump")], source)
    restore_output = run_ok([str(SCRIPTS / "restore.sh"), str(tmp_path / "site.dump")], fresh)

    assert (tmp_path / "site.dump").read_bytes().startswith(b"PGDMP")
    assert len(before["episodes"]) == 12
    assert listing(fresh) == before
    assert "12 rows in legs_episode" in restore_output
    refused = run([str(SCRIPTS / "restore.sh"), str(tmp_path / "site.dump")], fresh)
    assert refused.returncode != 0
    assert "pass --force" in refused.stderr


# PREREQUISITES OF THE WHOLE CHECK


def test_the_test_script_names_each_missing_prerequisite_before_anything_long(
    tmp_path: Path,
) -> None:
    """A machine with no PostgreSQL cluster tools and no redis-server (only the few commands
    the check itself uses are on PATH): one line for each, and a stop before installing."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for command in ("dirname", "id", "ls"):
        (bin_dir / command).symlink_to(shutil.which(command) or f"/usr/bin/{command}")

    result = subprocess.run(
        ["/bin/bash", str(SCRIPTS / "test.sh")],
        cwd=tmp_path,
        env={"PATH": str(bin_dir), "HOME": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )

    assert result.returncode != 0
    missing = [line for line in result.stderr.splitlines() if line.startswith("Missing: ")]
    assert any("pg_ctlcluster" in line for line in missing), result.stderr
    assert any("redis-server" in line for line in missing), result.stderr
    assert len(missing) == len(set(missing))
    assert "==>" not in result.stdout
    assert "Installing" not in result.stdout


@pytest.mark.slow
def test_installing_the_project_prints_no_setuptools_notice() -> None:
    """The install script's pip step, as `make run` and `make test` use it: no boxed
    "Editable installation" warning on every install."""
    root = Path(__file__).resolve().parents[1]
    script = (root / "scripts" / "install.sh").read_text(encoding="utf-8")
    function = re.search(r"^pip_install\(\) \{.*?^\}$", script, flags=re.S | re.M)
    assert function is not None
    done = subprocess.run(
        ["bash", "-c", f'{function.group(0)}\npip_install --no-deps -e "$1"', "bash", str(root)],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "Editable installation" not in done.stdout + done.stderr
