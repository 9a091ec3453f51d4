"""Public knowledge-base pages: causes index, cause page, FAQ and warning signs."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from legs.knowledge.models import Category, Cause, Faq, Remedy, RemedyKind, Source
from tests.factories import make_cause, make_choice, make_question, make_staff, make_step, make_user

pytestmark = pytest.mark.django_db

CAUSES_URL = reverse("knowledge:cause_list")
FAQ_URL = reverse("knowledge:faq")
WARNINGS_URL = reverse("knowledge:warning_signs")


def html(response: Any) -> str:
    return str(response.content.decode())


def title_and_description(response: Any) -> tuple[str, str]:
    page = html(response)
    title = re.search(r"<title>\s*(.*?)\s*</title>", page, re.S)
    description = re.search(r'<meta name="description"\s+content="([^"]*)"', page)
    assert title and description
    return " ".join(title.group(1).split()), description.group(1)


def make_causes(count: int) -> list[Cause]:
    categories = Category.values
    causes = []
    for n in range(count):
        cause = make_cause(f"cause-{n}", category=categories[n % len(categories)], order=n)
        Remedy.objects.create(cause=cause, title=f"Remedy {n}", kind=RemedyKind.NOW)
        Source.objects.create(cause=cause, title=f"Source {n}", url="https://example.com/")
        faq = Faq.objects.create(slug=f"faq-{n}", question=f"Question {n}?", answer="Answer.")
        faq.causes.add(cause)
        causes.append(cause)
    return causes


@pytest.fixture
def staff_client(client: Client) -> Client:
    client.force_login(make_staff())
    return client


# CAUSES INDEX --------------------------------------------------------------------------


def test_causes_index_groups_published_causes_by_category_in_order(client: Client) -> None:
    make_cause("poor-sleep", name="Poor sleep", category=Category.RECOVERY)
    make_cause("iron-deficiency", name="Low iron", category=Category.MEDICAL)
    make_cause("load-spike", name="Load spike", category=Category.TRAINING, order=2)
    make_cause("insufficient-warmup", name="No warm-up", category=Category.TRAINING, order=1)
    make_cause("secret", name="Hidden cause", published=False)
    response = client.get(CAUSES_URL)
    assert response.status_code == 200
    # The view hands the groups over as a function, drawn only when the cards are not cached.
    groups = [(label, [c.slug for c in items]) for _, label, items in response.context["groups"]()]
    assert groups == [
        ("Training", ["insufficient-warmup", "load-spike"]),
        ("Recovery", ["poor-sleep"]),
        ("Medical", ["iron-deficiency"]),
    ]
    page = html(response)
    assert page.index("No warm-up") < page.index("Load spike") < page.index("Poor sleep")
    assert "Hidden cause" not in page
    assert 'href="/causes/poor-sleep/"' in page


def test_causes_index_lists_only_published_causes_even_for_staff(
    staff_client: Client,
) -> None:
    make_cause("secret", name="Hidden cause", published=False)
    assert "Hidden cause" not in html(staff_client.get(CAUSES_URL))


def test_causes_index_has_a_title_and_description(client: Client) -> None:
    title, description = title_and_description(client.get(CAUSES_URL))
    assert title.startswith("Causes of heavy legs when running")
    assert "causes of heavy legs" in description


@pytest.mark.parametrize("count", [3, 30])
def test_causes_index_queries_stay_constant(
    client: Client, django_assert_num_queries: Any, count: int
) -> None:
    make_causes(count)
    # 1 the knowledge revision (the cards' fragment key), 2 the published causes
    with django_assert_num_queries(2):
        response = client.get(CAUSES_URL)
    assert len([c for _, _, items in response.context["groups"]() for c in items]) == count
    # The cards are kept per revision: the next visit reads only the revision.
    with django_assert_num_queries(1):
        again = client.get(CAUSES_URL)
    assert again.content == response.content


# CAUSE PAGE ----------------------------------------------------------------------------


def full_cause() -> Cause:
    cause = make_cause(
        "worn-shoes",
        name="Worn-out shoes",
        summary="Old shoes absorb less shock.",
        body="Shoes wear out after **500 to 800 km**.",
        see_doctor="See a doctor if **pain** stays at rest.",
        reviewed_by="A physiotherapist",
        reviewed_on=dt.date(2026, 1, 15),
    )
    kinds = [
        ("Replace the pair", RemedyKind.LONG_TERM, 0),
        ("Check the wear", RemedyKind.NOW, 1),
        ("See a podiatrist", RemedyKind.PROFESSIONAL, 0),
        ("Rotate two pairs", RemedyKind.LONG_TERM, 1),
        ("Run on soft ground", RemedyKind.NEXT_RUN, 0),
    ]
    for title, kind, order in kinds:
        Remedy.objects.create(cause=cause, title=title, kind=kind, order=order, body=f"{title}.")
    Source.objects.create(cause=cause, title="Running shoe study", url="https://example.org/shoes")
    return cause


def test_cause_page_shows_every_part_of_the_cause(client: Client) -> None:
    cause = full_cause()
    response = client.get(cause.get_absolute_url())
    assert response.status_code == 200
    page = html(response)
    for text in (
        "Worn-out shoes",
        "Old shoes absorb less shock.",
        "<strong>500 to 800 km</strong>",
        "When to see a doctor",
        "<strong>pain</strong>",
        'href="https://example.org/shoes"',
        "Last reviewed on 15 January 2026 by A physiotherapist.",
    ):
        assert text in page, text
    assert "Preview" not in page


def test_cause_page_groups_remedies_by_kind_in_the_kind_order(client: Client) -> None:
    response = client.get(full_cause().get_absolute_url())
    groups = [
        (label, [r.title for r in items]) for label, items in response.context["remedy_groups"]
    ]
    assert groups == [
        ("Right now", ["Check the wear"]),
        ("Next run", ["Run on soft ground"]),
        ("Long term", ["Replace the pair", "Rotate two pairs"]),
        ("See a professional", ["See a podiatrist"]),
    ]
    page = html(response)
    assert page.index("Right now") < page.index("Next run") < page.index("Long term")


def test_cause_page_has_its_own_title_and_description(client: Client) -> None:
    title, description = title_and_description(client.get(full_cause().get_absolute_url()))
    assert title.startswith("Worn-out shoes")
    assert description == "Old shoes absorb less shock."


def test_cause_page_says_when_it_has_not_been_reviewed(client: Client) -> None:
    cause = make_cause("overtraining")
    assert "Not yet reviewed" in html(client.get(cause.get_absolute_url()))


def test_cause_page_links_only_published_faq_entries(client: Client) -> None:
    cause = make_cause("overtraining")
    shown = Faq.objects.create(slug="rest", question="How long to rest?", answer="A week.")
    hidden = Faq.objects.create(
        slug="draft", question="Draft question?", answer="x", published=False
    )
    shown.causes.add(cause)
    hidden.causes.add(cause)
    page = html(client.get(cause.get_absolute_url()))
    assert 'href="/faq/#rest"' in page
    assert "Draft question?" not in page


def test_script_in_a_cause_body_is_never_rendered(client: Client) -> None:
    cause = make_cause(
        "overtraining",
        body="Rest.<script>alert('body')</script><img src=x onerror=alert(1)>"
        "[click](javascript:alert(2))",
        see_doctor="<script>alert('doctor')</script>Soon.",
    )
    Remedy.objects.create(cause=cause, title="Sleep", body="<script>alert('remedy')</script>")
    page = html(client.get(cause.get_absolute_url()))
    assert "alert(" not in page
    assert "onerror" not in page
    assert "javascript:" not in page


def test_unpublished_cause_is_a_404_for_the_public(client: Client) -> None:
    cause = make_cause("secret", published=False)
    assert client.get(cause.get_absolute_url()).status_code == 404
    client.force_login(make_user())
    assert client.get(cause.get_absolute_url()).status_code == 404


def test_staff_preview_an_unpublished_cause_with_a_notice(staff_client: Client) -> None:
    cause = make_cause("secret", name="Secret cause", published=False)
    response = staff_client.get(cause.get_absolute_url())
    assert response.status_code == 200
    assert "Preview." in html(response)
    assert "only staff can see this page" in html(response)


def test_unknown_cause_is_a_404(client: Client) -> None:
    assert client.get("/causes/no-such-cause/").status_code == 404


def test_public_pages_refuse_post(client: Client) -> None:
    cause = make_cause("overtraining")
    for page in (CAUSES_URL, cause.get_absolute_url(), FAQ_URL, WARNINGS_URL):
        assert client.post(page).status_code == 405, page
        assert client.head(page).status_code == 200, page


@pytest.mark.parametrize("count", [3, 30])
def test_cause_page_queries_stay_constant(
    client: Client, django_assert_num_queries: Any, count: int
) -> None:
    causes = make_causes(count)
    cause = causes[0]
    for n in range(count):
        Remedy.objects.create(cause=cause, title=f"Extra {n}", kind=RemedyKind.values[n % 4])
        Source.objects.create(cause=cause, title=f"Extra {n}", url="https://example.com/")
        Faq.objects.get(slug=f"faq-{n}").causes.add(cause)
    # the cause, its sources, its remedies, its published FAQ entries
    with django_assert_num_queries(4):
        response = client.get(cause.get_absolute_url())
    assert response.status_code == 200


# FAQ -----------------------------------------------------------------------------------


def test_faq_page_lists_published_entries_with_anchors_and_no_javascript_needed(
    client: Client,
) -> None:
    cause = make_cause("overtraining", name="Overtraining")
    first = Faq.objects.create(
        slug="rest", question="How long to rest?", answer="A **week**.", order=1
    )
    first.causes.add(cause)
    Faq.objects.create(slug="doms", question="Is it DOMS?", answer="Maybe.", order=2)
    Faq.objects.create(slug="draft", question="Draft?", answer="x", published=False)
    response = client.get(FAQ_URL)
    assert response.status_code == 200
    page = html(response)
    assert '<details class="faq-entry" id="rest">' in page
    assert '<details class="faq-entry" id="doms">' in page
    assert page.index("How long to rest?") < page.index("Is it DOMS?")
    assert "<strong>week</strong>" in page
    assert 'href="/causes/overtraining/"' in page
    assert 'href="#rest"' in page
    assert "Draft?" not in page


def test_staff_preview_unpublished_faq_entries_marked_as_such(staff_client: Client) -> None:
    Faq.objects.create(slug="draft", question="Draft?", answer="x", published=False)
    page = html(staff_client.get(FAQ_URL))
    assert "Draft?" in page
    assert "Preview: not published" in page


def test_faq_page_has_a_title_and_description(client: Client) -> None:
    title, description = title_and_description(client.get(FAQ_URL))
    assert title.startswith("Heavy legs: frequently asked questions")
    assert "DOMS" in description


def test_faq_related_causes_leave_out_unpublished_ones(client: Client) -> None:
    entry = Faq.objects.create(slug="rest", question="Rest?", answer="Yes.")
    entry.causes.add(make_cause("secret", name="Secret cause", published=False))
    assert "Secret cause" not in html(client.get(FAQ_URL))


@pytest.mark.parametrize("count", [3, 30])
def test_faq_queries_stay_constant(
    client: Client, django_assert_num_queries: Any, count: int
) -> None:
    make_causes(count)
    with django_assert_num_queries(2):  # the entries, their published causes
        response = client.get(FAQ_URL)
    assert html(response).count('class="faq-entry"') == count


# WARNING SIGNS -------------------------------------------------------------------------


def make_warning_signs() -> None:
    safety = make_step("safety", order=1)
    pattern = make_step("pattern", order=2)
    signs = make_question("warning_signs", step=safety, text="Any of these?", kind="multi")
    make_choice(signs, "one_leg_swollen_painful", label="One swollen calf", order=2,
                triage="urgent", triage_message="See a doctor today.")  # fmt: skip
    make_choice(signs, "chest_symptoms", label="Chest pain", order=1,
                triage="emergency", triage_message="Call 999 now.")  # fmt: skip
    make_choice(signs, "none", label="None of these", order=9)
    duration = make_question("duration", step=pattern, text="How long has it lasted?")
    make_choice(duration, "over_2_weeks", label="More than two weeks",
                triage="soon", triage_message="Book an appointment.")  # fmt: skip
    retired = make_question("retired", step=pattern, active=False)
    make_choice(retired, "old", label="Retired sign", triage="urgent", triage_message="x")


def test_warning_signs_are_grouped_by_level_most_serious_first(client: Client) -> None:
    make_warning_signs()
    response = client.get(WARNINGS_URL)
    assert response.status_code == 200
    levels = [
        (level.level, [(g.question.key, [c.value for c in g.choices]) for g in level.questions])
        for level in response.context["levels"]
    ]
    assert levels == [
        ("emergency", [("warning_signs", ["chest_symptoms"])]),
        ("urgent", [("warning_signs", ["one_leg_swollen_painful"])]),
        ("soon", [("duration", ["over_2_weeks"])]),
    ]
    page = html(response)
    for text in ("Call 999 now.", "See a doctor today.", "Book an appointment.",
                 "How long has it lasted?", "Call your emergency number"):  # fmt: skip
        assert text in page, text
    assert page.index("Chest pain") < page.index("One swollen calf") < page.index("More than two")
    assert "Retired sign" not in page
    assert "None of these" not in page


def test_warning_signs_page_has_a_title_and_description(client: Client) -> None:
    title, description = title_and_description(client.get(WARNINGS_URL))
    assert title.startswith("Warning signs")
    assert "medical help" in description


def test_warning_signs_on_the_seed_cover_every_level(client: Client, seeded: None) -> None:
    levels = [level.level for level in client.get(WARNINGS_URL).context["levels"]]
    assert levels == ["emergency", "urgent", "soon"]


@pytest.mark.parametrize("count", [3, 30])
def test_warning_signs_queries_stay_constant(
    client: Client, django_assert_num_queries: Any, count: int
) -> None:
    step = make_step("safety")
    for n in range(count):
        question = make_question(f"sign_{n}", step=step)
        make_choice(question, "yes", triage="urgent", triage_message="Today.")
    with django_assert_num_queries(1):  # the warning answers with their questions
        response = client.get(WARNINGS_URL)
    assert len(response.context["levels"][0].questions) == count
