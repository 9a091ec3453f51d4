"""The JSON API, version 1: /api/v1/… (django-ninja; the OpenAPI document is drawn from the
schemas in schemas.py).

Errors are always JSON: {"detail": "…"} with, for invalid input, "errors" naming each key.
"""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.parser import Parser

from legs.assessment.engine import InvalidAnswers

from . import endpoints

# Answers and a run's details fit in a few kilobytes; anything much bigger is a mistake or
# an attack, and is refused before it is parsed.
MAX_BODY_BYTES = 64 * 1024


class BodyRejected(Exception):
    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail


class JsonBodyParser(Parser):
    """JSON bodies only, and small ones: anything else is a clear 4xx, not a parse error."""

    def parse_body(self, request: HttpRequest) -> dict[str, Any]:
        if request.content_type != "application/json":
            raise BodyRejected(415, "Send the body as JSON, with Content-Type: application/json.")
        if int(request.META.get("CONTENT_LENGTH") or 0) > MAX_BODY_BYTES:
            raise BodyRejected(413, f"The body is larger than {MAX_BODY_BYTES} bytes.")
        try:
            data = json.loads(request.body)
        except RequestDataTooBig as exc:
            raise BodyRejected(413, f"The body is larger than {MAX_BODY_BYTES} bytes.") from exc
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise BodyRejected(400, f"The body is not valid JSON: {exc}") from exc
        if not isinstance(data, dict):
            raise BodyRejected(400, "The body must be a JSON object.")
        return data


api = NinjaAPI(
    title="Heavy Legs API",
    version="1",
    description=(
        "The Heavy Legs self-assessment, the published knowledge base and a runner's own "
        "history. /api/v1/ is stable: breaking changes go to /api/v2/. Errors are JSON: "
        '{"detail": "…"}, with "errors" naming each invalid key.'
    ),
    urls_namespace="api-v1",
    parser=JsonBodyParser(),
)


def error(request: HttpRequest, status: int, detail: str, **extra: Any) -> HttpResponse:
    response = api.create_response(request, {"detail": detail, **extra}, status=status)
    if status == 401:
        response["WWW-Authenticate"] = 'Bearer realm="api"'
    return response


@api.exception_handler(HttpError)
def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    # ninja wraps any failure to parse a body in a 400; ours say which failure it was.
    cause = exc.__cause__
    if isinstance(cause, BodyRejected):
        return error(request, cause.status, cause.detail)
    return error(request, exc.status_code, str(exc))


@api.exception_handler(RequestDataTooBig)
def body_too_big(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
    # Beyond settings.DATA_UPLOAD_MAX_MEMORY_SIZE, when ninja reads the body.
    return error(request, 413, "The body is larger than the server accepts.")


@api.exception_handler(AuthenticationError)
def unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return error(
        request, 401, "Log in, or send a personal access token: Authorization: Bearer <token>."
    )


@api.exception_handler(ValidationError)
def invalid_input(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    errors: dict[str, str] = {}
    for problem in exc.errors:
        # ninja's locations start with where the value came from (body, query, path).
        location = [str(part) for part in problem.get("loc", ())]
        # then the parameter's name; an empty body is missing as a whole ("body").
        if location and location[0] in ("body", "query", "path"):
            location = location[2:] or location[:1]
        errors.setdefault(".".join(location) or "body", str(problem.get("msg", "invalid")))
    return error(request, 422, "The request has invalid values.", errors=errors)


@api.exception_handler(InvalidAnswers)
def invalid_answers(request: HttpRequest, exc: InvalidAnswers) -> HttpResponse:
    errors = {f"answers.{key}": problem for key, problem in exc.errors.items()}
    return error(request, 422, "The answers do not fit the questions.", errors=errors)


# Field names of the model that the API calls differently.
RUN_FIELDS = {"duration": "duration_minutes"}


@api.exception_handler(DjangoValidationError)
def invalid_run(request: HttpRequest, exc: DjangoValidationError) -> HttpResponse:
    # Raised by the model's full_clean in episode_create: the run's details.
    if hasattr(exc, "error_dict"):
        errors = {
            f"run.{RUN_FIELDS.get(field, field)}": " ".join(messages)
            for field, messages in exc.message_dict.items()
        }
    else:
        errors = {"run": " ".join(exc.messages)}
    return error(request, 422, "The run's details are invalid.", errors=errors)


@api.exception_handler(endpoints.RateLimited)
def rate_limited(request: HttpRequest, exc: endpoints.RateLimited) -> HttpResponse:
    response = error(
        request,
        429,
        f"Too many requests from your address (limit {settings.RATELIMIT_RATE}); "
        f"try again in {exc.seconds} seconds.",
    )
    response["Retry-After"] = str(exc.seconds)
    return response


api.add_router("", endpoints.router)
