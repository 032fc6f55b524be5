"""Views of the REST API v1: thin, and the same shape everywhere.

A view loads what it acts on through `sitebill.accounts.access` (404 for what the caller may not
see), parses the body with an `*Input` serializer, calls one service (which checks the caller's
role: 403), and shapes the answer with an `*Output` serializer. Lists are scoped by the access
helpers or a selector and paginated (`{"count", "next", "previous", "results"}`).

Shared here for every area of the API: `Endpoint` (a view with the project's paginator),
`parse`, `paginated` and `errors` (the documented error answers of an operation).
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers
from rest_framework.generics import GenericAPIView
from rest_framework.parsers import JSONParser
from rest_framework.request import Request
from rest_framework.response import Response

from sitebill.api.renderers import JSONRenderer
from sitebill.api.serializers import ErrorSerializer

_ERROR_DESCRIPTIONS = {
    400: "Bad input: `message` says what is wrong and `fields` names each field in error.",
    401: "No credentials, or a token that is not valid: send `Authorization: Token <token>`.",
    403: "You may see this but not do this: your permission on the project is too low.",
    404: "Not found, or not yours to see (the two are not told apart).",
    409: "The state changed under you: the transition no longer applies. Reload and retry.",
}


def errors(*statuses: int) -> dict[int, OpenApiResponse]:
    """The error answers an operation documents, each with the `Error` body."""
    return {
        code: OpenApiResponse(ErrorSerializer, description=_ERROR_DESCRIPTIONS[code])
        for code in statuses
    }


class Endpoint(GenericAPIView):
    """A view with the project's paginator. Querysets come from the access helpers and
    selectors, never from a view attribute, so a list can never be unscoped by mistake.
    Bodies and answers are JSON only: amounts are strings in JSON and a form would blur that;
    people browse the API at /api/docs/ (DRF's browsable renderer would need a
    `serializer_class` per view, which these views deliberately do not have)."""

    parser_classes = [JSONParser]
    renderer_classes = [JSONRenderer]

    def get_queryset(self) -> Any:
        raise NotImplementedError("load objects through sitebill.accounts.access")


def parse(serializer_class: type[serializers.Serializer], request: Request) -> dict[str, Any]:
    """The validated body as a dict, or a 400 naming every field in error."""
    serializer = serializer_class(data=request.data)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


def paginated(
    view: GenericAPIView, rows: QuerySet[Any], serializer_class: type[serializers.BaseSerializer]
) -> Response:
    """One page of `rows` (an ordered queryset), shaped by `serializer_class`."""
    page: list[Any] | None = view.paginate_queryset(rows)
    assert page is not None  # every API view has a paginator (settings.REST_FRAMEWORK)
    return view.get_paginated_response(serializer_class(page, many=True).data)
