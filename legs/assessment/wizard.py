"""The assessment wizard: steps and questions come from the knowledge base."""

from __future__ import annotations

import hashlib
import json
from collections import OrderedDict
from dataclasses import dataclass
from itertools import takewhile
from typing import Any, ClassVar, cast

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.sessions.backends.base import SessionBase
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.module_loading import import_string
from django.views.decorators.cache import never_cache
from formtools.wizard.storage.session import SessionStorage
from formtools.wizard.views import NamedUrlSessionWizardView

from legs.knowledge.published import get_knowledge
from legs.knowledge.snapshot import (
    MULTI,
    NONE_VALUE,
    SAFETY_STEP,
    Knowledge,
    QuestionInfo,
    StepInfo,
)

from .engine import Answers, InvalidAnswers, Result, assess, escalation_questions
from .presentation import answer_summary

# The history app saves this after login; keep the key and the stored shape stable.
RESULT_SESSION_KEY = "legs_assessment_result"
# The "Check your answers" page between the last step and the result (the wizard's done
# step), and the query parameter of a step opened from it or from the result to change an
# answer: after Next, the runner comes back to the check rather than walking the later steps.
REVIEW_STEP = "check-answers"
CHANGE_PARAM = "change"
# When the answers so far need help now but a later answer could make it more urgent (a rule
# over several answers), this page asks just those questions before the result. Its answers
# are kept with the steps the questions belong to, so the check page, Back and Change find
# them there; a step holding only such answers is listed under PARTIAL_STEPS until the
# runner has been through it, so that a walk resumed later still shows it whole.
MORE_STEP = "more-questions"
PARTIAL_STEPS = "partial_steps"
# Set in the wizard's storage when its answers have given a result; the answers are kept so
# that Back and Change work from the result, and the next new assessment starts empty.
FINISHED = "finished"
RESTART_MESSAGE = (
    "We could not find your earlier answers (they are cleared after a while, and when a new "
    "assessment starts), so the assessment starts again from the first step."
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
    # Nothing is picked for the runner: an optional question left alone is simply skipped.
    if question.kind == MULTI:
        field_class, widget = forms.MultipleChoiceField, forms.CheckboxSelectMultiple
    else:
        field_class, widget = forms.ChoiceField, forms.RadioSelect
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


@dataclass(frozen=True, slots=True)
class StoredResult:
    """The latest result kept in the session, for the result page and for saving it."""

    answers: Answers
    result: Result
    # The knowledge-base revision the result was scored with.
    knowledge_version: int
    # When it was stored: tells this result from any other of the same session.
    created: str

    def save(self, session: SessionBase) -> None:
        session[RESULT_SESSION_KEY] = {
            "answers": self.answers,
            "result": self.result.to_dict(),
            "knowledge_version": self.knowledge_version,
            "created": self.created,
        }

    @classmethod
    def load(cls, session: SessionBase) -> StoredResult | None:
        """The stored result, or None when there is none or it is damaged (a damaged one is
        neither shown nor saved: the runner answers the questions again)."""
        stored = session.get(RESULT_SESSION_KEY)
        if not isinstance(stored, dict):
            return None
        answers, version, created = (
            stored.get("answers"),
            stored.get("knowledge_version"),
            stored.get("created"),
        )
        if (
            not isinstance(answers, dict)
            or not isinstance(version, int)
            or isinstance(version, bool)
            or not isinstance(created, str | None)
        ):
            return None
        try:
            result = Result.from_dict(stored.get("result"))
        except ValueError:
            return None
        return cls(answers=answers, result=result, knowledge_version=version, created=created or "")


class AnswerStorage(SessionStorage):
    """The wizard's answers in the session. Whatever changes them (a step's Next or Back, the
    extra page, a new start) also drops the stored result: a result is only ever shown, or
    saved, for the answers it was scored from, never for answers changed since (a lower
    result left behind after a warning sign is ticked could reassure someone who needs a
    doctor). The walk is then no longer finished, so it carries on from where it is."""

    def set_step_data(self, step: str, cleaned_data: Any) -> None:
        if self.data[self.step_data_key].get(step) != cleaned_data:
            self.discard_result()
        super().set_step_data(step, cleaned_data)

    def reset(self) -> None:
        super().reset()
        self.discard_result()

    def discard_result(self) -> None:
        self.request.session.pop(RESULT_SESSION_KEY, None)
        self.data[self.extra_data_key].pop(FINISHED, None)


@method_decorator(never_cache, name="dispatch")
class AssessmentWizard(NamedUrlSessionWizardView):
    """Every page shows the runner's own answers, so none is kept by browsers or caches."""

    template_name = "assessment/wizard_step.html"
    storage_name = f"{__name__}.AnswerStorage"
    knowledge: Knowledge
    # Answers given in advance for this request's form, by question (see prefill()).
    prefilled: dict[str, str]

    @classmethod
    def get_initkwargs(cls, *args: Any, **kwargs: Any) -> dict[str, Any]:
        # The real steps are read from the knowledge base on every request (see dispatch),
        # so an editor's new question shows up without a deploy.
        kwargs.setdefault("form_list", [("start", forms.Form)])
        kwargs.setdefault("url_name", "assessment:wizard_step")
        kwargs.setdefault("done_step_name", REVIEW_STEP)
        return cast("dict[str, Any]", super().get_initkwargs(*args, **kwargs))

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        self.knowledge = get_knowledge()
        self.prefilled = {}
        self.form_list = step_forms(self.knowledge)
        # Without its warning-signs step the questionnaire could reassure someone who needs
        # a doctor, so it is better not offered at all.
        if not self.form_list or next(iter(self.form_list)) != SAFETY_STEP:
            return render(request, "assessment/wizard_unavailable.html", status=503)
        try:
            return cast("HttpResponse", super().dispatch(request, *args, **kwargs))
        except InvalidAnswers:
            # Every call to the engine ends up here when the stored answers no longer fit
            # the question bank (an editor retired a question or renamed a choice since they
            # were given): never an error page.
            return self._answers_no_longer_fit()

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        step: str | None = kwargs.get("step")
        if step is None and ("reset" in request.GET or self._finished()):
            # A new assessment: nothing from the last one is shown, or kept for Change.
            self._forget()
            return redirect(self.get_step_url(self.steps.first))
        if step in (self.done_step_name, MORE_STEP) and not self._has_answers():
            return self._restart()
        if step == MORE_STEP:
            return self._more_questions()
        if step is not None and step in self.form_list:
            # Steps are answered in order: a bookmarked or stale later step sends the runner
            # back to the first one not answered yet (the warning signs, at the start).
            missing = self._first_unanswered_before(step)
            if missing is not None:
                if not self._has_answers():
                    return self._restart()
                self.storage.current_step = missing
                return redirect(self.get_step_url(missing))
            # formtools shows the stored answers of its current step, which is not yet set
            # when the very first step ended the questionnaire.
            self.storage.current_step = step
        return cast("HttpResponse", super().get(request, *args, **kwargs))

    def post(self, *args: Any, **kwargs: Any) -> HttpResponse:
        if kwargs.get("step") == self.done_step_name:
            return self._confirm()
        if kwargs.get("step") == MORE_STEP:
            if not self._has_answers():
                return self._restart()
            return self._more_questions(self.request.POST)
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
        # The later steps' required questions are still to come.
        result = assess(answers, self.knowledge, complete=False)
        if result.stops:
            # A warning sign that needs help now ends the questionnaire (after the few
            # questions that could make it more urgent, if there are any).
            return self._stop(answers, result)
        if self._changing():
            return redirect(self.get_step_url(self.done_step_name))
        return cast("HttpResponse", super().render_next_step(form, **kwargs))

    def render_done(self, form: StepForm, **kwargs: Any) -> HttpResponse:
        """After the last step, the answers are checked on the review page (or, when they
        need help now, lead straight to the result); the review page itself lists them."""
        if kwargs.get("step") != self.done_step_name:
            answers = self.answers_so_far()
            result = assess(answers, self.knowledge)
            if result.stops:
                return self._stop(answers, result)
            return redirect(self.get_step_url(self.done_step_name))
        unfinished = self._back_to_unfinished_step()
        if unfinished is not None:
            return unfinished
        return render(
            self.request,
            "assessment/check_answers.html",
            {
                "answer_steps": answer_summary(self.answers_so_far(), self.knowledge),
                "review_url": self.get_step_url(self.done_step_name),
                "back_url": self.get_step_url(self.steps.last),
            },
        )

    def _confirm(self) -> HttpResponse:
        """ "See my result" on the review page: score the stored answers."""
        if not self._has_answers():
            return self._restart()
        unfinished = self._back_to_unfinished_step()
        if unfinished is not None:
            return unfinished
        answers = self.answers_so_far()
        result = assess(answers, self.knowledge)
        return self._stop(answers, result) if result.stops else self._finish(answers, result)

    def _stop(self, answers: Answers, result: Result) -> HttpResponse:
        """Answers that need help now: the result, unless a question not yet answered could
        make it more urgent; then those questions first."""
        if self._escalation_questions(answers):
            return redirect(self.get_step_url(MORE_STEP))
        return self._finish(answers, result)

    def _escalation_questions(self, answers: Answers) -> tuple[str, ...]:
        # Only questions the wizard asks: each on its own step.
        asked = {key for step in self.knowledge.steps for key in step.questions}
        return tuple(
            key
            for key in escalation_questions(answers, self.knowledge)
            if key in asked and self.knowledge.questions[key].step in self.form_list
        )

    def _more_questions(self, data: QueryDict | None = None) -> HttpResponse:
        """The page of questions that could make a help-now result more urgent (GET), and
        its answers (POST, as `data`): kept with their steps, then the result."""
        answers = self.answers_so_far()
        result = assess(answers, self.knowledge, complete=False)
        if not result.stops:
            # A stale page: the answers have changed since. The check page sends the
            # runner on to the first step still to answer.
            return redirect(self.get_step_url(self.done_step_name))
        keys = self._escalation_questions(answers)
        if not keys:
            kept = StoredResult.load(self.request.session)
            if data is None and kept is not None and kept.answers == answers:
                # Back from the result, with every question answered: the same result,
                # not a new one (a saved result stays the one that was saved).
                return redirect("assessment:result")
            return self._finish(answers, result)
        step = StepInfo(MORE_STEP, "A few more questions", "", keys)
        form = build_step_form(self.knowledge, step)(data=data, prefix=MORE_STEP)
        for field in form.fields.values():
            # Asked after the result is already clear: every one can be skipped.
            field.required = False
        if data is not None and form.is_valid():
            self._keep_with_their_steps(form.answers())
            answers = self.answers_so_far()
            return self._finish(answers, assess(answers, self.knowledge, complete=False))
        return render(
            self.request,
            "assessment/more_questions.html",
            {
                "form": form,
                "step": step,
                "triage": result.triage,
                "advice": result.triage.advice,
                "warnings": result.warnings,
                "back_url": self.get_step_url(self.steps.current),
            },
        )

    def _keep_with_their_steps(self, answers: Answers) -> None:
        """Store answers from the extra page as if given on each question's own step."""
        partial = set(self.storage.extra_data.get(PARTIAL_STEPS, []))
        for key, value in answers.items():
            step = self.knowledge.questions[key].step
            stored = self.storage.get_step_data(step)
            if stored is None:
                partial.add(step)
            data = dict(stored.lists()) if stored is not None else {}
            data[f"{step}-{key}"] = [value] if isinstance(value, str) else list(value)
            self.storage.set_step_data(step, data)
        self.storage.extra_data = {**self.storage.extra_data, PARTIAL_STEPS: sorted(partial)}

    def process_step(self, form: forms.Form) -> dict[str, list[str]]:
        # The runner has now been through the whole step.
        step = cast("StepForm", form).step.key
        partial = self.storage.extra_data.get(PARTIAL_STEPS, [])
        if step in partial:
            self.storage.extra_data = {
                **self.storage.extra_data,
                PARTIAL_STEPS: [key for key in partial if key != step],
            }
        return cast("dict[str, list[str]]", super().process_step(form))

    def get_form_initial(self, step: str) -> dict[str, Any]:
        """A step not answered yet starts from what settings.ASSESSMENT_PREFILL knows
        (for a logged-in runner, the training answers their log of runs can give); the
        runner can change every one of them."""
        initial = dict(super().get_form_initial(step) or {})
        if step in self.form_list and self.storage.get_step_data(step) is None:
            found = self.prefill(list(self.form_list[step].base_fields))
            self.prefilled.update(found)
            initial.update(found)
        return initial

    def prefill(self, keys: list[str]) -> dict[str, str]:
        """Answers to `keys` from settings.ASSESSMENT_PREFILL, a dotted path to a function
        (user, keys) -> {key: value}; only values that are choices of those questions."""
        path = getattr(settings, "ASSESSMENT_PREFILL", "")
        if not path or not self.request.user.is_authenticated:
            return {}
        found = import_string(path)(self.request.user, keys)
        questions = self.knowledge.questions
        return {
            key: value
            for key, value in found.items()
            if key in keys and key in questions and value in questions[key].choices
        }

    def get_form_step_data(self, form: StepForm) -> dict[str, list[str]]:
        """Only the step's answers go into the session: not the CSRF token, the wizard's
        own bookkeeping or anything else that came with the POST."""
        data = cast("QueryDict", form.data)
        keys = (form.add_prefix(name) for name in form.fields)
        return {key: data.getlist(key) for key in keys if key in data}

    def get_context_data(self, form: StepForm, **kwargs: Any) -> dict[str, Any]:
        context = cast("dict[str, Any]", super().get_context_data(form=form, **kwargs))
        context["step"] = form.step
        changing = self._changing()
        context["changing"] = changing
        # Back goes where the runner came from: the check page when changing an answer.
        prev = self.steps.prev
        if changing:
            context["back_url"] = self.get_step_url(self.done_step_name)
        elif prev:
            context["back_url"] = self.get_step_url(prev)
        context["has_required"] = any(field.required for field in form.fields.values())
        # The step's questions are drawn once for each set of answers shown in them, for this
        # revision of the knowledge base; a page with errors is always drawn afresh.
        data = cast("QueryDict", form.data)
        shown = (
            [data.getlist(form.add_prefix(name)) for name in form.fields] if form.is_bound else []
        )
        prefilled = (
            {} if form.is_bound else {k: v for k, v in self.prefilled.items() if k in form.fields}
        )
        context["prefilled"] = prefilled
        context["fields_key"] = hashlib.sha256(
            json.dumps([self.knowledge.version, form.step.key, shown, prefilled]).encode()
        ).hexdigest()
        return context

    def answers_so_far(self) -> Answers:
        answers: Answers = {}
        partial = self.storage.extra_data.get(PARTIAL_STEPS, [])
        for key in self.form_list:
            data = self.storage.get_step_data(key)
            if data is None:
                continue
            form = self.get_form(step=key, data=data)
            # A step holding only the extra page's answers may still miss its required
            # questions; the answers it has count all the same.
            if form.is_valid() or key in partial:
                answers.update(form.answers())
        return answers

    def _has_answers(self) -> bool:
        return bool(self.storage.data.get(self.storage.step_data_key))

    def _finished(self) -> bool:
        return bool(self.storage.extra_data.get(FINISHED))

    def _changing(self) -> bool:
        """The step was opened with a Change link: Next returns to the check page."""
        return CHANGE_PARAM in self.request.GET

    def _answered(self, step: str) -> bool:
        """The runner has been through the step (not only the extra page's questions)."""
        return self.storage.get_step_data(step) is not None and step not in (
            self.storage.extra_data.get(PARTIAL_STEPS, [])
        )

    def _first_unanswered_before(self, step: str) -> str | None:
        for key in takewhile(lambda key: key != step, self.form_list):
            if not self._answered(key):
                return key
        return None

    def _back_to_unfinished_step(self) -> HttpResponse | None:
        """A redirect to the first step whose answers are missing or no longer valid (an
        editor changed its questions), where its errors are shown; None when all are fine."""
        for key in self.form_list:
            data = self.storage.get_step_data(key)
            if (
                data is None
                or not self._answered(key)
                or not self.get_form(step=key, data=data).is_valid()
            ):
                self.storage.current_step = key
                return redirect(self.get_step_url(key))
        return None

    def _answers_no_longer_fit(self) -> HttpResponse:
        """Back to the first step whose answers are missing or no longer valid, where its
        errors are shown; a new start when no step shows what is wrong."""
        unfinished = self._back_to_unfinished_step()
        return unfinished if unfinished is not None else self._restart()

    def _forget(self) -> None:
        self.storage.reset()  # the stored result goes with the answers
        self.storage.current_step = self.steps.first

    def _restart(self) -> HttpResponse:
        self.storage.reset()
        messages.info(self.request, RESTART_MESSAGE)
        return redirect("assessment:wizard")

    def _finish(self, answers: Answers, result: Result) -> HttpResponse:
        StoredResult(
            answers=answers,
            result=result,
            knowledge_version=self.knowledge.version,
            created=timezone.now().isoformat(),
        ).save(self.request.session)
        # The answers stay, so that Back and Change from the result find them.
        self.storage.extra_data = {**self.storage.extra_data, FINISHED: True}
        return redirect("assessment:result")
