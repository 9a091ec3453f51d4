# syntax=docker/dockerfile:1
# Heavy Legs production image: gunicorn serving config.wsgi, static files through WhiteNoise.
#
#   docker build -t heavy-legs .
#   docker run --rm -v heavy-legs-data:/data -e SECRET_KEY=... heavy-legs \
#       sh -c "python manage.py migrate --no-input && python manage.py load_knowledge_base"
#   docker run -d -p 8000:8000 -v heavy-legs-data:/data -e SECRET_KEY=... \
#       -e ALLOWED_HOSTS=heavylegs.example -e BEHIND_TLS_PROXY=true heavy-legs
#
# Migrations are a release step (the `release` service in docker-compose.yml), never part of
# the container's start: several app containers may start at once.
FROM python:3.12.12-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore

WORKDIR /app

# An unprivileged user runs the site; /data holds the SQLite database when no
# DATABASE_URL is given. The code itself stays owned by root, read-only for the site.
RUN groupadd --system --gid 10001 app \
    && useradd --system --uid 10001 --gid app --home-dir /app --no-create-home \
        --shell /usr/sbin/nologin app \
    && install --directory --owner=app --group=app --mode=0750 /data

# Dependencies before the code, so this layer is rebuilt only when pyproject.toml changes.
# The list is read from pyproject.toml itself: one source of truth for every install.
COPY pyproject.toml ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" > /tmp/requirements.txt \
    && pip install --no-cache-dir -r /tmp/requirements.txt \
    && rm /tmp/requirements.txt

COPY . .

# Hashed, compressed static files are built once, here. Settings refuse to load without a
# SECRET_KEY outside debug; this throwaway value lives only in this step's environment and
# signs nothing. Byte-compiling now saves work at every start (the code is read-only).
RUN SECRET_KEY=collectstatic-build-only-value DEBUG=false \
        python manage.py collectstatic --no-input --verbosity 0 \
    && python -m compileall -q config legs accounts worker

ENV DATABASE_URL=sqlite:////data/db.sqlite3

# Numeric, so orchestrators can verify that the user is not root.
USER 10001:10001

EXPOSE 8000

# /healthz checks the database. The Host header is the first ALLOWED_HOSTS entry, because
# Django answers 400 to hosts it does not serve; /healthz is exempt from the HTTPS redirect.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request as r; host = os.environ.get('ALLOWED_HOSTS', '').split(',')[0].strip().lstrip('*.') or 'localhost'; port = (os.environ.get('GUNICORN_BIND') or ':' + os.environ.get('PORT', '8000')).rpartition(':')[2]; r.urlopen(r.Request(f'http://127.0.0.1:{port}/healthz', headers={'Host': host}), timeout=4)"]

CMD ["gunicorn", "config.wsgi", "-c", "gunicorn.conf.py"]
