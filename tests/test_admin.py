"""The knowledge-base admin: smoke tests, editor safeguards, constant queries, the rules report."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.auth.models import Permission
from django.db.models import Model
from django.test import Client
from django.urls import reverse

from accounts.models import User
from legs.knowledge.models import (
    Category,
    Cause,
    Choice,
    Evidence,
    Faq,
    KnowledgeRevision,
    Question,
    Remedy,
    Rule,
    RuleCondition,
    Source,
    Step,
)
from legs.knowledge.published import get_knowledge
from legs.knowledge.snapshot import ConditionInfo
from tests.factories import (
    make_cause,
    make_choice,
    make_evidence,
    make_question,
    make_rule,
    make_staff,
    make_step,
    make_superuser,
    make_user,
)

pytestmark = pytest.mark.django_db

RULES_URL = "/admin/knowledge/cause/rules/"


@pytest.fixture
def admin_client(client: Client) -> Client:
    client.force_login(make_superuser())
    return client


def url(model: type[Model], view: str, *args: Any) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


def widget_value(value: Any) -> Any:
    if value is None or value is False:
        return None
    if value is True:
        return "on"
    if isinstance(value, list | tuple):
        return [str(v) for v in value]
    return str(value)


def form_data(response: Any) -> dict[str, Any]:
    """The POST a browser would send for an admin add/change page, unchanged."""
    data: dict[str, Any] = {}

    def add(form: Any) -> None:
        for bound in form:
            value = widget_value(bound.value())
            if value is not None:
                data[bound.html_name] = value

    add(response.context["adminform"].form)
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        add(formset.management_form)
        for form in formset.initial_forms:
            add(form)
        data[f"{formset.prefix}-TOTAL_FORMS"] = str(len(formset.initial_forms))
    return data


def inline_errors(response: Any) -> list[dict[str, Any]]:
    return [
        errors
        for inline in response.context["inline_admin_formsets"]
        for errors in inline.formset.errors
        if errors
    ]


def populate(rows: int) -> None:
    """`rows` of every kind of knowledge row, all linked, so an N+1 would show."""
    step = make_step("pattern")
    for n in range(rows):
        cause = make_cause(f"cause-{n}", category=Category.values[n % len(Category.values)])
        Remedy.objects.create(cause=cause, title=f"Remedy {n}")
        Source.objects.create(cause=cause, title=f"Source {n}", url="https://example.com/")
        question = make_question(f"question_{n}", step=step)
        choice = make_choice(question, "yes", triage="soon", triage_message="Book a visit.")
        make_choice(question, "no")
        make_evidence(choice, cause, n % 10)
        faq = Faq.objects.create(slug=f"faq-{n}", question=f"Question {n}?", answer="Answer.")
        faq.causes.add(cause)
        make_rule(f"rule-{n}", (question, ["yes"]), evidence=((cause, 2),))


# SMOKE TESTS: every registered model ---------------------------------------------------


def cause_post() -> dict[str, Any]:
    return {
        "name": "Shin splints",
        "slug": "shin-splints",
        "category": "training",
        "summary": "Pain along the shin.",
        "body": "Some **text**.",
        "see_doctor": "If it hurts at rest.",
        "order": "50",
        "published": "on",
        "reviewed_by": "",
        "reviewed_on": "",
    }


def step_post() -> dict[str, Any]:
    return {"key": "extra", "title": "Extra", "intro": "", "order": "9"}


def question_post() -> dict[str, Any]:
    return {
        "step": str(make_step("extra").pk),
        "key": "surface",
        "text": "Where do you run?",
        "help_text": "",
        "kind": "single",
        "order": "1",
        "active": "on",
    }


def choice_post() -> dict[str, Any]:
    return {
        "question": str(make_question("surface").pk),
        "value": "trail",
        "label": "Trails",
        "because": "you run on trails",
        "order": "1",
        "triage": "",
        "triage_message": "",
    }


def evidence_post() -> dict[str, Any]:
    choice = make_choice(make_question("surface"), "road")
    return {"choice": str(choice.pk), "cause": str(make_cause("worn-shoes").pk), "weight": "2.5"}


def rule_post() -> dict[str, Any]:
    """A rule on two questions with their answers, made once however often it is called."""
    legs = Question.objects.filter(key="legs").first()
    risks = Question.objects.filter(key="risk_factors").first()
    if legs is None or risks is None:
        legs = make_question("legs", kind="single")
        make_choice(legs, "one")
        risks = make_question("risk_factors", kind="multi")
        for value in ("smoker", "diabetes", "previous_clot"):
            make_choice(risks, value)
        make_cause("venous-insufficiency")
    return {
        "name": "Possible clot",
        "slug": "possible-clot",
        "level": "urgent",
        "message": "Get medical help today.",
        "serious": "on",
        "order": "10",
        "active": "on",
        "note": "One leg with a clot risk.",
        "conditions-TOTAL_FORMS": "2",
        "conditions-0-group": "1",
        "conditions-0-question": str(legs.pk),
        "conditions-0-values": "one",
        "conditions-0-at_least": "1",
        "conditions-1-group": "2",
        "conditions-1-question": str(risks.pk),
        "conditions-1-values": "smoker, diabetes previous_clot",
        "conditions-1-at_least": "2",
        "evidence-TOTAL_FORMS": "1",
        "evidence-0-cause": str(Cause.objects.get(slug="venous-insufficiency").pk),
        "evidence-0-weight": "2",
    }


def faq_post() -> dict[str, Any]:
    return {
        "question": "Do compression socks help?",
        "slug": "compression-socks",
        "answer": "Sometimes.",
        "order": "5",
        "published": "on",
        "causes": [str(make_cause("venous-insufficiency").pk)],
    }


def remedy_post() -> dict[str, Any]:
    return {
        "cause": str(make_cause("worn-shoes").pk),
        "title": "Replace your shoes",
        "kind": "long_term",
        "order": "1",
        "summary": "",
        "body": "",
    }


SMOKE: list[tuple[type[Model], Callable[[], dict[str, Any]], str]] = [
    (Cause, cause_post, "slug"),
    (Step, step_post, "key"),
    (Question, question_post, "key"),
    (Choice, choice_post, "value"),
    (Evidence, evidence_post, "weight"),
    (Faq, faq_post, "slug"),
    (Remedy, remedy_post, "title"),
    (Rule, rule_post, "slug"),
]


@pytest.mark.parametrize(
    ("model", "post", "field"), SMOKE, ids=lambda v: getattr(v, "__name__", "")
)
def test_admin_add_form_creates_a_row(
    admin_client: Client, model: type[Model], post: Callable[[], dict[str, Any]], field: str
) -> None:
    page = admin_client.get(url(model, "add"))
    assert page.status_code == 200
    data = {**form_data(page), **post()}
    response = admin_client.post(url(model, "add"), data)
    assert response.status_code == 302, getattr(response, "context", None) and (
        response.context["adminform"].form.errors,
        inline_errors(response),
    )
    obj = model._default_manager.get(**{field: data[field]})
    assert admin_client.get(url(model, "change", obj.pk)).status_code == 200


SEARCH = {
    Cause: "cause-1",
    Step: "pattern",
    Question: "question_1",
    Choice: "question_1",
    Evidence: "cause-1",
    Faq: "faq-1",
    Remedy: "Remedy 1",
    Rule: "rule-1",
}


@pytest.mark.parametrize(("model", "term"), SEARCH.items(), ids=lambda v: getattr(v, "__name__", v))
def test_admin_changelist_and_search_find_the_row(
    admin_client: Client, model: type[Model], term: str
) -> None:
    populate(3)
    changelist = admin_client.get(url(model, "changelist"))
    assert changelist.status_code == 200
    assert changelist.context["cl"].result_count >= 1
    searched = admin_client.get(url(model, "changelist"), {"q": term})
    assert searched.status_code == 200
    assert 1 <= searched.context["cl"].result_count < changelist.context["cl"].result_count or (
        model is Step
    )
    missing = admin_client.get(url(model, "changelist"), {"q": "zzz-nothing-matches"})
    assert missing.context["cl"].result_count == 0


def test_knowledge_revision_is_read_only_in_the_admin(admin_client: Client) -> None:
    make_cause()
    revision = KnowledgeRevision.objects.get()
    assert admin_client.get(url(KnowledgeRevision, "changelist")).status_code == 200
    assert admin_client.get(url(KnowledgeRevision, "add")).status_code == 403
    change = admin_client.get(url(KnowledgeRevision, "change", revision.pk))
    assert change.status_code == 200
    assert not change.context["has_change_permission"]
    assert admin_client.post(url(KnowledgeRevision, "delete", revision.pk)).status_code == 403


def test_editors_without_staff_status_cannot_open_the_admin(client: Client) -> None:
    client.force_login(make_user())
    response = client.get(url(Cause, "changelist"))
    assert response.status_code == 302
    assert "/login/" in response["Location"]


# EDITOR SAFEGUARDS ---------------------------------------------------------------------


def test_choice_admin_rejects_a_triage_level_without_a_message(admin_client: Client) -> None:
    data = choice_post()
    data.update(triage="urgent", triage_message=" ")
    page = admin_client.get(url(Choice, "add"))
    response = admin_client.post(url(Choice, "add"), {**form_data(page), **data})
    assert response.status_code == 200
    assert "triage_message" in response.context["adminform"].form.errors
    assert not Choice.objects.filter(value="trail").exists()


@pytest.mark.parametrize("weight", ["10.5", "-11", "250"])
def test_choice_admin_rejects_an_evidence_weight_out_of_range(
    admin_client: Client, weight: str
) -> None:
    choice = make_choice(make_question("surface"), "road")
    cause = make_cause("worn-shoes")
    page = admin_client.get(url(Choice, "change", choice.pk))
    data = form_data(page)
    data.update({"evidence-TOTAL_FORMS": "1", "evidence-0-cause": str(cause.pk)})
    data["evidence-0-weight"] = weight
    response = admin_client.post(url(Choice, "change", choice.pk), data)
    assert response.status_code == 200
    assert [list(e) for e in inline_errors(response)] == [["weight"]]
    assert not Evidence.objects.exists()


def test_question_admin_rejects_a_warning_answer_without_a_message(admin_client: Client) -> None:
    question = make_question("surface")
    page = admin_client.get(url(Question, "change", question.pk))
    data = form_data(page)
    data.update(
        {
            "choices-TOTAL_FORMS": "1",
            "choices-0-value": "glass",
            "choices-0-label": "Broken glass",
            "choices-0-order": "0",
            "choices-0-triage": "emergency",
            "choices-0-triage_message": "",
        }
    )
    response = admin_client.post(url(Question, "change", question.pk), data)
    assert response.status_code == 200
    assert [list(e) for e in inline_errors(response)] == [["triage_message"]]


def test_evidence_admin_rejects_a_weight_out_of_range(admin_client: Client) -> None:
    data = {**evidence_post(), "weight": "-10.1"}
    response = admin_client.post(url(Evidence, "add"), data)
    assert response.status_code == 200
    assert "weight" in response.context["adminform"].form.errors


def test_cause_admin_rejects_an_evidence_weight_out_of_range(admin_client: Client) -> None:
    cause = make_cause("worn-shoes")
    choice = make_choice(make_question("surface"), "road")
    page = admin_client.get(url(Cause, "change", cause.pk))
    data = form_data(page)
    data.update({"evidence-TOTAL_FORMS": "1", "evidence-0-choice": str(choice.pk)})
    data["evidence-0-weight"] = "12"
    response = admin_client.post(url(Cause, "change", cause.pk), data)
    assert response.status_code == 200
    assert [list(e) for e in inline_errors(response)] == [["weight"]]


def test_cause_edit_form_shows_editor_help_prepopulated_slug_and_view_on_site(
    admin_client: Client,
) -> None:
    cause = make_cause("worn-shoes")
    change = admin_client.get(url(Cause, "change", cause.pk))
    html = change.content.decode()
    assert "Markdown: leave a blank line between paragraphs" in html
    assert "The group this cause is listed under" in html
    assert "View on site" in html
    assert admin_client.get(url(Cause, "add")).context["adminform"].prepopulated_fields


def test_evidence_inline_lists_the_answers_pointing_to_a_cause_strongest_first(
    admin_client: Client,
) -> None:
    cause = make_cause("worn-shoes")
    weak = make_choice(make_question("surface"), "road", label="On the road")
    strong = make_choice(make_question("shoe_distance"), "over_800km", label="Over 800 km")
    make_evidence(weak, cause, 1)
    make_evidence(strong, cause, 6)
    response = admin_client.get(url(Cause, "change", cause.pk))
    inline = next(
        i for i in response.context["inline_admin_formsets"] if i.formset.model is Evidence
    )
    assert [f.instance.choice for f in inline.formset.initial_forms] == [strong, weak]
    assert "shoe_distance?" in response.content.decode()


def test_answer_search_finds_choices_by_question_key_for_autocomplete(
    admin_client: Client,
) -> None:
    make_choice(make_question("shoe_distance"), "over_800km")
    make_choice(make_question("surface"), "road")
    response = admin_client.get(
        "/admin/autocomplete/",
        {
            "app_label": "knowledge",
            "model_name": "evidence",
            "field_name": "choice",
            "term": "shoe",
        },
    )
    assert response.status_code == 200
    assert [r["text"] for r in response.json()["results"]] == ["shoe_distance = over_800km"]


@pytest.mark.parametrize("model", [Cause, Faq])
def test_publish_and_unpublish_actions_change_every_selected_row(
    admin_client: Client, model: type[Model]
) -> None:
    populate(3)
    rows = list(model._default_manager.order_by("pk"))
    selected = [str(r.pk) for r in rows[:2]]
    revision = KnowledgeRevision.current()[0]
    response = admin_client.post(
        url(model, "changelist"),
        {"action": "unpublish", "_selected_action": selected},
        follow=True,
    )
    plural = model._meta.verbose_name_plural
    assert f"2 {plural} unpublished" in [str(m) for m in response.context["messages"]][0]
    published = dict(model._default_manager.values_list("pk", "published"))
    assert [published[r.pk] for r in rows] == [False, False, True]
    assert KnowledgeRevision.current()[0] > revision
    admin_client.post(url(model, "changelist"), {"action": "publish", "_selected_action": selected})
    assert all(model._default_manager.values_list("published", flat=True))


def test_unpublishing_a_cause_in_the_admin_hides_its_page(admin_client: Client) -> None:
    cause = make_cause("worn-shoes")
    anonymous = Client()
    assert anonymous.get(cause.get_absolute_url()).status_code == 200
    admin_client.post(
        url(Cause, "changelist"), {"action": "unpublish", "_selected_action": [str(cause.pk)]}
    )
    assert anonymous.get(cause.get_absolute_url()).status_code == 404


def test_changelist_links_to_the_public_page(admin_client: Client) -> None:
    cause = make_cause("worn-shoes")
    response = admin_client.get(url(Cause, "changelist"))
    assert f'href="{cause.get_absolute_url()}"' in response.content.decode()


# CACHE INVALIDATION --------------------------------------------------------------------


def test_an_admin_edit_changes_what_the_engine_scores_with(admin_client: Client) -> None:
    cause = make_cause("worn-shoes")
    choice = make_choice(make_question("shoe_distance"), "over_800km")
    make_evidence(choice, cause, 3)
    assert get_knowledge().questions["shoe_distance"].choices["over_800km"].evidence == (
        ("worn-shoes", 3.0, True),
    )
    page = admin_client.get(url(Choice, "change", choice.pk))
    data = form_data(page)
    data.update(
        {
            "evidence-0-weight": "7",
            "triage": "soon",
            "triage_message": "Book a check-up.",
        }
    )
    response = admin_client.post(url(Choice, "change", choice.pk), data)
    assert response.status_code == 302
    info = get_knowledge().questions["shoe_distance"].choices["over_800km"]
    assert info.evidence == (("worn-shoes", 7.0, True),)
    assert (info.triage, info.triage_message) == ("soon", "Book a check-up.")


def test_an_admin_bulk_unpublish_removes_the_cause_from_the_engine(admin_client: Client) -> None:
    cause = make_cause("worn-shoes")
    assert "worn-shoes" in get_knowledge().causes
    admin_client.post(
        url(Cause, "changelist"), {"action": "unpublish", "_selected_action": [str(cause.pk)]}
    )
    assert "worn-shoes" not in get_knowledge().causes


def test_an_admin_delete_removes_the_cause_from_the_engine(admin_client: Client) -> None:
    cause = make_cause("worn-shoes")
    assert "worn-shoes" in get_knowledge().causes
    admin_client.post(url(Cause, "delete", cause.pk), {"post": "yes"})
    assert "worn-shoes" not in get_knowledge().causes


# CONSTANT QUERIES ----------------------------------------------------------------------

# Every changelist: session, user, filtered count, total count, the page of rows; plus the
# options of each related-object filter.
CHANGELIST_QUERIES = [
    (Cause, 5),  # the counts of remedies and answers are subqueries in the page query
    (Step, 5),  # question count annotated
    (Question, 6),  # + the steps for the "step" filter
    (Choice, 6),  # + the steps for the "question step" filter
    (Evidence, 7),  # + the causes for the "cause" filter, + the steps for the step filter
    (Faq, 5),  # related-cause count annotated
    (Remedy, 5),  # cause joined (list_select_related)
    (KnowledgeRevision, 5),
    (Rule, 5),  # condition count annotated
]


@pytest.mark.parametrize("rows", [2, 15])
@pytest.mark.parametrize(
    ("model", "queries"), CHANGELIST_QUERIES, ids=lambda v: getattr(v, "__name__", str(v))
)
def test_changelist_queries_do_not_grow_with_rows(
    admin_client: Client,
    django_assert_num_queries: Any,
    model: type[Model],
    queries: int,
    rows: int,
) -> None:
    populate(rows)
    with django_assert_num_queries(queries):
        response = admin_client.get(url(model, "changelist"))
    assert response.status_code == 200


# RULES REPORT --------------------------------------------------------------------------


def test_rules_report_lists_each_causes_answers_by_weight(admin_client: Client) -> None:
    cause = make_cause("worn-shoes", name="Worn shoes")
    distance = make_question("shoe_distance", text="How far on these shoes?")
    make_evidence(make_choice(distance, "500_800km", label="500 to 800 km"), cause, 2)
    make_evidence(make_choice(distance, "over_800km", label="Over 800 km"), cause, 6)
    make_evidence(make_choice(distance, "under_500km", label="Under 500 km"), cause, -3)
    response = admin_client.get(RULES_URL)
    assert response.status_code == 200
    rules = next(r for r in response.context["report"].causes if r.cause == cause)
    assert [e.weight for e in rules.evidence] == [Decimal(6), Decimal(2), Decimal(-3)]
    html = response.content.decode()
    assert html.index("Over 800 km") < html.index("500 to 800 km") < html.index("Under 500 km")
    assert "How far on these shoes?" in html


def test_rules_report_warns_about_causes_no_answer_can_reach(admin_client: Client) -> None:
    reachable = make_cause("overtraining")
    only_negative = make_cause("worn-shoes")
    only_inactive = make_cause("running-form")
    question = make_question("timing")
    make_evidence(make_choice(question, "whole_run"), reachable, 4)
    make_evidence(make_choice(question, "first_time"), only_negative, -2)
    hidden = make_question("overstriding", active=False)
    make_evidence(make_choice(hidden, "yes"), only_inactive, 5)
    report = admin_client.get(RULES_URL).context["report"]
    assert set(report.unreachable) == {only_negative, only_inactive}
    assert [(e.choice.question.key, e.cause) for e in report.inactive_evidence] == [
        ("overstriding", only_inactive)
    ]


def test_rules_report_warns_about_questions_that_point_nowhere(admin_client: Client) -> None:
    cause = make_cause("overtraining")
    scored = make_question("timing")
    make_evidence(make_choice(scored, "whole_run"), cause, 4)
    warning = make_question("warning_signs")
    make_choice(warning, "chest_symptoms", triage="emergency", triage_message="Call now.")
    nowhere = make_question("legs")
    make_choice(nowhere, "both")
    empty = make_question("empty")
    make_question("retired", active=False)
    response = admin_client.get(RULES_URL)
    assert response.context["report"].questions_pointing_nowhere == [nowhere, empty]
    assert "points nowhere" in response.content.decode()


def test_rules_report_on_the_seed_has_no_unreachable_cause(
    admin_client: Client, seeded: None
) -> None:
    report = admin_client.get(RULES_URL).context["report"]
    assert report.unreachable == []
    assert len(report.causes) == 21


@pytest.mark.parametrize("rows", [2, 15])
def test_rules_report_queries_do_not_grow_with_rows(
    admin_client: Client, django_assert_num_queries: Any, rows: int
) -> None:
    populate(rows)
    # session, user, causes, evidence with answers and questions, rules, their conditions
    # with questions, their evidence with causes, the answers of those questions, questions
    # pointing nowhere
    with django_assert_num_queries(9):
        response = admin_client.get(RULES_URL)
    assert response.status_code == 200


def test_rules_report_is_for_staff_only(client: Client) -> None:
    anonymous = client.get(RULES_URL)
    assert anonymous.status_code == 302
    assert "/login/" in anonymous["Location"]
    client.force_login(make_user())
    assert client.get(RULES_URL).status_code == 302


def test_rules_report_needs_permission_to_view_causes(client: Client) -> None:
    editor: User = make_staff()
    client.force_login(editor)
    assert client.get(RULES_URL).status_code == 403
    editor.user_permissions.add(Permission.objects.get(codename="view_cause"))
    client.force_login(User.objects.get(pk=editor.pk))
    assert client.get(RULES_URL).status_code == 200


def test_rules_report_is_linked_from_the_admin_index_and_the_causes_list(
    admin_client: Client,
) -> None:
    index = admin_client.get(reverse("admin:index")).content.decode()
    changelist = admin_client.get(url(Cause, "changelist")).content.decode()
    assert f'href="{RULES_URL}"' in index
    assert f'href="{RULES_URL}"' in changelist


def test_reviewed_on_round_trips_through_the_admin(admin_client: Client) -> None:
    cause = make_cause("worn-shoes")
    page = admin_client.get(url(Cause, "change", cause.pk))
    data = {**form_data(page), "reviewed_on": "2026-02-03", "reviewed_by": "A physio"}
    response = admin_client.post(url(Cause, "change", cause.pk), data)
    assert response.status_code == 302
    cause.refresh_from_db()
    assert cause.reviewed_on == dt.date(2026, 2, 3)


# RULES OVER SEVERAL ANSWERS ------------------------------------------------------------


def test_a_rule_added_in_the_admin_is_what_the_engine_applies(admin_client: Client) -> None:
    page = admin_client.get(url(Rule, "add"))
    response = admin_client.post(url(Rule, "add"), {**form_data(page), **rule_post()})
    assert response.status_code == 302
    rule = Rule.objects.get(slug="possible-clot")
    assert [(c.group, c.values, c.at_least) for c in rule.conditions.order_by("group")] == [
        (1, ["one"], 1),
        (2, ["smoker", "diabetes", "previous_clot"], 2),
    ]
    [applied] = get_knowledge().rules
    assert (applied.slug, applied.level, applied.serious) == ("possible-clot", "urgent", True)
    # The change page shows the values as typed, and saves unchanged.
    change = admin_client.get(url(Rule, "change", rule.pk))
    assert change.status_code == 200
    assert 'value="smoker, diabetes, previous_clot"' in change.content.decode()
    again = admin_client.post(url(Rule, "change", rule.pk), form_data(change))
    assert again.status_code == 302
    assert RuleCondition.objects.get(group=2).values == ["smoker", "diabetes", "previous_clot"]


def rule_errors(admin_client: Client, **changes: str) -> tuple[dict[str, Any], list[Any]]:
    """The rule form's and the inlines' errors for rule_post() with `changes`."""
    page = admin_client.get(url(Rule, "add"))
    response = admin_client.post(url(Rule, "add"), {**form_data(page), **rule_post(), **changes})
    assert response.status_code == 200
    assert not Rule.objects.exists()
    formsets = [inline.formset for inline in response.context["inline_admin_formsets"]]
    return dict(response.context["adminform"].form.errors), [
        *inline_errors(response),
        *(e for f in formsets for e in f.non_form_errors()),
    ]


@pytest.mark.parametrize(
    ("changes", "field", "words"),
    [
        (
            {"conditions-0-values": "one, three"},
            "values",
            "“three” is not an answer to the question legs",
        ),
        ({"conditions-0-values": " , "}, "values", "This field is required"),
        (
            {"conditions-0-at_least": "2"},
            "at_least",
            "Only a pick-all question",
        ),
        ({"conditions-1-at_least": "4"}, "at_least", "Only 3 answers are listed"),
        ({"conditions-1-at_least": "0"}, "at_least", "greater than or equal to 1"),
    ],
)
def test_rule_admin_refuses_a_condition_that_cannot_be_right(
    admin_client: Client, changes: dict[str, str], field: str, words: str
) -> None:
    form_errors, inline = rule_errors(admin_client, **changes)
    assert form_errors == {}
    [errors] = inline
    assert list(errors) == [field]
    assert words in " ".join(errors[field])


def test_rule_admin_refuses_a_level_without_a_message_and_the_reverse(admin_client: Client) -> None:
    assert list(rule_errors(admin_client, message=" ")[0]) == ["message"]
    assert list(rule_errors(admin_client, level="")[0]) == ["level"]
    assert list(rule_errors(admin_client, level="", message="", serious="on")[0]) == ["serious"]


def test_rule_admin_refuses_a_rule_without_conditions(admin_client: Client) -> None:
    _, inline = rule_errors(admin_client, **{"conditions-TOTAL_FORMS": "0"})
    assert "Please submit at least 1 form." in str(inline)


def test_evidence_inlines_show_whether_an_answer_is_specific(admin_client: Client) -> None:
    choice = make_choice(make_question("feel"), "heavy")
    evidence = make_evidence(choice, make_cause("overtraining"), 2)
    page = admin_client.get(url(Choice, "change", choice.pk))
    assert 'name="evidence-0-specific"' in page.content.decode()
    data = form_data(page)
    del data["evidence-0-specific"]
    assert admin_client.post(url(Choice, "change", choice.pk), data).status_code == 302
    evidence.refresh_from_db()
    assert not evidence.specific
    cause_page = admin_client.get(url(Cause, "change", evidence.cause_id)).content.decode()
    assert 'name="evidence-0-specific"' in cause_page
    question_page = admin_client.get(url(Question, "change", choice.question_id))
    assert "overtraining (+2.0, general)" in question_page.content.decode()


def test_rules_report_says_which_answers_fire_each_rule(admin_client: Client) -> None:
    legs = make_question("legs", text="Which legs?")
    make_choice(legs, "one", label="One leg")
    risks = make_question("risk_factors", kind="multi")
    make_choice(risks, "smoker", label="I smoke")
    make_choice(risks, "diabetes", label="Diabetes")
    cause = make_cause("venous-insufficiency")
    rule = make_rule(
        "clot", (legs, ["one"]), (risks, ["smoker", "diabetes"], 2), evidence=((cause, 3),)
    )
    response = admin_client.get(RULES_URL)
    [row] = response.context["report"].rules
    assert (row.rule, row.skipped, row.never) == (rule, "", "")
    assert [[c.answers for c in group] for group in row.groups] == [
        [[("one", "One leg")]],
        [[("smoker", "I smoke"), ("diabetes", "Diabetes")]],
    ]
    html = response.content.decode()
    assert "Which legs?" in html
    assert "at least 2 of" in html
    # The cause only a rule points to is reachable.
    assert cause not in response.context["report"].unreachable


def test_rules_report_flags_rules_that_can_never_fire(admin_client: Client) -> None:
    legs = make_question("legs")
    make_choice(legs, "one")
    make_choice(legs, "both")
    risks = make_question("risk_factors", kind="multi")
    make_choice(risks, "smoker")
    make_choice(risks, "none")
    retired = make_question("retired", active=False)
    make_choice(retired, "yes")
    make_rule("fine", (legs, ["one"]))
    make_rule("contradiction", (legs, ["one"]), (legs, ["both"]))
    make_rule("none-and-more", (risks, ["none"]), (risks, ["smoker"]))
    make_rule("too-many", (risks, ["smoker", "none"], 2))
    make_rule("no-values", (legs, []))
    make_rule("inactive-question", (retired, ["yes"]))
    make_rule("no-conditions")
    make_rule("switched-off", (legs, []), active=False)
    response = admin_client.get(RULES_URL)
    report = response.context["report"]
    problems = {row.rule.slug: row.skipped or row.never for row in report.rule_problems}
    assert problems == {
        "contradiction": "it needs two different answers to the pick-one question 'legs'",
        "none-and-more": "it needs 'none' and another answer to the question 'risk_factors'",
        "too-many": "condition 1: it needs 2 of only 1 possible answers to 'risk_factors'",
        "no-values": "condition 1: it lists no answers to 'legs'",
        "inactive-question": "its condition names the inactive question 'retired'",
        "no-conditions": "it has no conditions",
    }
    html = response.content.decode()
    assert "can never fire: it needs two different answers" in html
    assert "is skipped by the assessment: its condition names the inactive question" in html
    assert "(inactive: never applied)" in html


def test_a_rule_naming_a_deleted_answer_is_skipped_and_flagged_never_a_500(
    admin_client: Client,
) -> None:
    legs = make_question("legs")
    make_choice(legs, "one")
    gone = make_choice(legs, "both")
    make_rule("both-legs", (legs, ["both", "one"]))
    assert [r.slug for r in get_knowledge().rules] == ["both-legs"]
    gone.delete()
    # The answer that is left still fires the rule; the deleted one is flagged.
    [rule] = get_knowledge().rules
    assert rule.groups == ((ConditionInfo("legs", frozenset({"one"})),),)
    response = admin_client.get(RULES_URL)
    assert response.status_code == 200
    [row] = response.context["report"].rule_problems
    assert row.skipped == ""
    assert row.ignored == "its condition on 'legs' names the deleted or unknown answer 'both'"
    html = response.content.decode()
    assert "both (no such answer)" in html
    assert "is applied without a part no runner can answer" in html
    # With every answer it names deleted, the rule can never fire: skipped and flagged.
    Choice.objects.filter(question=legs, value="one").delete()
    assert get_knowledge().rules == ()
    response = admin_client.get(RULES_URL)
    [row] = response.context["report"].rule_problems
    assert row.skipped.startswith("its condition on 'legs' names the deleted or unknown answer")
    assert "is skipped by the assessment" in response.content.decode()
    rule_page = admin_client.get(url(Rule, "change", row.rule.pk))
    assert rule_page.status_code == 200
