#!/usr/bin/env bash
# Serves the site as the Docker image does (collected static files, production settings,
# gunicorn with gunicorn.conf.py) on 127.0.0.1 over plain HTTP, for trying it out and for
# load tests. Not for the internet: HTTPS redirects and secure cookies are switched off.
#   scripts/serve-prod.sh            # http://127.0.0.1:8000/
#   PORT=8010 WEB_CONCURRENCY=4 scripts/serve-prod.sh
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install.sh
py=.venv/bin/python

export DEBUG=false
export SECURE_SSL_REDIRECT=false SECURE_COOKIES=false
export ALLOWED_HOSTS="${ALLOWED_HOSTS:-127.0.0.1,localhost}"
export GUNICORN_BIND="127.0.0.1:${PORT:-8000}"
if [ -z "${SECRET_KEY:-}" ] && ! grep -qs '^SECRET_KEY=.' .env; then
  # A fresh key per run: logins last until the server stops.
  SECRET_KEY=$($py -c 'import secrets; print(secrets.token_urlsafe(50))')
  export SECRET_KEY
fi

$py manage.py collectstatic --no-input --verbosity 0
$py manage.py migrate --no-input --verbosity 0
$py manage.py load_knowledge_base
echo "Serving production settings at http://${GUNICORN_BIND}/ (Ctrl+C stops)"
exec .venv/bin/gunicorn config.wsgi -c gunicorn.conf.py
