"""Every API error as `{"message", "code", "fields"}` (API.md)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.views.defaults import page_not_found
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from sitebill.core.exceptions import ApplicationError


def _join(key: Any, sub: str) -> str:
    """The name of a nested field, spelt like the services spell it: "lines[0].amount".

    DRF 3.18 reports a list's errors by index (`{"lines": {0: {"amount": [...]}}}`), and a
    list's own error (too many items) as `{"retainage_rules": {"non_field_errors": [...]}}`,
    which names the list itself.
    """
    if sub == "non_field_errors":
        return str(key)
    head, dot, rest = sub.partition(".")
    if head.isdigit():
        return f"{key}[{head}]{dot}{rest}"
    return f"{key}.{sub}"


def _flatten(detail: Any) -> dict[str, list[str]]:
    if isinstance(detail, dict):
        out: dict[str, list[str]] = {}
        for key, value in detail.items():
            if isinstance(value, dict):
                for sub, msgs in _flatten(value).items():
                    out[_join(key, sub)] = msgs
            elif isinstance(value, list) and value and isinstance(value[0], dict):
                for index, item in enumerate(value):
                    for sub, msgs in _flatten(item).items():
                        out[f"{key}[{index}].{sub}"] = msgs
            elif isinstance(value, list):
                out[str(key)] = [str(v) for v in value]
            else:
                out[str(key)] = [str(value)]
        return out
    if isinstance(detail, list):
        return {"non_field_errors": [str(v) for v in detail]}
    return {"non_field_errors": [str(detail)]}


def error_body(
    message: str, code: str, fields: dict[str, list[str]] | None = None
) -> dict[str, Any]:
    return {"message": message, "code": code, "fields": fields or {}}


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, ApplicationError):
        return Response(error_body(exc.message, exc.code, exc.fields), status=exc.status)
    if isinstance(exc, DjangoValidationError):
        fields = exc.message_dict if hasattr(exc, "error_dict") else {}
        message = "; ".join(exc.messages)
        return Response(error_body(message, "invalid", fields), status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        fields = _flatten(exc.detail)
        first = next(iter(fields.items()), None)
        message = f"{first[0]}: {first[1][0]}" if first else "Invalid input."
        if first and first[0] == "non_field_errors":
            message = first[1][0]
        response.data = error_body(message, "invalid", fields)
    elif isinstance(exc, exceptions.APIException):
        detail = exc.detail
        message = str(detail) if not isinstance(detail, (dict, list)) else "Request failed."
        code = exc.get_codes() if isinstance(exc.get_codes(), str) else exc.default_code
        response.data = error_body(message, str(code))
    return response


def not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """A URL nothing answers (e.g. `/api/v1/pay-apps/-5/`): JSON under /api/, else the page."""
    if request.path.startswith("/api/"):
        return JsonResponse(error_body("Not found.", "not_found"), status=404)
    return page_not_found(request, exception, template_name="web/404.html")
