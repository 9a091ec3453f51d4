#!/usr/bin/env bash
# Restores a backup made by scripts/backup.sh into the database that DATABASE_URL names
# (from the environment or .env; default db.sqlite3 beside manage.py).
#   scripts/restore.sh backups/heavylegs-20260301-0300.sqlite3
#   scripts/restore.sh --force backups/heavylegs-20260301-0300.dump   # replace existing data
# Stop the app servers first. A database that already holds tables is only replaced with
# --force. PostgreSQL: the database must exist (createdb NAME); it is filled in one
# transaction, so a failed restore leaves it as it was.
set -euo pipefail
cd "$(dirname "$0")/.."
py=${PYTHON:-.venv/bin/python}
[ -x "$py" ] || py=python3

exec "$py" - "$@" <<'PY'
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import environ

ROOT = Path.cwd()
COUNTED = ("accounts_user", "legs_episode", "legs_cause")


def fail(message: str) -> None:
    print(f"restore: {message}", file=sys.stderr)
    sys.exit(1)


arguments = sys.argv[1:]
force = "--force" in arguments
files = [a for a in arguments if a != "--force"]
if len(files) != 1 or files[0].startswith("-"):
    fail("usage: scripts/restore.sh [--force] BACKUP_FILE")
backup = Path(files[0])
if not backup.is_file():
    fail(f"there is no backup file at {backup}.")
with backup.open("rb") as handle:
    magic = handle.read(16)
if magic.startswith(b"SQLite format 3\x00"):
    kind = "sqlite"
elif magic.startswith(b"PGDMP"):
    kind = "postgres"
else:
    fail(f"{backup} is neither a SQLite database nor a pg_dump custom-format file.")

environ.Env.read_env(ROOT / ".env", overwrite=False)
url = os.environ.get("DATABASE_URL") or f"sqlite:///{ROOT / 'db.sqlite3'}"
try:
    config = environ.Env.db_url_config(url)
except Exception as error:
    fail(f"DATABASE_URL is not a database address ({error}).")
engine = config["ENGINE"]
target_kind = "sqlite" if engine.endswith("sqlite3") else "postgres" if engine.endswith("postgresql") else engine
if target_kind != kind:
    fail(f"{backup} is a {kind} backup but DATABASE_URL is a {target_kind} database.")

if kind == "sqlite":
    target = Path(config["NAME"])
    target.parent.mkdir(parents=True, exist_ok=True)
    source = sqlite3.connect(f"file:{backup}?mode=ro", uri=True)
    if source.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
        fail(f"{backup} fails SQLite's integrity check.")
    copy = sqlite3.connect(target, timeout=30)
    tables = copy.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table'").fetchone()[0]
    if tables and not force:
        fail(f"{target} already holds {tables} tables; pass --force to replace them.")
    source.backup(copy)
    copy.execute("PRAGMA journal_mode=WAL")
    counts = {}
    for table in COUNTED:
        try:
            counts[table] = copy.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0]
        except sqlite3.OperationalError:
            pass
    copy.close()
    source.close()
    where = str(target)
else:
    import psycopg

    if shutil.which("pg_restore") is None:
        fail("pg_restore is not installed (Debian: apt-get install postgresql-client).")
    connect = {
        key.lower().replace("name", "dbname"): str(config[key])
        for key in ("NAME", "USER", "PASSWORD", "HOST", "PORT")
        if config.get(key)
    }
    try:
        with psycopg.connect(**connect) as connection:
            tables = connection.execute(
                "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'"
            ).fetchone()[0]
    except psycopg.OperationalError as error:
        fail(f"cannot connect to the database (create it first with createdb): {error}")
    if tables and not force:
        fail(f"database {config['NAME']} already holds {tables} tables; pass --force to replace them.")
    env = dict(os.environ)
    if config.get("PASSWORD"):
        env["PGPASSWORD"] = str(config["PASSWORD"])
    command = ["pg_restore", "--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction"]
    if force:
        command += ["--clean", "--if-exists"]
    for option, key in (("--host", "HOST"), ("--port", "PORT"), ("--username", "USER")):
        if config.get(key):
            command.append(f"{option}={config[key]}")
    command += [f"--dbname={config['NAME']}", str(backup)]
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        fail(f"pg_restore failed, nothing was changed: {done.stderr.strip()}")
    counts = {}
    with psycopg.connect(**connect) as connection:
        for table in COUNTED:
            exists = connection.execute("SELECT to_regclass(%s)", (table,)).fetchone()[0]
            if exists:
                counts[table] = connection.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0]
    where = f"database {config['NAME']}"

summary = ", ".join(f"{count} rows in {table}" for table, count in counts.items())
print(f"Restored {backup} into {where}: {summary or 'no Heavy Legs tables found'}")
PY
