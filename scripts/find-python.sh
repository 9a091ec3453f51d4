#!/usr/bin/env bash
# Prints a Python 3.12+ interpreter, or explains what is missing and fails.
set -euo pipefail
for candidate in "${PYTHON:-}" python3.13 python3.12 python3; do
  [ -n "$candidate" ] || continue
  if command -v "$candidate" >/dev/null 2>&1 \
     && "$candidate" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' 2>/dev/null; then
    command -v "$candidate"
    exit 0
  fi
done
echo "Heavy Legs needs Python 3.12 or newer (Django 6.1 requires it)." >&2
echo "Install python3.12 or set PYTHON=/path/to/python3.12 and try again." >&2
exit 1
