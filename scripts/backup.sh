#!/usr/bin/env bash
# Backs up the database that DATABASE_URL names (from the environment or .env; default
# db.sqlite3 beside manage.py) while the site keeps running.
#   scripts/backup.sh                        # backups/heavylegs-<date>-<time>.sqlite3 or .dump
#   scripts/backup.sh /srv/backups/today.dump
# SQLite: a consistent copy through SQLite's online backup API, safe with WAL and with
#         writers at work; the copy is one self-contained file, checked for integrity.
# PostgreSQL: pg_dump's custom format (-Fc), for scripts/restore.sh or pg_restore.
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
from datetime import datetime
from pathlib import Path

import environ

ROOT = Path.cwd()


def fail(message: str) -> None:
    print(f"backup: {message}", file=sys.stderr)
    sys.exit(1)


if len(sys.argv) > 2 or (len(sys.argv) == 2 and sys.argv[1].startswith("-")):
    fail("usage: scripts/backup.sh [BACKUP_FILE]")
environ.Env.read_env(ROOT / ".env", overwrite=False)
url = os.environ.get("DATABASE_URL") or f"sqlite:///{ROOT / 'db.sqlite3'}"
try:
    config = environ.Env.db_url_config(url)
except Exception as error:
    fail(f"DATABASE_URL is not a database address ({error}).")
engine = config["ENGINE"]
sqlite = engine.endswith("sqlite3")
if not sqlite and not engine.endswith("postgresql"):
    fail(f"only SQLite and PostgreSQL are supported, not {engine}.")

stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
default = ROOT / "backups" / f"heavylegs-{stamp}.{'sqlite3' if sqlite else 'dump'}"
target = Path(sys.argv[1]) if len(sys.argv) == 2 else default
if target.exists():
    fail(f"{target} already exists; choose another name.")
target.parent.mkdir(parents=True, exist_ok=True)
partial = target.with_name(target.name + ".partial")

if sqlite:
    source_path = Path(config["NAME"])
    if not source_path.is_file():
        fail(f"there is no SQLite database at {source_path}.")
    source = sqlite3.connect(f"file:{source_path}?mode=ro", uri=True, timeout=30)
    copy = sqlite3.connect(partial)
    try:
        # One step: the copy is the database as of one moment, whatever writers do meanwhile.
        source.backup(copy)
        copy.execute("PRAGMA journal_mode=DELETE")  # one file, no -wal beside it
        check = copy.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        copy.close()
        source.close()
    if check != "ok":
        partial.unlink()
        fail(f"the copy failed SQLite's integrity check: {check}")
else:
    if shutil.which("pg_dump") is None:
        fail("pg_dump is not installed (Debian: apt-get install postgresql-client).")
    env = dict(os.environ)
    if config.get("PASSWORD"):
        env["PGPASSWORD"] = str(config["PASSWORD"])
    command = ["pg_dump", "--format=custom", "--no-owner", "--no-privileges", f"--file={partial}"]
    for option, key in (("--host", "HOST"), ("--port", "PORT"), ("--username", "USER")):
        if config.get(key):
            command.append(f"{option}={config[key]}")
    command.append(f"--dbname={config['NAME']}")
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        partial.unlink(missing_ok=True)
        fail(f"pg_dump failed: {done.stderr.strip()}")

partial.rename(target)
size = target.stat().st_size
print(f"Backed up {'SQLite' if sqlite else 'PostgreSQL'} database to {target} ({size:,} bytes)")
PY
