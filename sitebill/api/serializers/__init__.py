"""Serializers of the REST API v1: they parse input and shape output, nothing else.

Input serializers turn JSON into the keyword arguments of a service; output serializers turn
models into the JSON of API.md. No business rule lives here (CONVENTIONS.md habit 1).
`InputSerializer` is the base of every request body (it refuses unknown keys);
`ErrorSerializer` documents the one error body every endpoint returns (`sitebill.api.errors`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from drf_spectacular.utils import inline_serializer
from rest_framework import serializers


class InputSerializer(serializers.Serializer):
    """A request body. Unknown keys are refused, each named, instead of silently dropped: a
    typo ("scheduled_valu") must not turn into a missing or a default value."""

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, Mapping):
            unknown = sorted(str(key) for key in data if key not in self.fields)
            if unknown:
                raise serializers.ValidationError({key: ["Unknown field."] for key in unknown})
        return super().to_internal_value(data)


# Built with `inline_serializer` because a serializer class cannot declare a field named
# `fields` (it would shadow `Serializer.fields`); the schema component is named "Error".
ErrorSerializer = inline_serializer(
    name="Error",
    fields={
        "message": serializers.CharField(help_text="A sentence for a person to read."),
        "code": serializers.CharField(
            help_text="A stable code: invalid, not_authenticated, authentication_failed, "
            "permission_denied, not_found, conflict, ..."
        ),
        "fields": serializers.DictField(
            child=serializers.ListField(child=serializers.CharField()),
            help_text='Messages per input field, e.g. {"lines[0].scheduled_value": ["..."]}; '
            "empty when the error is not about one field.",
        ),
    },
)
