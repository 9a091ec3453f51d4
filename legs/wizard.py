"""The assessment wizard: steps and questions come from the knowledge base."""

from __future__ import annotations

import json
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from itertools import takewhile
from typing import Any, ClassVar, cast

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.utils import timezone
from formtools.wizard.storage.session import SessionStorage
from formtools.wizard.views import NamedUrlSessionWizardView

from config.page_cache import cached_page, cached_response, never_cached

from .diagnosis import (
    MULTI,
    NONE_VALUE,
    SAFETY_STEP,
    Answers,
    Knowledge,
    QuestionInfo,
    Result,
    StepInfo,
    assess,
)
from .knowledge import get_knowledge

# The history app saves this after login; keep the key and the stored shape stable.
RESULT_SESSION_KEY = "legs_assessment_result"
SKIP_LABEL = "Skip this question"
RESTART_MESSAGE = (
    "We could not find your earlier answers (they are cleared after a while, and when you "
    "finish), so the assessment starts again from the first step."
)


class StepForm(forms.Form):
    """One wizard step; its fields are the step's questions."""

    step: ClassVar[StepInfo]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        for name, field in self.fields.items():
            value = cleaned.get(name)
            is_multi = isinstance(field, forms.MultipleChoiceField)
            if is_multi and value and NONE_VALUE in value and len(value) > 1:
                self.add_error(
                    name,
                    "“None of these” cannot be ticked together with another answer. "
                    "Untick one of them.",
                )
        return cleaned

    def answers(self) -> Answers:
        """The step's answers in the engine's form; skipped questions are left out."""
        result: Answers = {}
        for name, value in self.cleaned_data.items():
            if value:
                result[name] = list(value) if isinstance(value, list) else str(value)
        return result


def question_field(question: QuestionInfo) -> forms.Field:
    choices: list[tuple[str, str]] = [(c.value, c.label) for c in question.choices.values()]
    if question.kind == MULTI:
        required = "Please answer this question (tick “None of these” if nothing applies)."
    else:
        required = "Please answer this question."
    error_messages = {
        "required": required,
        "invalid_choice": "Pick one of the answers shown.",
        "invalid_list": "Pick from the answers shown.",
    }
    field_class: type[forms.ChoiceField]
    widget: type[forms.RadioSelect | forms.CheckboxSelectMultiple]
    if question.kind == MULTI:
        field_class, widget = forms.MultipleChoiceField, forms.CheckboxSelectMultiple
    else:
        field_class, widget = forms.ChoiceField, forms.RadioSelect
        if not question.required:
            # A way back to "no answer" after a radio button has been picked.
            choices.append(("", SKIP_LABEL))
    return field_class(
        choices=choices,
        widget=widget(attrs={"class": "form-check-input"}),
        label=question.text,
        help_text=question.help_text,
        required=question.required,
        error_messages=error_messages,
    )


def build_step_form(knowledge: Knowledge, step: StepInfo) -> type[StepForm]:
    attrs: dict[str, Any] = {
        key: question_field(knowledge.questions[key]) for key in step.questions
    }
    attrs["step"] = step
    name = f"{step.key.title().replace('_', '').replace('-', '')}StepForm"
    return cast("type[StepForm]", type(name, (StepForm,), attrs))


# Form classes for the current snapshot only. The snapshot itself is kept alongside, so
# its id cannot be reused by a newer snapshot while the entry exists.
_form_cache: dict[int, tuple[Knowledge, OrderedDict[str, type[StepForm]]]] = {}


def step_forms(knowledge: Knowledge) -> OrderedDict[str, type[StepForm]]:
    cached = _form_cache.get(id(knowledge))
    if cached is None or cached[0] is not knowledge:
        forms_ = OrderedDict((s.key, build_step_form(knowledge, s)) for s in knowledge.steps)
        cached = (knowledge, forms_)
        _form_cache.clear()
        _form_cache[id(knowledge)] = cached
    return cached[1]


def store_result(request: HttpRequest, answers: Answers, result: Result, version: int) -> None:
    request.session[RESULT_SESSION_KEY] = {
        "answers": answers,
        # As JSON text: see StoredResult.
        "result": json.dumps(result.to_dict(), separators=(",", ":")),
        "knowledge_version": version,
        "created": timezone.now().isoformat(),
    }


@dataclass(frozen=True, slots=True)
class StoredResult:
    """The latest result kept in the session, for the result page and for saving it.

    The result is kept as its JSON text. The result page reads the session on every visit
    but needs the result itself only when the page is drawn: one string costs next to
    nothing to load, where the parsed result is about a thousand objects. Sessions stored
    before keep the parsed form, and both are read.
    """

    answers: dict[str, Any]
    knowledge_version: int
    # When the result was stored; older sessions may lack it.
    created: str | None
    raw: str | dict[str, Any]

    @classmethod
    def from_session(cls, session: Any) -> StoredResult | None:
        """The stored result, or None when there is none or it is damaged."""
        stored = session.get(RESULT_SESSION_KEY)
        if not isinstance(stored, dict):
            return None
        raw = stored.get("result")
        answers = stored.get("answers")
        created = stored.get("created")
        version = stored.get("knowledge_version")
        if not isinstance(raw, str | dict):
            return None
        return cls(
            answers=answers if isinstance(answers, dict) else {},
            knowledge_version=(
                version if isinstance(version, int) and not isinstance(version, bool) else 0
            ),
            created=created if isinstance(created, str) and created else None,
            raw=raw,
        )

    def result(self) -> dict[str, Any]:
        """The result as the engine gave it (ValueError when the text is not one)."""
        if isinstance(self.raw, dict):
            return self.raw
        parsed = json.loads(self.raw)
        if not isinstance(parsed, dict):
            raise ValueError("The stored result is not a JSON object.")
        return parsed

    @property
    def stamp(self) -> str:
        """Tells this result from any other stored in the same session."""
        if self.created:
            return self.created
        return json.dumps([self.answers, self.raw], sort_keys=True, default=str)


class WizardSessionStorage(SessionStorage):
    """formtools' session storage, but the session is saved only when the wizard's state
    changes: formtools marks it changed whenever it is read, so every page view wrote it."""

    def _get_data(self) -> dict[str, Any]:
        return cast("dict[str, Any]", self.request.session[self.prefix])

    data = property(_get_data, SessionStorage._set_data)

    def _changed(self) -> None:
        self.request.session.modified = True

    def _set_current_step(self, step: str | None) -> None:
        if self.data[self.step_key] != step:
            super()._set_current_step(step)
            self._changed()

    def _set_extra_data(self, extra_data: dict[str, Any]) -> None:
        super()._set_extra_data(extra_data)
        self._changed()

    def set_step_data(self, step: str, cleaned_data: Any) -> None:
        super().set_step_data(step, cleaned_data)
        self._changed()

    def set_step_files(self, step: str, files: Any) -> None:
        super().set_step_files(step, files)
        self._changed()


class AssessmentWizard(NamedUrlSessionWizardView):
    template_name = "legs/wizard_step.html"
    storage_name = "legs.wizard.WizardSessionStorage"
    knowledge: Knowledge

    @classmethod
    def get_initkwargs(cls, *args: Any, **kwargs: Any) -> dict[str, Any]:
        # The real steps are read from the knowledge base on every request (see dispatch),
        # so an editor's new question shows up without a deploy.
        kwargs.setdefault("form_list", [("start", forms.Form)])
        kwargs.setdefault("url_name", "legs:wizard_step")
        kwargs.setdefault("done_step_name", "finish")
        return cast("dict[str, Any]", super().get_initkwargs(*args, **kwargs))

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        # Every page of the wizard shows the runner's own answers: never kept by browsers.
        return never_cached(self._dispatch(request, *args, **kwargs))

    def _dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        self.knowledge = get_knowledge()
        self.form_list = step_forms(self.knowledge)
        # Without its warning-signs step the questionnaire could reassure someone who needs
        # a doctor, so it is better not offered at all.
        if not self.form_list or next(iter(self.form_list)) != SAFETY_STEP:
            return render(request, "legs/wizard_unavailable.html", status=503)
        if request.method == "GET":
            kept = self._kept_step_page(request, kwargs.get("step"))
            if kept is not None:
                return kept
        return cast("HttpResponse", super().dispatch(request, *args, **kwargs))

    def _kept_step_page(self, request: HttpRequest, step: str | None) -> HttpResponse | None:
        """The step's page from the cache, read straight from the session, when the runner
        stands at that step with every step before it answered: exactly the page get()
        would render, without the wizard's machinery."""
        if step is None or step not in self.form_list:
            return None
        state = request.session.get(f"wizard_{self.get_prefix(request)}")
        if not isinstance(state, dict) or state.get("step") != step:
            return None
        answered = state.get("step_data")
        if not isinstance(answered, dict):
            return None
        for key in takewhile(lambda key: key != step, self.form_list):
            if key not in answered:
                return None
        return cached_page(request, self._page_parts(step, answered.get(step)))

    def _page_parts(self, step: str, stored: Mapping[str, list[str]] | None) -> tuple[object, ...]:
        """What a step's page shows: the step and the answers stored for it (from the
        session, field by field), drawn from this snapshot of the knowledge base. The
        snapshot's own version is named too: an edit between reading the snapshot and
        building the key must not file an old page under the new revision."""
        if stored is None:
            return ("wizard", self.knowledge.version, step, None)
        prefix = self.get_form_prefix(step, self.form_list[step])
        return (
            "wizard",
            self.knowledge.version,
            step,
            tuple(
                (name, tuple(stored.get(f"{prefix}-{name}", ())))
                for name in self.form_list[step].base_fields
            ),
        )

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        step: str | None = kwargs.get("step")
        if step == self.done_step_name and not self._has_answers():
            return self._restart()
        if step is not None and step in self.form_list:
            # Steps are answered in order: a bookmarked or stale later step sends the runner
            # back to the first one not answered yet (the warning signs, at the start).
            missing = self._first_unanswered_before(step)
            if missing is not None:
                if not self._has_answers():
                    return self._restart()
                self.storage.current_step = missing
                return redirect(self.get_step_url(missing))
            self.storage.current_step = step
            return self._step_page(step)
        return cast("HttpResponse", super().get(request, *args, **kwargs))

    def _step_page(self, step: str) -> HttpResponse:
        """A step's page. It shows the step and the answers stored for it, nothing else of
        the session, so it is rendered once for everyone who stands there with the same
        answers (and the same knowledge base)."""
        stored = self.storage.data[self.storage.step_data_key].get(step)

        def render() -> HttpResponse:
            form = self.get_form(
                step=step,
                data=self.storage.get_step_data(step),
                files=self.storage.get_step_files(step),
            )
            return cast("HttpResponse", self.render(form))

        parts = self._page_parts(step, stored)
        return cached_response(self.request, parts, render)

    def post(self, *args: Any, **kwargs: Any) -> HttpResponse:
        posted_step = self.request.POST.get(f"{self.prefix}-current_step")
        goto = self.request.POST.get("wizard_goto_step")
        if not posted_step:
            # No management form: formtools answers SuspiciousOperation, a 400 page.
            return cast("HttpResponse", super().post(*args, **kwargs))
        if posted_step not in self.form_list:
            # A page from before an editor changed the steps, or a forged one.
            return self._restart()
        if posted_step != self.steps.first and not self._has_answers():
            return self._restart()
        if goto in self.form_list:
            # Back: keep what was ticked on this page too, when it is valid.
            form = self.get_form(step=posted_step, data=self.request.POST)
            if form.is_valid():
                self.storage.set_step_data(posted_step, self.process_step(form))
            return cast("HttpResponse", self.render_goto_step(goto))
        return cast("HttpResponse", super().post(*args, **kwargs))

    def render_next_step(self, form: StepForm, **kwargs: Any) -> HttpResponse:
        answers = self.answers_so_far()
        result = assess(answers, self.knowledge)
        if result.stops:
            # A warning sign that needs help now ends the questionnaire at once.
            return self._finish(answers, result)
        return cast("HttpResponse", super().render_next_step(form, **kwargs))

    def done(self, form_list: list[StepForm], **kwargs: Any) -> HttpResponse:
        answers: Answers = {}
        for form in form_list:
            answers.update(form.answers())
        return self._finish(answers, assess(answers, self.knowledge))

    def get_form_step_data(self, form: StepForm) -> dict[str, list[str]]:
        """Only the step's answers go into the session: not the CSRF token, the wizard's
        own bookkeeping or anything else that came with the POST."""
        data = cast("QueryDict", form.data)
        keys = (form.add_prefix(name) for name in form.fields)
        return {key: data.getlist(key) for key in keys if key in data}

    def get_context_data(self, form: StepForm, **kwargs: Any) -> dict[str, Any]:
        context = cast("dict[str, Any]", super().get_context_data(form=form, **kwargs))
        context["step"] = form.step
        context["has_required"] = any(field.required for field in form.fields.values())
        return context

    def answers_so_far(self) -> Answers:
        answers: Answers = {}
        for key in self.form_list:
            data = self.storage.get_step_data(key)
            if data is None:
                continue
            form = self.get_form(step=key, data=data)
            if form.is_valid():
                answers.update(form.answers())
        return answers

    def _has_answers(self) -> bool:
        return bool(self.storage.data.get(self.storage.step_data_key))

    def _first_unanswered_before(self, step: str) -> str | None:
        for key in takewhile(lambda key: key != step, self.form_list):
            if self.storage.get_step_data(key) is None:
                return key
        return None

    def _restart(self) -> HttpResponse:
        self.storage.reset()
        messages.info(self.request, RESTART_MESSAGE)
        return redirect("legs:wizard")

    def _finish(self, answers: Answers, result: Result) -> HttpResponse:
        store_result(self.request, answers, result, self.knowledge.version)
        self.storage.reset()
        return redirect("legs:result")
