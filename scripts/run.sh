#!/usr/bin/env bash
# Installs, migrates, loads the knowledge base and serves the site on SQLite.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install.sh
key=$(.venv/bin/python -c 'import secrets; print(secrets.token_urlsafe(50))')
if [ ! -f .env ]; then
  printf 'DEBUG=true\nSECRET_KEY=%s\n' "$key" > .env
  echo "Wrote a local .env (DEBUG on, a fresh SECRET_KEY)."
elif grep -q '^SECRET_KEY=$' .env; then
  # A copy of .env.example: sessions should outlive a restart, so it gets a key of its own.
  sed -i "s|^SECRET_KEY=\$|SECRET_KEY=${key}|" .env
  echo "Wrote a fresh SECRET_KEY into .env."
fi
.venv/bin/python manage.py migrate --no-input -v0
.venv/bin/python manage.py load_knowledge_base
port="${PORT:-8000}"
cat <<MSG

  Heavy Legs is running at http://127.0.0.1:${port}/
  Admin: http://127.0.0.1:${port}/admin/
  Create an admin account with:  .venv/bin/python manage.py createsuperuser
  Background tasks (emails, reminders) run in a worker beside the web server.
  Stop both with Ctrl+C.

MSG
# The web server and the background worker run side by side; when either stops (Ctrl+C,
# an error), the other is stopped too and the script exits. Each runs in a process group
# of its own (set -m), so Ctrl+C reaches this script only, which stops each of them once:
# a second signal would make the worker abandon a task midway.
set -m
pids=()
stop() {
  trap - INT TERM EXIT
  kill -TERM "${pids[@]}" 2>/dev/null || true
  wait "${pids[@]}" 2>/dev/null || true
}
trap 'stop; exit 130' INT
trap 'stop; exit 143' TERM
trap stop EXIT
.venv/bin/python manage.py worker &
pids+=($!)
.venv/bin/python manage.py runserver "127.0.0.1:${port}" &
pids+=($!)
status=0
wait -n "${pids[@]}" || status=$?
exit "$status"
