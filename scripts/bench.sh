#!/usr/bin/env bash
# Page benchmark: every page's throughput against a minimal Django page served by the same
# gunicorn, history and insights with 10 and 10,000 episodes, the API's POST /api/v1/assessments
# (wrk with a Lua script), each page's queries, the engine's assessments per CPU second and a
# worker's peak memory (see benchmarks/pages.py). One command:
#   scripts/bench.sh                   # SQLite, 5 rounds of 2 s per page and ceiling
#   scripts/bench.sh postgres --seconds 3 --rounds 7
#   scripts/bench.sh sqlite --only API --output benchmarks/results/api.md   # some pages only
# Writes benchmarks/results/pages.md; exits non-zero when a target is missed.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install.sh test >/dev/null
if ! command -v wrk >/dev/null; then
  echo "Installing wrk (HTTP benchmarking tool) from Debian"
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends wrk >/dev/null
  else
    sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends wrk >/dev/null
  fi
fi
if [ "${1:-sqlite}" = postgres ] && ! pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; then
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql)" main start
  for _ in $(seq 1 30); do pg_isready -h 127.0.0.1 -p 5432 -q && break; sleep 1; done
fi
exec .venv/bin/python benchmarks/pages.py "$@"
