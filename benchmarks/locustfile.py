"""Runners who sign up, take the whole assessment and save each result to their history.

Run by scripts/load.sh (benchmarks/load.py), which starts the server and checks the database
afterwards against what the clients recorded here: the episode id and save-form token of
every save that the server confirmed. Some saves are sent twice, as a double click would.
"""

from __future__ import annotations

import json
import os
import random
import re
import secrets
import sys
import threading
import time
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from locust import between, events, task
from locust.contrib.fasthttp import FastHttpUser

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from benchmarks.journey import (  # noqa: E402 - the project is put on the path just above
    EPISODE_PATH,
    SAVE_TOKEN,
    activation_path,
    csrf_token,
    random_steps,
    step_data,
)

FORM = {"Content-Type": "application/x-www-form-urlencoded"}
DOUBLE_SUBMIT_SHARE = 0.2
RESULT_PATH = "/assessment/result/"

_saved: list[dict[str, Any]] = []
_saved_lock = threading.Lock()


class StepRefused(Exception):
    pass


def confirmation_link(email: str) -> str | None:
    """The runner opens their mailbox: the console mailer's output in the server log."""
    log = os.environ.get("LOAD_SERVER_LOG")
    if not log:
        return None
    for _ in range(50):
        link = activation_path(Path(log).read_text(errors="replace"), email)
        if link:
            return link
        time.sleep(0.1)
    return None


class Runner(FastHttpUser):
    wait_time = between(0.1, 0.5)

    def on_start(self) -> None:
        self.rng = random.Random(secrets.randbits(32))
        self.email = f"load-{secrets.token_hex(6)}@example.com"
        self.confirmed = False
        try:
            self.sign_up()
        except StepRefused:
            return

    def sign_up(self) -> None:
        """Sign up, then confirm the address with the link from the email, as a runner does."""
        password = secrets.token_urlsafe(16)
        page = self.get("/accounts/signup/", "GET /accounts/signup/")
        self.post(
            "/accounts/signup/",
            "POST /accounts/signup/",
            {
                "csrfmiddlewaretoken": csrf_token(page),
                "email": self.email,
                "display_name": "Load test",
                "distance_unit": "km",
                "password1": password,
                "password2": password,
            },
            expect="/accounts/signup/sent/",
        )
        link = confirmation_link(self.email)
        if link is None:
            self.environment.events.request.fire(
                request_type="MAIL",
                name="confirmation email",
                response_time=0,
                response_length=0,
                exception=StepRefused(f"no confirmation email to {self.email}"),
                context={},
            )
            raise StepRefused("no confirmation email")
        self.confirmed = self.get_redirect(link, "GET /accounts/activate/[link]/") == "/"

    # HTTP helpers: every request names its endpoint, redirects are followed by hand, and
    # a response other than the expected one counts as a failure.

    def get(self, path: str, name: str) -> str:
        with self.client.get(path, name=name, catch_response=True) as response:
            if response.status_code != 200:
                response.failure(f"{response.status_code}")
                raise StepRefused(f"{name} answered {response.status_code}")
            return str(response.text)

    def post(
        self, path: str, name: str, data: dict[str, Any], expect: str | re.Pattern[str] = ""
    ) -> str:
        with self.client.post(
            path,
            name=name,
            data=urlencode(data, doseq=True),
            headers=FORM,
            allow_redirects=False,
            catch_response=True,
        ) as response:
            location = response.headers.get("Location") if response.headers else None
            if response.status_code != 302 or not location:
                response.failure(f"{response.status_code} instead of a redirect")
                raise StepRefused(f"{name} answered {response.status_code}")
            wrong = (
                not re.match(expect, location)
                if isinstance(expect, re.Pattern)
                else bool(expect) and location != expect
            )
            if wrong:
                response.failure(f"redirected to {location}")
                raise StepRefused(f"{name} went to {location}")
            return str(location)

    def get_redirect(self, path: str, name: str) -> str:
        with self.client.get(
            path, name=name, allow_redirects=False, catch_response=True
        ) as response:
            location = response.headers.get("Location") if response.headers else None
            if response.status_code != 302 or not location:
                response.failure(f"{response.status_code} instead of a redirect")
                raise StepRefused(f"{name} answered {response.status_code}")
            return str(location)

    @task
    def assess_and_save(self) -> None:
        if not self.confirmed:
            self.stop()
            return
        try:
            self.take_assessment()
        except StepRefused:
            return

    def take_assessment(self) -> None:
        steps = random_steps(self.rng)
        self.client.get(
            "/assessment/?reset=1", name="GET /assessment/?reset=1", allow_redirects=False
        )
        location = "/assessment/safety/"
        for step, answers in steps.items():
            page = self.get(location, f"GET /assessment/{step}/")
            location = self.post(
                location, f"POST /assessment/{step}/", step_data(step, answers, csrf_token(page))
            )
            if location == RESULT_PATH:
                break  # a warning sign ends the questionnaire early
        if location.endswith("/check-answers/"):
            page = self.get(location, "GET /assessment/check-answers/")
            location = self.post(
                location,
                "POST /assessment/check-answers/",
                {"csrfmiddlewaretoken": csrf_token(page)},
            )
            if location != RESULT_PATH:
                return
        result = self.get(RESULT_PATH, "GET /assessment/result/")
        match = SAVE_TOKEN.search(result)
        if match is None:
            raise StepRefused("the result page has no save form")
        form = {
            "csrfmiddlewaretoken": csrf_token(result),
            "token": match.group(1),
            "run_date": date.today().isoformat(),
            "unit": "km",
            "heaviness": str(self.rng.randint(1, 10)),
            "notes": "Load test <b>run</b> & “quotes”",
        }
        episode = self.post("/history/save/", "POST /history/save/", form, expect=EPISODE_PATH)
        if self.rng.random() < DOUBLE_SUBMIT_SHARE:
            self.post("/history/save/", "POST /history/save/ (again)", form, expect=episode)
        found = EPISODE_PATH.match(episode)
        assert found is not None  # noqa: S101 - checked by post() above
        with _saved_lock:
            _saved.append({"email": self.email, "token": match.group(1), "id": int(found[1])})
        self.get(episode, "GET /history/[id]/")
        if self.rng.random() < 0.25:
            self.get("/history/", "GET /history/")


@events.quitting.add_listener
def _write_saved(environment: Any, **kwargs: Any) -> None:
    target = os.environ.get("LOAD_RECORD")
    if target:
        Path(target).write_text(json.dumps(_saved))
