"""The result page: a short plan first, then the causes folded, a headline that agrees with
them, a safety net, the runner's answers, and help now for a warning sign."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from typing import Any

import pytest
from django.template.loader import render_to_string
from django.test import Client
from django.urls import reverse

from legs.assessment.engine import LIKELY, RankedCause, Reason, Result, WarningSign, assess
from legs.assessment.plan import PLAN_SLOTS, build_plan, in_time_order, same_action
from legs.assessment.presentation import answer_summary, result_context
from legs.knowledge.models import Cause, RemedyKind
from legs.knowledge.published import get_knowledge
from legs.knowledge.snapshot import RemedyInfo
from legs.knowledge.triage import Triage
from tests.factories import make_user
from tests.test_wizard import SELF_CARE, post_step, step_url, walk_wizard

NOW, NEXT_RUN, LONG_TERM, PRO = (
    RemedyKind.NOW,
    RemedyKind.NEXT_RUN,
    RemedyKind.LONG_TERM,
    RemedyKind.PROFESSIONAL,
)


def remedy(title: str, kind: str) -> RemedyInfo:
    return RemedyInfo(title, f"About: {title}", kind)


def ranked(slug: str, *remedies: RemedyInfo, band: str = LIKELY) -> RankedCause:
    return RankedCause(
        slug,
        slug.replace("-", " ").title(),
        8.0,
        band,
        (Reason("q", "v", "you said so"),),
        remedies,
    )


def titles(plan: Any) -> list[tuple[str, str]]:
    return [(action.when, action.title) for action in plan]


# -- the plan ------------------------------------------------------------------------------


def test_the_plan_takes_one_action_for_each_time_from_the_best_cause_first() -> None:
    causes = [
        ranked(
            "overtraining",
            remedy("Build rest days into every week", LONG_TERM),
            remedy("Rest or run very easy today", NOW),
            remedy("Back off until you feel fresh again", NEXT_RUN),
        ),
        ranked("poor-sleep", remedy("Aim for 7–9 hours of sleep", LONG_TERM)),
    ]
    plan = build_plan(causes)
    assert titles(plan) == [
        ("Today", "Rest or run very easy today"),
        ("Next run", "Back off until you feel fresh again"),
        ("This month", "Build rest days into every week"),
    ]
    assert {action.cause_slug for action in plan} == {"overtraining"}
    assert plan[0].summary == "About: Rest or run very easy today"
    assert plan[0].cause_name == "Overtraining"


def test_the_plan_has_at_most_three_actions_in_time_order() -> None:
    causes = [
        ranked(
            "a", remedy("Strength train twice a week", LONG_TERM), remedy("Add hills", LONG_TERM)
        ),
        ranked("b", remedy("Land under your body", NEXT_RUN), remedy("Relax your arms", NEXT_RUN)),
        ranked("c", remedy("Raise your legs", NOW), remedy("Note when it started", NOW)),
    ]
    plan = build_plan(causes)
    assert titles(plan) == [
        ("Today", "Raise your legs"),
        ("Next run", "Land under your body"),
        ("This month", "Strength train twice a week"),
    ]
    assert [action.when for action in plan] == sorted(
        (action.when for action in plan), key=list(PLAN_SLOTS.values()).index
    )


def test_empty_times_are_filled_with_the_next_best_actions() -> None:
    causes = [
        ranked(
            "weak-muscles",
            remedy("Strength train twice a week", LONG_TERM),
            remedy("Add some hills", LONG_TERM),
            remedy("Ask for a movement check", PRO),
        ),
        ranked("running-form", remedy("Raise your cadence a little", LONG_TERM)),
    ]
    assert titles(build_plan(causes)) == [
        ("This month", "Strength train twice a week"),
        ("This month", "Add some hills"),
        ("This month", "Raise your cadence a little"),
    ]


def test_seeing_a_professional_is_never_a_plan_action() -> None:
    causes = [ranked("veins", remedy("See your doctor about your veins", PRO))]
    assert build_plan(causes) == ()
    assert build_plan([]) == ()


def test_repeated_and_near_repeated_actions_appear_once() -> None:
    causes = [
        ranked("overtraining", remedy("Rest or run easy", NOW)),
        ranked(
            "poor-sleep",
            remedy("Rest or run easy", NOW),
            remedy("Keep regular rest days", LONG_TERM),
        ),
        ranked(
            "strength-session-fatigue",
            remedy("Keep today's run short and easy", NOW),
            remedy("Build rest days into every week", LONG_TERM),
        ),
    ]
    plan = build_plan(causes, from_causes=3)
    assert titles(plan) == [("Today", "Rest or run easy"), ("This month", "Keep regular rest days")]


def test_only_the_top_causes_feed_the_plan() -> None:
    causes = [ranked(f"cause-{n}", remedy(f"Do thing {n}", LONG_TERM)) for n in range(5)]
    assert [a.cause_slug for a in build_plan(causes)] == ["cause-0", "cause-1", "cause-2"]
    assert len(build_plan(causes, size=2)) == 2


@pytest.mark.parametrize(
    ("first", "second"),
    [
        (remedy("Rest or run easy", NOW), remedy("Rest or run very easy today", NOW)),
        (remedy("Rest or run easy", NOW), remedy("rest or run easy", LONG_TERM)),
        (
            remedy("Keep today's run short and easy", NOW),
            remedy("Rest or run very easy today", NOW),
        ),
        (remedy("Go easy after a bad night", NOW), remedy("Rest or run very easy today", NOW)),
        (
            remedy("Build rest days into every week", LONG_TERM),
            remedy("Keep regular rest days", LONG_TERM),
        ),
        (
            remedy("Drink to thirst on long runs", NEXT_RUN),
            remedy("Drink to thirst on the run", NOW),
        ),
    ],
)
def test_near_duplicate_actions(first: RemedyInfo, second: RemedyInfo) -> None:
    assert same_action(first, second)
    assert same_action(second, first)


@pytest.mark.parametrize(
    ("first", "second"),
    [
        (remedy("Eat before you run", NEXT_RUN), remedy("Refuel after running", NOW)),
        (
            remedy("Build rest days into every week", LONG_TERM),
            remedy("Rest or run easy today", NOW),
        ),
        (remedy("Raise your legs", NOW), remedy("Raise your cadence a little", LONG_TERM)),
        (remedy("Drink steadily through the day", LONG_TERM), remedy("Drink to thirst", NEXT_RUN)),
        (remedy("!!!", NOW), remedy("???", NOW)),
    ],
)
def test_different_actions(first: RemedyInfo, second: RemedyInfo) -> None:
    assert not same_action(first, second)


def test_fixes_read_in_time_order_keeping_the_editors_order_within_a_time() -> None:
    remedies = [
        remedy("Log your shoe distance", LONG_TERM),
        remedy("See someone", PRO),
        remedy("Change to new shoes gradually", NEXT_RUN),
        remedy("Check how far your shoes have gone", NOW),
        remedy("Replace shoes at about 500–800 km", LONG_TERM),
    ]
    assert [r.kind for r in in_time_order(remedies)] == [NOW, NEXT_RUN, LONG_TERM, LONG_TERM, PRO]
    assert in_time_order(remedies)[2].title == "Log your shoe distance"


# -- what the page is given -----------------------------------------------------------------


def test_a_self_care_headline_never_says_nothing_needs_a_doctor_above_a_doctors_fix() -> None:
    training = ranked("warm-up", remedy("Do a dynamic warm-up", NEXT_RUN))
    veins = ranked(
        "veins", remedy("See your doctor about your veins", PRO), remedy("Raise your legs", NOW)
    )
    plain = result_context(Result(Triage.SELF_CARE, (), (training,)))
    assert plain["advice"] == Triage.SELF_CARE.advice
    assert plain["advice"].why == "Nothing you told us needs a doctor right now."
    assert plain["professional_check"] is False
    checked = result_context(Result(Triage.SELF_CARE, (), (training, veins)))
    assert checked["professional_check"] is True
    assert checked["advice"] == Triage.SELF_CARE.result_advice(professional_check=True)
    assert "needs a doctor right now" not in checked["advice"].why
    assert "worth checking with a doctor" in checked["advice"].why
    assert checked["advice"].css != "alert-success"
    # Other levels keep their own words: they already send the runner to a doctor.
    soon = result_context(Result(Triage.SOON, (), (training, veins)))
    assert soon["advice"] == Triage.SOON.advice


def test_every_result_with_causes_has_a_safety_net_worded_in_one_place() -> None:
    assert Triage.SELF_CARE.advice.safety_net
    assert Triage.SELF_CARE.result_advice(professional_check=True).safety_net
    assert Triage.SOON.advice.safety_net
    assert not Triage.EMERGENCY.advice.safety_net
    assert not Triage.URGENT.advice.safety_net


def test_the_context_keeps_the_stored_remedy_order_and_adds_fixes_in_time_order() -> None:
    cause = ranked(
        "shoes",
        remedy("Replace shoes", LONG_TERM),
        remedy("Change shoes gradually", NEXT_RUN),
        remedy("Check your shoes", NOW),
    )
    context = result_context(Result(Triage.SELF_CARE, (), (cause,)))
    shown = context["causes"][0]
    assert [r["title"] for r in shown["remedies"]] == [
        "Replace shoes",
        "Change shoes gradually",
        "Check your shoes",
    ]
    assert [(f["when"], f["title"]) for f in shown["fixes"]] == [
        ("Today", "Check your shoes"),
        ("Next run", "Change shoes gradually"),
        ("This month", "Replace shoes"),
    ]
    assert [a.title for a in context["plan"]] == [
        "Check your shoes",
        "Change shoes gradually",
        "Replace shoes",
    ]


def test_a_help_now_result_has_no_plan_and_no_causes() -> None:
    cause = ranked("warm-up", remedy("Warm up", NOW))
    context = result_context(Result(Triage.EMERGENCY, (), (cause,)))
    assert context["plan"] == ()
    assert context["causes"] == []


@pytest.mark.usefixtures("seeded")
def test_the_answers_are_summed_up_step_by_step_in_the_questions_words() -> None:
    knowledge = get_knowledge()
    answers: dict[str, str | list[str]] = {
        "warning_signs": ["none"],
        "legs": "one",
        "symptoms": ["cramps", "muscles_sore_to_touch"],
        "sleep_hours": "under_6",
    }
    summary = answer_summary(answers, knowledge)
    assert [step.key for step in summary] == [step.key for step in knowledge.steps]
    pattern = next(step for step in summary if step.key == "pattern")
    legs = knowledge.questions["legs"]
    symptoms = knowledge.questions["symptoms"]
    assert [(a.key, a.question, a.answers) for a in pattern.answered] == [
        ("legs", legs.text, (legs.choices["one"].label,)),
        (
            "symptoms",
            symptoms.text,
            (symptoms.choices["cramps"].label, symptoms.choices["muscles_sore_to_touch"].label),
        ),
    ]
    assert pattern.answered[0].field_id == "id_pattern-legs"
    assert (
        pattern.skipped == len(next(s for s in knowledge.steps if s.key == "pattern").questions) - 2
    )
    training = next(step for step in summary if step.key == "training")
    assert training.answered == ()
    # Once the questionnaire stopped, the steps never shown are left out.
    stopped = answer_summary({"warning_signs": ["chest_symptoms"]}, knowledge, all_steps=False)
    assert [step.key for step in stopped] == ["safety"]


# -- the page --------------------------------------------------------------------------------


def page_text(response: Any) -> str:
    return html.unescape(response.content.decode())


def between(page: str, start: str, end: str) -> str:
    return page[page.index(start) : page.index(end, page.index(start))]


@pytest.mark.usefixtures("seeded")
def test_the_page_shows_the_plan_first_then_the_causes_folded(client: Client) -> None:
    walk_wizard(client, SELF_CARE)
    page = page_text(client.get(reverse("assessment:result")))
    assert (
        page.index("No warning signs") < page.index("plan-heading") < page.index("causes-heading")
    )
    plan = between(page, 'id="plan-heading"', "</section>")
    expected = build_plan(assess(SELF_CARE, get_knowledge()).shown_causes)
    assert expected
    for action in expected:
        assert action.title in plan
        assert action.when in plan
    whens = re.findall(r'<h3 class="plan-when[^"]*">([^<]+)</h3>', plan)
    assert whens == sorted(whens, key=list(PLAN_SLOTS.values()).index)
    causes = between(page, 'id="causes-heading"', "</section>")
    assert causes.count('<details class="cause-details">') == causes.count('class="card cause')
    assert '<details class="cause-details" open' not in causes
    assert "Because you said" in causes


@pytest.mark.usefixtures("seeded")
def test_a_self_care_page_has_the_safety_net(client: Client) -> None:
    walk_wizard(client, SELF_CARE)
    page = page_text(client.get(reverse("assessment:result")))
    assert "When to see a doctor" in page
    assert Triage.SELF_CARE.advice.safety_net in page
    assert page.index("causes-heading") < page.index("safety-net-heading")


@pytest.mark.usefixtures("seeded")
def test_a_listed_cause_with_a_doctors_fix_changes_the_self_care_headline(client: Client) -> None:
    # Evening ankle swelling (a soon sign) is left out: varicose veins alone point to the veins.
    answers = {**SELF_CARE, "symptoms": ["visible_varicose_veins"], "relief": "legs_raised"}
    result = assess(answers, get_knowledge())
    assert result.triage == Triage.SELF_CARE
    assert any(c.slug == "venous-insufficiency" for c in result.shown_causes)
    walk_wizard(client, answers)
    page = page_text(client.get(reverse("assessment:result")))
    assert "Nothing you told us needs a doctor right now" not in page
    assert Triage.SELF_CARE.result_advice(professional_check=True).why in page


@pytest.mark.usefixtures("seeded")
def test_every_medical_cause_in_the_seed_shows_a_professional_fix() -> None:
    """The self-care headline learns that a doctor is worth seeing from the fixes shown: each
    medical cause must show one."""
    knowledge = get_knowledge()
    for cause in Cause.objects.filter(category="medical"):
        shown = knowledge.causes[cause.slug].remedies[:3]
        assert any(r.kind == PRO for r in shown), cause.slug


@pytest.mark.usefixtures("seeded")
def test_the_page_lists_the_answers_with_change_links(client: Client) -> None:
    walk_wizard(client, SELF_CARE)
    page = page_text(client.get(reverse("assessment:result")))
    answers = between(page, 'id="answers-heading"', "</details>")
    knowledge = get_knowledge()
    for key in ("legs", "warmup", "sleep_hours"):
        question = knowledge.questions[key]
        assert question.text in answers
        assert question.choices[str(SELF_CARE[key])].label in answers
        assert f'{step_url(question.step)}?change=1#id_{question.step}-{key}"' in answers


@pytest.mark.usefixtures("seeded")
@pytest.mark.parametrize(
    ("sign", "buttons", "missing"),
    [
        ("chest_symptoms", ['href="tel:999"'], ['href="tel:111"']),
        # Not the swollen leg: it first asks about an injury, which could make it an emergency.
        ("rest_pain_or_sores", ['href="tel:111"', 'href="https://111.nhs.uk/"'], []),
    ],
)
def test_help_now_results_have_tap_to_call_buttons(
    client: Client, sign: str, buttons: list[str], missing: list[str]
) -> None:
    post_step(client, "safety", {"warning_signs": [sign]})
    page = page_text(client.get(reverse("assessment:result")))
    alert = between(page, 'role="alert"', "</section>")
    for button in buttons:
        assert re.search(rf'<a class="btn [^"]*call-button"\s+{re.escape(button)}', alert), button
    for button in missing:
        assert not re.search(rf'call-button"\s+{re.escape(button)}', alert)
    assert "Find urgent care" in alert
    assert "plan-heading" not in page
    # The answers are there to correct a mistaken tick, after the help.
    assert page.index("call-button") < page.index("answers-heading")


@pytest.mark.usefixtures("seeded")
def test_the_numbers_come_from_the_settings(client: Client, settings: Any) -> None:
    settings.EMERGENCY_NUMBER = "112"
    settings.URGENT_CARE_NUMBER = "+49 116 117"
    settings.URGENT_CARE_URL = "https://www.116117.de/"
    post_step(client, "safety", {"warning_signs": ["rest_pain_or_sores"]})
    page = page_text(client.get(reverse("assessment:result")))
    assert 'href="tel:+49116117">Call +49 116 117</a>' in page
    assert 'href="https://www.116117.de/"' in page
    settings.URGENT_CARE_NUMBER = ""
    page = page_text(client.get(reverse("assessment:result")))
    assert "Call +49" not in page
    assert "Find urgent care" in page
    post_step(client, "safety", {"warning_signs": ["chest_symptoms"]})
    page = page_text(client.get(reverse("assessment:result")))
    assert 'href="tel:112">Call 112</a>' in page
    assert "tel:999" not in page


@pytest.mark.usefixtures("seeded")
def test_the_warning_signs_page_has_the_buttons_for_help_now(client: Client) -> None:
    page = page_text(client.get(reverse("knowledge:warning_signs")))
    emergency = between(page, 'id="level-emergency"', "</section>")
    urgent = between(page, 'id="level-urgent"', "</section>")
    assert 'href="tel:999">Call 999</a>' in emergency
    assert 'href="tel:111">Call 111</a>' in urgent
    assert "Find urgent care" in urgent
    soon = between(page, 'id="level-soon"', "</section>")
    assert "tel:" not in soon


@pytest.mark.usefixtures("seeded")
def test_a_warning_drawn_from_several_answers_says_which(client: Client) -> None:
    """A warning sign from a combination rule lists the answers behind it (Version 2); one
    without them reads as before."""

    @dataclass(frozen=True)
    class RuleWarning:
        question: str
        value: str
        level: Triage
        message: str
        rule: str
        serious: bool
        because: tuple[Reason, ...]

    warning = RuleWarning(
        "",
        "",
        Triage.SOON,
        "One leg with a clot risk needs a doctor's check.",
        "one-leg-clot-risk",
        True,
        (
            Reason("legs", "one", "mainly one leg"),
            Reason("risk_factors", "pregnant", "you are pregnant"),
        ),
    )
    page = html.unescape(render_to_string("assessment/_warning.html", {"warning": warning}))
    assert "One leg with a clot risk needs a doctor's check." in page
    assert re.search(r"Because you said:\s+mainly one leg\s+;\s+you are pregnant", page)
    plain = WarningSign("duration", "over_2_weeks", Triage.SOON, "See a doctor.")
    page = render_to_string("assessment/_warning.html", {"warning": plain})
    assert "See a doctor." in page
    assert "Because you said" not in page


@pytest.mark.usefixtures("seeded")
def test_a_save_form_with_a_mistake_is_summed_up_at_the_top_of_the_full_result(
    client: Client,
) -> None:
    client.force_login(make_user())
    walk_wizard(client, SELF_CARE)
    page = client.get(reverse("assessment:result")).content.decode()
    token = re.search(r'name="token" value="([0-9a-f-]{36})"', page)
    assert token is not None
    response = client.post(
        reverse("history:save"), {"token": token.group(1), "run_date": "", "unit": "km"}
    )
    assert response.status_code == 200
    page = page_text(response)
    assert re.search(r"<title>\s*Error: ", page)
    main = page[page.index("<main") :]
    assert main.index("There is a problem") < main.index("<h1")
    assert 'href="#id_run_date"' in main
    # The page is the whole result, answers and plan included.
    assert "plan-heading" in main
    assert "answers-heading" in main
