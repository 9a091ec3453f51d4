#!/usr/bin/env bash
# Installs, migrates, loads the knowledge base and serves the site on SQLite.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install.sh
if [ ! -f .env ]; then
  key=$(.venv/bin/python -c 'import secrets; print(secrets.token_urlsafe(50))')
  printf 'DEBUG=true\nSECRET_KEY=%s\n' "$key" > .env
  echo "Wrote a local .env (DEBUG on, a fresh SECRET_KEY)."
fi
.venv/bin/python manage.py migrate --no-input -v0
.venv/bin/python manage.py load_knowledge_base
port="${PORT:-8000}"
cat <<MSG

  Heavy Legs is running at http://127.0.0.1:${port}/
  Admin: http://127.0.0.1:${port}/admin/
  Create an admin account with:  .venv/bin/python manage.py createsuperuser
  Stop with Ctrl+C.

MSG
exec .venv/bin/python manage.py runserver "127.0.0.1:${port}"
