#!/usr/bin/env bash
# Creates .venv and installs the project (with the test extra when asked). Fast when nothing changed.
set -euo pipefail
cd "$(dirname "$0")/.."
extra="${1:-}"
python=$(scripts/find-python.sh)
if [ ! -x .venv/bin/python ] || ! .venv/bin/python -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)'; then
  rm -rf .venv
  echo "Creating a virtual environment with $python"
  "$python" -m venv .venv
fi
# pip's notes about this machine's optional local package mirrors are noise, not problems.
# setuptools' "Editable installation" notice (a boxed warning about folders named like the
# package) is about layouts this project does not have; the build runs with it switched off.
pip_install() {
  PYTHONWARNINGS="ignore:Editable installation" .venv/bin/python -m pip install --quiet "$@" \
    2> >(grep -v "^WARNING: Location 'file://" >&2)
}
stamp=".venv/.installed-$(cat pyproject.toml | sha256sum | cut -c1-16)${extra:+-$extra}"
if [ ! -f "$stamp" ]; then
  echo "Installing Python packages into .venv"
  pip_install --upgrade pip
  if [ -n "$extra" ]; then
    pip_install -e ".[$extra]"
  else
    pip_install -e .
  fi
  touch "$stamp"
fi
