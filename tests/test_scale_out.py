"""Two app servers behind one imaginary load balancer, sharing PostgreSQL and Redis.

Two gunicorn instances run with production settings (over plain HTTP on 127.0.0.1) on one
PostgreSQL database of their own and one Redis database. One browser-like client with one
cookie jar moves between them mid-journey, as a load balancer without sticky sessions would
send it: nothing a runner does may depend on which server answers.
"""

from __future__ import annotations

import json
import re
import secrets
import subprocess
import sys
import time
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from benchmarks.journey import STEPS, activation_path
from tests.test_deploy import (
    Site,
    base_environment,
    free_port,
    run_command,
    stop,
    wait_until_healthy,
)

requests = pytest.importorskip("requests")
psycopg = pytest.importorskip("psycopg")
redis = pytest.importorskip("redis")

ROOT = Path(__file__).resolve().parent.parent
POSTGRES_SERVER = "postgres://postgres@127.0.0.1:5432/postgres"
DATABASE = "heavylegs_scaleout"
REDIS_URL = "redis://127.0.0.1:6379/5"
# Low enough to reach in a test; per hour, so a test never straddles a window by chance.
RATE = 4
WIZARD_PREFIX = "assessment_wizard"
# New accounts wait for a confirmation email, which these servers print to their console:
# the runners' accounts are made before the servers start, as if already confirmed.
LOCKOUT_RUNNER = "runner-lockout@example.com"
RUNNER_PASSWORD = secrets.token_urlsafe(16)
CREATE_RUNNERS = (
    "import os\n"
    "from accounts.models import User\n"
    "for email in os.environ['RUNNER_EMAILS'].split(','):\n"
    "    User.objects.create_user(email, os.environ['RUNNER_PASSWORD'])\n"
)

# The journey's full, valid set of answers, step by step.
ANSWERS = STEPS


def all_answers() -> dict[str, str | list[str]]:
    flat: dict[str, str | list[str]] = {}
    for step in ANSWERS.values():
        flat.update(step)
    return flat


@dataclass
class Cluster:
    a: Site
    b: Site
    env: dict[str, str]
    database_url: str

    def url(self, site: Site, path: str) -> str:
        return f"http://127.0.0.1:{site.port}{path}"


def reachable_or_skip() -> None:
    try:
        psycopg.connect(POSTGRES_SERVER, connect_timeout=3).close()
    except psycopg.OperationalError as error:
        pytest.skip(f"PostgreSQL is not reachable at {POSTGRES_SERVER}: {error}")
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3).ping()
    except redis.RedisError as error:
        pytest.skip(f"Redis is not reachable at {REDIS_URL}: {error}")


def fresh_database() -> str:
    with psycopg.connect(POSTGRES_SERVER, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{DATABASE}"')
    return POSTGRES_SERVER.rsplit("/", 1)[0] + f"/{DATABASE}"


def start_server(env: dict[str, str], tmp: Path, name: str) -> tuple[Site, subprocess.Popen[bytes]]:
    port = free_port()
    site_env = env | {"GUNICORN_BIND": f"127.0.0.1:{port}"}
    log = tmp / f"gunicorn-{name}.log"
    site = Site(app_dir=ROOT, env=site_env, port=port, log=log)
    with log.open("wb") as log_file:
        process = subprocess.Popen(
            ["gunicorn", "config.wsgi", "-c", "gunicorn.conf.py"],
            cwd=ROOT,
            env=site_env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        wait_until_healthy(site, process)
    except BaseException:
        stop(process)
        raise
    return site, process


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    reachable_or_skip()
    tmp = tmp_path_factory.mktemp("scale-out")
    redis.Redis.from_url(REDIS_URL).flushdb()
    database_url = fresh_database()
    env = base_environment(tmp) | {
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DATABASE_URL": database_url,
        "CACHE_URL": REDIS_URL,
        "STATIC_ROOT": str(tmp / "staticfiles"),
        "SECURE_SSL_REDIRECT": "false",
        "SECURE_COOKIES": "false",
        # Each test sends its own client address through the (pretend) proxy.
        "PROXY_COUNT": "1",
        "RATELIMIT_RATE": f"{RATE}/h",
        "AXES_FAILURE_LIMIT": "3",
        "WEB_CONCURRENCY": "2",
        "GUNICORN_THREADS": "2",
        # Emails are sent inside the request, so each server's log holds the ones it sent.
        "TASKS_BACKEND": "immediate",
    }
    python = [sys.executable, "manage.py"]
    run_command([*python, "collectstatic", "--no-input", "--verbosity", "0"], cwd=ROOT, env=env)
    run_command([*python, "migrate", "--no-input", "--verbosity", "0"], cwd=ROOT, env=env)
    run_command([*python, "load_knowledge_base", "--verbosity", "0"], cwd=ROOT, env=env)
    run_command(
        [*python, "shell", "-c", CREATE_RUNNERS],
        cwd=ROOT,
        env=env
        | {
            "RUNNER_EMAILS": LOCKOUT_RUNNER,
            "RUNNER_PASSWORD": RUNNER_PASSWORD,
        },
    )

    processes: list[subprocess.Popen[bytes]] = []
    try:
        a, process_a = start_server(env, tmp, "a")
        processes.append(process_a)
        b, process_b = start_server(env, tmp, "b")
        processes.append(process_b)
        yield Cluster(a=a, b=b, env=env, database_url=database_url)
    finally:
        for process in processes:
            stop(process)
        with psycopg.connect(POSTGRES_SERVER, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')


# A BROWSER-LIKE CLIENT


def new_client(address: str) -> Any:
    """One cookie jar for both servers (cookies ignore the port), as one browser has."""
    client = requests.Session()
    client.headers["X-Forwarded-For"] = address
    return client


def csrf(client: Any) -> str:
    return str(client.cookies.get("csrftoken"))


def post(client: Any, url: str, data: dict[str, Any]) -> Any:
    return client.post(
        url, data={"csrfmiddlewaretoken": csrf(client), **data}, allow_redirects=False
    )


def log_in(cluster: Cluster, site: Site, client: Any, email: str) -> str:
    assert client.get(cluster.url(site, "/accounts/login/")).status_code == 200
    response = post(
        client,
        cluster.url(site, "/accounts/login/"),
        {"username": email, "password": RUNNER_PASSWORD},
    )
    assert response.status_code == 302, response.text[:2000]
    return email


def sign_up(cluster: Cluster, site: Site, client: Any, confirm_on: Site) -> str:
    """Sign up on `site`, then open the emailed confirmation link on `confirm_on`."""
    email = f"runner-{secrets.token_hex(4)}@example.com"
    password = secrets.token_urlsafe(16)
    assert client.get(cluster.url(site, "/accounts/signup/")).status_code == 200
    response = post(
        client,
        cluster.url(site, "/accounts/signup/"),
        {
            "email": email,
            "display_name": "Two servers",
            "distance_unit": "km",
            "password1": password,
            "password2": password,
        },
    )
    assert response.status_code == 302, response.text[:2000]
    assert response.headers["Location"] == "/accounts/signup/sent/"
    # The console mailer writes the email to the standard output of the server that sent it.
    link = None
    for _ in range(50):
        link = activation_path(site.log_text(), email)
        if link:
            break
        time.sleep(0.1)
    assert link, f"no confirmation email to {email} in the log of server {site.port}"
    confirmed = client.get(cluster.url(confirm_on, link), allow_redirects=False)
    assert confirmed.status_code == 302, confirmed.text[:2000]
    return email


def answer_step(cluster: Cluster, site: Site, client: Any, step: str) -> str:
    data: dict[str, Any] = {f"{WIZARD_PREFIX}-current_step": step}
    data.update({f"{step}-{key}": value for key, value in ANSWERS[step].items()})
    response = post(client, cluster.url(site, f"/assessment/{step}/"), data)
    assert response.status_code == 302, f"step {step} was refused:\n{response.text[:3000]}"
    return str(response.headers["Location"])


def take_assessment(cluster: Cluster, client: Any, servers: dict[str, Site]) -> str:
    """Every step on the server named for it; returns the result page's HTML."""
    first = servers["safety"]
    assert client.get(cluster.url(first, "/assessment/")).status_code == 200
    location = ""
    for step in ANSWERS:
        location = answer_step(cluster, servers[step], client, step)
    last = servers["health"]
    # The last step leads to "Check your answers"; "See my result" there gives the result.
    assert location == "/assessment/check-answers/"
    assert client.get(cluster.url(last, location)).status_code == 200
    location = post(client, cluster.url(last, location), {}).headers["Location"]
    assert location == "/assessment/result/"
    result = client.get(cluster.url(last, location))
    assert result.status_code == 200
    return str(result.text)


def result_section(html: str) -> str:
    """The result itself (triage, warnings, causes): what must not depend on the server."""
    start = html.index('<h1 class="h3 mb-3">Your result</h1>')
    end = html.index('<aside class="alert alert-light border mt-4"', start)
    return html[start:end]


def diagnose(cluster: Cluster, answers: dict[str, Any]) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "manage.py", "diagnose", "-"],
        cwd=ROOT,
        env=cluster.env,
        input=json.dumps(answers),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    result: dict[str, Any] = json.loads(done.stdout)
    return result


# THE JOURNEY


@pytest.mark.slow
def test_wizard_begun_on_one_server_finishes_and_saves_on_the_other(cluster: Cluster) -> None:
    a, b = cluster.a, cluster.b
    client = new_client("198.51.100.10")
    email = sign_up(cluster, a, client, confirm_on=b)
    half_and_half = {step: a if i < 3 else b for i, step in enumerate(ANSWERS)}

    result_html = take_assessment(cluster, client, half_and_half)
    token = re.search(r'name="token" value="([0-9a-f-]{36})"', result_html)
    assert token, "the result page on server B has no save form"
    saved = post(
        client,
        cluster.url(b, "/history/save/"),
        {"token": token.group(1), "run_date": date.today().isoformat(), "unit": "km"},
    )
    # The same form sent again (a double click, a retry through the other server).
    again = post(
        client,
        cluster.url(a, "/history/save/"),
        {"token": token.group(1), "run_date": date.today().isoformat(), "unit": "km"},
    )

    assert saved.status_code == 302, saved.text[:3000]
    episode_path = saved.headers["Location"]
    assert re.fullmatch(r"/history/\d+/", episode_path)
    assert again.headers["Location"] == episode_path
    assert client.get(cluster.url(a, episode_path)).status_code == 200
    with psycopg.connect(cluster.database_url) as db:
        rows = db.execute(
            "SELECT e.answers, e.result FROM legs_episode e "
            "JOIN accounts_user u ON u.id = e.owner_id WHERE u.email = %s",
            (email,),
        ).fetchall()
        total = db.execute("SELECT count(*) FROM legs_episode").fetchone()
    assert len(rows) == 1
    assert total == (1,)
    answers, result = rows[0]
    assert answers == all_answers()
    assert result == diagnose(cluster, all_answers())
    assert result["triage"] == "self_care"
    assert result["causes"]

    # The same answers on a single server give the very same result page.
    single = take_assessment(cluster, new_client("198.51.100.11"), dict.fromkeys(ANSWERS, a))
    assert result_section(single) == result_section(result_html)


@pytest.mark.slow
def test_sessions_and_login_lockout_live_in_the_shared_redis(cluster: Cluster) -> None:
    # A logged-in session (from another address, whose tries count apart).
    log_in(cluster, cluster.a, new_client("198.51.100.21"), LOCKOUT_RUNNER)
    client = new_client("198.51.100.20")
    email = LOCKOUT_RUNNER
    keys = redis.Redis.from_url(REDIS_URL)

    # Three wrong passwords, spread over both servers, lock the account on both.
    statuses = []
    for site in (cluster.a, cluster.b, cluster.a):
        client.get(cluster.url(site, "/accounts/login/"))
        wrong = {"username": email, "password": "not-the-password"}
        statuses.append(post(client, cluster.url(site, "/accounts/login/"), wrong).status_code)
    locked = post(
        client,
        cluster.url(cluster.b, "/accounts/login/"),
        {"username": email, "password": "not-the-password-either"},
    )

    assert statuses[:2] == [200, 200]
    assert locked.status_code == 429
    assert "Logging in is paused" in locked.text
    assert keys.keys("*sessions.cached_db*"), "sessions are not cached in Redis"
    assert keys.keys("*axes*"), "login failures are not counted in Redis"


def wait_for_a_fresh_window(address: str) -> None:
    """Never start the count in the last seconds of a one-hour window. django-ratelimit ends
    each address's window at its own point in the hour: crc32 of the address, in seconds."""
    left = (zlib.crc32(address.encode()) - time.time()) % 3600
    if left < 30:
        time.sleep(left + 1)


@pytest.mark.slow
def test_rate_limit_on_log_in_is_counted_across_both_servers(cluster: Cluster) -> None:
    wait_for_a_fresh_window("198.51.100.30")
    client = new_client("198.51.100.30")
    client.get(cluster.url(cluster.a, "/accounts/login/"))
    statuses = []
    for attempt in range(RATE + 1):
        site = (cluster.a, cluster.b)[attempt % 2]
        # A different address each time, so the login lockout never steps in first.
        data = {"username": f"nobody{attempt}@example.com", "password": "wrong-password"}
        statuses.append(post(client, cluster.url(site, "/accounts/login/"), data))

    assert [r.status_code for r in statuses[:RATE]] == [200] * RATE
    blocked = statuses[RATE]
    assert blocked.status_code == 429
    assert "Too many tries" in blocked.text
    assert int(blocked.headers["Retry-After"]) > 0
    # Another client address is not affected.
    other = new_client("198.51.100.31")
    other.get(cluster.url(cluster.b, "/accounts/login/"))
    fine = post(
        other,
        cluster.url(cluster.b, "/accounts/login/"),
        {"username": "someone@example.com", "password": "wrong-password"},
    )
    assert fine.status_code == 200
