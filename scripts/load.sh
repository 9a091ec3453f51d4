#!/usr/bin/env bash
# Load test: gunicorn with production settings on 127.0.0.1, locust headless for a bounded
# time, then a check of the database (see benchmarks/load.py). One command:
#   scripts/load.sh                    # SQLite, 50 runners, 60 s
#   scripts/load.sh postgres 50 60     # PostgreSQL (started here if it is down)
# Writes benchmarks/results/load-<db>.md; exits non-zero when a check fails.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install.sh test >/dev/null
db=${1:-sqlite}
if [ "$db" = postgres ] && ! pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; then
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql)" main start
  for _ in $(seq 1 30); do pg_isready -h 127.0.0.1 -p 5432 -q && break; sleep 1; done
fi
exec .venv/bin/python benchmarks/load.py "$@"
