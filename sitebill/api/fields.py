"""Serializer fields for money, percentages and quantities: decimal strings in, decimal strings out.

Invariants (API.md, CONVENTIONS.md habit 3):

- Input is accepted ONLY as a JSON string of ASCII digits: a JSON number (already a binary float
  in most clients), a bool, "NaN", "Infinity", "1e5", "", " 1.00", "1.00\\n", full-width or
  Arabic-Indic digits, too many places or too many digits are refused with a 400 that names the
  field. Nothing is rounded on the way in: "1.005" is an error, never 1.01.
- Output is a string: an amount always has exactly 2 places ("1250.00"); a percentage or a
  quantity has at least 2 and at most 4 ("10.00", "12.345").
- The OpenAPI schema documents each as `type: string, format: decimal` with its pattern.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from decimal import Decimal
from typing import Any, ClassVar

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from sitebill.core.money import HUNDRED, quantize, to_decimal

# The documented patterns (ECMA-262 `\d` is ASCII only, like Python's with re.ASCII).
MONEY_PATTERN = r"^-?\d{1,12}(\.\d{1,2})?$"
PERCENT_PATTERN = r"^\d{1,3}(\.\d{1,4})?$"
QUANTITY_PATTERN = r"^-?\d{1,10}(\.\d{1,4})?$"

MONEY_MESSAGE = 'Enter an amount as a string with at most 2 decimal places, like "1250.00".'
PERCENT_MESSAGE = (
    'Enter a percentage from 0 to 100 as a string with at most 4 decimal places, like "10.00".'
)
MONEY_TOO_LARGE_MESSAGE = "Enter an amount of at most 12 digits before the decimal point."
QUANTITY_MESSAGE = 'Enter a number as a string with at most 4 decimal places, like "12.5".'


def _matcher(pattern: str) -> re.Pattern[str]:
    """Compile a documented pattern for Python: ASCII digits only, and `$` means end of text.

    Python's `$` also matches before a final newline and `\\d` matches any Unicode digit, so the
    anchors are dropped in favour of `fullmatch` and `re.ASCII` is set.
    """
    return re.compile(pattern.removeprefix("^").removesuffix("$"), re.ASCII)


_WELL_FORMED_MONEY = re.compile(r"-?[0-9]+(\.[0-9]{1,2})?", re.ASCII)


def _format_rate(value: Decimal) -> str:
    """At least 2 and at most 4 places: Decimal("10.0000") -> "10.00", "12.3450" -> "12.345"."""
    text = format(value.normalize(), "f")
    whole, _, places = text.partition(".")
    return f"{whole}.{places.ljust(2, '0')}"


# The formatters of the output, for a pay app's thousands of values (serializers/billing.py
# builds its G703 rows with them). Each takes the common case, a stored or computed Decimal whose
# `str` is already plain notation, from that string alone, and hands anything else to the
# reference formatting above, so the two never differ (tests/api/test_pay_app_api_speed.py).
_PLAIN_DIGITS = 28  # below the default context's precision, which `normalize` rounds to


def money_text(value: Any) -> str:
    """An amount as the API writes it: exactly 2 places, "-0.00" written "0.00" (`quantize`)."""
    if type(value) is Decimal:
        text = str(value)
        # Plain notation with exactly two places: quantize would give the same digits back.
        if len(text) < _PLAIN_DIGITS and text[-3:-2] == "." and text != "-0.00":
            return text
    return str(quantize(Decimal(value)))


def money_texts(values: Iterable[Any]) -> list[str]:
    """`money_text` of each value (a G703 column): the common case decided in one loop."""
    out: list[str] = []
    append = out.append
    for value in values:
        if type(value) is Decimal:
            text = str(value)
            if len(text) < _PLAIN_DIGITS and text[-3:-2] == "." and text != "-0.00":
                append(text)
                continue
        append(money_text(value))
    return out


def rate_texts(values: Iterable[Any]) -> list[str]:
    """`rate_text` of each value, remembered per value (rates repeat down a column). Equal
    nonzero Decimals give the same text (`rate_text` strips trailing zeros and pads to two
    places); a zero is not remembered (-0.0000 and 0 are equal keys of different texts)."""
    seen: dict[Decimal, str] = {}
    out: list[str] = []
    append = out.append
    for value in values:
        remember = type(value) is Decimal and not value.is_zero()
        text = seen.get(value) if remember else None
        if text is None:
            text = rate_text(value)
            if remember:
                seen[value] = text
        append(text)
    return out


def rate_text(value: Any) -> str:
    """A percentage or a quantity as the API writes it: 2 to 4 places (`_format_rate`)."""
    if type(value) is Decimal:
        text = str(value)
        if len(text) < _PLAIN_DIGITS and "E" not in text and value.is_finite():
            whole, _, places = text.partition(".")
            return f"{whole}.{places.rstrip('0').ljust(2, '0')}"
    return _format_rate(Decimal(value))


class _DecimalStringField(serializers.Field):
    """A decimal number sent and returned as a string matching `pattern`."""

    pattern: ClassVar[str]
    max_places: ClassVar[int]
    message: ClassVar[str]

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._match = _matcher(self.pattern)

    def to_internal_value(self, data: Any) -> Decimal:
        if not isinstance(data, str):
            # bool, int, float, list, dict: `1250.1` has already been through a binary float.
            raise serializers.ValidationError(
                f"{self.message} Send it as a JSON string, not a number.", code="not_a_string"
            )
        if not self._match.fullmatch(data):
            raise serializers.ValidationError(self.mismatch_message(data), code="invalid")
        # The pattern bounds digits and places, so this never raises; it builds the Decimal
        # from the string, never through a float.
        return self.check(to_decimal(data, max_places=self.max_places))

    def mismatch_message(self, data: str) -> str:
        return self.message

    def check(self, value: Decimal) -> Decimal:
        return value

    def to_representation(self, value: Any) -> str:
        return rate_text(value)


@extend_schema_field(
    {"type": "string", "format": "decimal", "pattern": MONEY_PATTERN, "example": "1250.00"}
)
class MoneyField(_DecimalStringField):
    """An amount: `"-1250.50"`; up to 12 digits before the point and 2 after. Out: 2 places."""

    pattern = MONEY_PATTERN
    max_places = 2
    message = MONEY_MESSAGE

    def mismatch_message(self, data: str) -> str:
        if _WELL_FORMED_MONEY.fullmatch(data):
            return MONEY_TOO_LARGE_MESSAGE
        return self.message

    def check(self, value: Decimal) -> Decimal:
        return quantize(value)

    def to_representation(self, value: Any) -> str:
        return money_text(value)


@extend_schema_field(
    {
        "type": "string",
        "format": "decimal",
        "pattern": PERCENT_PATTERN,
        "example": "10.00",
        "description": 'A percentage from 0 to 100: "10.00" means 10%.',
    }
)
class PercentField(_DecimalStringField):
    """A percentage from 0 to 100 with up to 4 places: `"10.00"` means 10%."""

    pattern = PERCENT_PATTERN
    max_places = 4
    message = PERCENT_MESSAGE

    def check(self, value: Decimal) -> Decimal:
        if value > HUNDRED:
            raise serializers.ValidationError(self.message, code="max_value")
        return value


@extend_schema_field(
    {"type": "string", "format": "decimal", "pattern": QUANTITY_PATTERN, "example": "12.5"}
)
class QuantityField(_DecimalStringField):
    """A quantity or a unit price of a unit-based line: up to 10 digits and 4 places."""

    pattern = QUANTITY_PATTERN
    max_places = 4
    message = QUANTITY_MESSAGE
