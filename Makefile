.PHONY: run test lint install

run:  ## install, migrate, load the knowledge base and serve on http://127.0.0.1:8000/
	@scripts/run.sh

test:  ## install test tools (Chromium included), lint, type-check, then the suite on SQLite and PostgreSQL
	@scripts/test.sh

lint:
	@scripts/install.sh test && scripts/test.sh --lint-only
