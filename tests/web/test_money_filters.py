"""The template filters that print money and rates: Decimal only, accounting negatives."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.template import Context, Template

from sitebill.web.templatetags.sitebill import (
    money,
    percent,
    pill,
    quantity,
    retainage_rule,
    unit_price,
)


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (Decimal("1250"), "$1,250.00"),
        (Decimal("1250.5"), "$1,250.50"),
        (Decimal("-1250.00"), "($1,250.00)"),
        (Decimal("0.00"), "$0.00"),
        (Decimal("-0.00"), "$0.00"),
        (Decimal("999999999999.99"), "$999,999,999,999.99"),
        (Decimal("0.005"), "$0.01"),
        (None, ""),
    ],
)
def test_money_prints_dollars_with_thousands_and_brackets_for_negatives(value, shown):
    assert money(value) == shown


def test_money_refuses_a_float():
    with pytest.raises(TypeError, match="money needs a Decimal, not float"):
        money(1250.0)  # type: ignore[arg-type]


def test_money_in_a_template():
    # given
    template = Template("{% load sitebill %}{{ amount|money }}")
    # when
    shown = template.render(Context({"amount": Decimal("-40000.00")}))
    # then
    assert shown == "($40,000.00)"


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (Decimal("10.0000"), "10.00%"),
        (Decimal("12.3750"), "12.375%"),
        (Decimal("0"), "0.00%"),
        (Decimal("100"), "100.00%"),
    ],
)
def test_percent_keeps_two_to_four_places(value, shown):
    assert percent(value) == shown


def test_unit_line_figures():
    assert quantity(Decimal("1200.0000")) == "1,200"
    assert quantity(Decimal("12.5000")) == "12.5"
    assert unit_price(Decimal("30.0000")) == "$30.00"
    assert unit_price(Decimal("1012.3456")) == "$1,012.3456"


@pytest.mark.parametrize(
    ("rule", "words"),
    [
        (
            {"rate": "10.00", "until": "percent_complete", "limit": "50.00"},
            "10.00% until 50.00% complete",
        ),
        (
            {"rate": "10", "until": "percent_of_revised_value_held", "limit": "5"},
            "10.00% until 5.00% of the revised value is held",
        ),
        (
            {"rate": "5.00", "until": "percent_of_original_value_held", "limit": "2.50"},
            "5.00% until 2.50% of the original value is held",
        ),
        (
            {"rate": "10.00", "until": "amount_held", "limit": "20000.00"},
            "10.00% until $20,000.00 is held",
        ),
    ],
)
def test_sliding_scale_rules_in_words(rule, words):
    assert retainage_rule(rule) == words


def test_a_status_pill_carries_its_status_as_a_class():
    assert str(pill("revise_and_resubmit", "Revise & Resubmit")) == (
        '<span class="pill pill--revise-and-resubmit">Revise &amp; Resubmit</span>'
    )
