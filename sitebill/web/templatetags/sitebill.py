"""Template filters and tags of the sitebill pages: `{% load sitebill %}`.

- `money`: a Decimal as "$1,250.00", a negative as "($1,250.00)" (the accounting convention of
  G702/G703 forms). Decimal only: a float is refused with TypeError, because a float amount is a
  bug upstream, not something to format. None (no value) shows as an empty string.
- `percent`: a rate such as Decimal("10.0000") as "10.00%" (at least two places, up to four).
- `quantity`, `unit_price`: a unit line's quantity ("1,200.5") and unit price ("$12.3456").
- `{% pill status label %}`: a status pill; its colour comes from the status value's CSS class.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString

from sitebill.core.money import quantize

register = template.Library()


@register.filter
def money(value: Decimal | None) -> str:
    """ "$1,250.00", or "($1,250.00)" when negative; "" for None."""
    if value is None or value == "":
        return ""
    if not isinstance(value, Decimal):
        raise TypeError(f"money needs a Decimal, not {type(value).__name__}")
    amount = quantize(value)
    text = f"${abs(amount):,.2f}"
    return f"({text})" if amount < 0 else text


@register.filter
def percent(value: Decimal | None) -> str:
    """ "10.00%" for Decimal("10"), "12.375%" for Decimal("12.3750"); "" for None."""
    if value is None or value == "":
        return ""
    if not isinstance(value, Decimal):
        raise TypeError(f"percent needs a Decimal, not {type(value).__name__}")
    return f"{_trimmed(value, min_places=2)}%"


@register.simple_tag
def pill(status: Any, label: Any) -> SafeString:
    """A status pill: `<span class="pill pill--approved">Approved</span>`."""
    slug = str(status or "none").replace("_", "-")
    return format_html('<span class="pill pill--{}">{}</span>', slug, label)


def _trimmed(value: Decimal, *, min_places: int) -> str:
    """`value` with thousands separators, its trailing zeros dropped down to `min_places`."""
    text = f"{abs(value):,f}"
    whole, _, places = text.partition(".")
    places = places.rstrip("0").ljust(min_places, "0")
    sign = "-" if value < 0 else ""
    return f"{sign}{whole}.{places}" if places else f"{sign}{whole}"


@register.filter
def quantity(value: Decimal | None) -> str:
    """A unit line's quantity: "1,200" for Decimal("1200.0000"), "12.5" for "12.5000"."""
    if value is None or value == "":
        return ""
    if not isinstance(value, Decimal):
        raise TypeError(f"quantity needs a Decimal, not {type(value).__name__}")
    return _trimmed(value, min_places=0)


@register.filter
def unit_price(value: Decimal | None) -> str:
    """A unit price with 2 to 4 places: "$12.50", "$1,012.3456"."""
    if value is None or value == "":
        return ""
    if not isinstance(value, Decimal):
        raise TypeError(f"unit_price needs a Decimal, not {type(value).__name__}")
    text = f"${_trimmed(abs(value), min_places=2)}"
    return f"({text})" if value < 0 else text


_RULE_LIMITS = {
    "percent_complete": "{limit} complete",
    "percent_of_original_value_held": "{limit} of the original value is held",
    "percent_of_revised_value_held": "{limit} of the revised value is held",
    "amount_held": "{amount} is held",
}


@register.filter
def retainage_rule(rule: dict[str, Any]) -> str:
    """A sliding-scale rule in words: "10.00% until 50.00% complete" (API.md retainage_rules)."""
    rate = percent(Decimal(str(rule.get("rate", "0"))))
    limit = Decimal(str(rule.get("limit", "0")))
    until = str(rule.get("until", ""))
    pattern = _RULE_LIMITS.get(until, "{limit} (" + until + ")")
    return f"{rate} until " + pattern.format(limit=percent(limit), amount=money(limit))


@register.filter(name="field_group")
def field_group_filter(bound: Any) -> SafeString:
    """`{{ form.field|field_group }}`: `as_field_group()` without Django's form templates
    (sitebill.web.field_groups)."""
    from sitebill.web.field_groups import field_group

    return field_group(bound)
