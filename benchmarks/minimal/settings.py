"""The project's own settings (middleware, sessions, security headers…) with a one-view URLconf.

Served by the same gunicorn configuration as the site, the page below is the ceiling that
benchmarks/pages.py measures every real page against.
"""

from __future__ import annotations

from config.settings import *  # noqa: F403 - every setting, exactly as the site has it

ROOT_URLCONF = "benchmarks.minimal.urls"
