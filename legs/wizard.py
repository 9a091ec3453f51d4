"""The assessment wizard: steps and questions come from the knowledge base."""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from formtools.wizard.views import NamedUrlSessionWizardView

from .diagnosis import MULTI, NONE_VALUE, Answers, Knowledge, Result, StepInfo, assess
from .knowledge import get_knowledge

RESULT_SESSION_KEY = "legs_assessment_result"
SKIP_LABEL = "Skip this question"


class StepForm(forms.Form):
    """One wizard step; its fields are the step's questions."""

    step: StepInfo

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        for name, field in self.fields.items():
            value = cleaned.get(name)
            if isinstance(field, forms.MultipleChoiceField) and value and NONE_VALUE in value:
                if len(value) > 1:
                    self.add_error(
                        name,
                        "“None of these” cannot be ticked together with another answer. "
                        "Untick one of them.",
                    )
        return cleaned

    def answers(self) -> Answers:
        result: Answers = {}
        for name, value in self.cleaned_data.items():
            if value:
                result[name] = list(value) if isinstance(value, list) else str(value)
        return result


def build_step_form(knowledge: Knowledge, step: StepInfo) -> type[StepForm]:
    fields: dict[str, Any] = {}
    for key in step.questions:
        question = knowledge.questions[key]
        choices = [(c.value, c.label) for c in question.choices.values()]
        common = {
            "label": question.text,
            "help_text": question.help_text,
            "required": question.required,
            "error_messages": {
                "required": "Please answer this question"
                + (
                    " (pick “none of these” if nothing applies)." if question.kind == MULTI else "."
                ),
                "invalid_choice": "Pick one of the answers shown.",
                "invalid_list": "Pick from the answers shown.",
            },
        }
        if question.kind == MULTI:
            fields[key] = forms.MultipleChoiceField(
                choices=choices, widget=forms.CheckboxSelectMultiple, **common
            )
        else:
            if not question.required:
                choices.append(("", SKIP_LABEL))
            fields[key] = forms.ChoiceField(choices=choices, widget=forms.RadioSelect, **common)
    form_class = type(f"{step.key.title().replace('_', '')}StepForm", (StepForm,), fields)
    form_class.step = step
    return form_class


_form_cache: dict[int, OrderedDict[str, type[StepForm]]] = {}


def step_forms(knowledge: Knowledge) -> OrderedDict[str, type[StepForm]]:
    cached = _form_cache.get(id(knowledge))
    if cached is None:
        cached = OrderedDict((s.key, build_step_form(knowledge, s)) for s in knowledge.steps)
        _form_cache.clear()
        _form_cache[id(knowledge)] = cached
    return cached


def store_result(request: HttpRequest, answers: Answers, result: Result, version: int) -> None:
    request.session[RESULT_SESSION_KEY] = {
        "answers": answers,
        "result": result.to_dict(),
        "knowledge_version": version,
        "created": timezone.now().isoformat(),
    }


class AssessmentWizard(NamedUrlSessionWizardView):  # type: ignore[misc]
    template_name = "legs/wizard_step.html"

    @classmethod
    def get_initkwargs(cls, *args: Any, **kwargs: Any) -> dict[str, Any]:
        # The real steps are read from the knowledge base on every request (see dispatch),
        # so an editor's new question shows up without a deploy.
        kwargs.setdefault("form_list", [("start", forms.Form)])
        kwargs.setdefault("url_name", "legs:wizard_step")
        kwargs.setdefault("done_step_name", "finish")
        return super().get_initkwargs(*args, **kwargs)  # type: ignore[no-any-return]

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        self.knowledge = get_knowledge()
        self.form_list = step_forms(self.knowledge)
        if not self.form_list:
            return render(request, "legs/wizard_unavailable.html", status=503)
        return super().dispatch(request, *args, **kwargs)  # type: ignore[no-any-return]

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        step = kwargs.get("step")
        if step == self.done_step_name and not self.storage.data.get("step_data"):
            return self._expired()
        return super().get(request, *args, **kwargs)  # type: ignore[no-any-return]

    def post(self, *args: Any, **kwargs: Any) -> HttpResponse:
        posted_step = self.request.POST.get(f"{self.prefix}-current_step")
        if posted_step not in self.form_list and "wizard_goto_step" not in self.request.POST:
            return self._expired()
        if posted_step != self.steps.first and not self.storage.data.get("step_data"):
            return self._expired()
        return super().post(*args, **kwargs)  # type: ignore[no-any-return]

    def _expired(self) -> HttpResponse:
        self.storage.reset()
        messages.info(
            self.request,
            "Your assessment session had expired or was started elsewhere, so we started again "
            "from the first step. Sorry for the trouble.",
        )
        return redirect("legs:wizard")

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

    def render_next_step(self, form: StepForm, **kwargs: Any) -> HttpResponse:
        result = assess(self.answers_so_far(), self.knowledge)
        if result.stops:
            # A warning sign that needs help now ends the questionnaire at once.
            return self._finish(self.answers_so_far(), result)
        return super().render_next_step(form, **kwargs)  # type: ignore[no-any-return]

    def done(self, form_list: list[StepForm], **kwargs: Any) -> HttpResponse:
        answers: Answers = {}
        for form in form_list:
            answers.update(form.answers())
        return self._finish(answers, assess(answers, self.knowledge))

    def _finish(self, answers: Answers, result: Result) -> HttpResponse:
        store_result(self.request, answers, result, self.knowledge.version)
        self.storage.reset()
        return redirect("legs:result")

    def get_context_data(self, form: StepForm, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(form=form, **kwargs)
        step = self.knowledge.steps[self.steps.index]
        context.update(
            step=step,
            percent=round(100 * self.steps.step1 / max(self.steps.count, 1)),
        )
        return context
