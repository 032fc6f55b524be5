"""Money and percentages come in as decimal strings only, and go out as decimal strings (API.md).

A JSON number has usually been through a binary float before we see it; "NaN", "1e5", unicode
digits, a third decimal place or a trillion are refused with a 400 that names the field, and
nothing is saved.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from rest_framework import serializers

from sitebill.api.fields import (
    MONEY_MESSAGE,
    MONEY_TOO_LARGE_MESSAGE,
    PERCENT_MESSAGE,
    MoneyField,
    PercentField,
)
from sitebill.contracts.models import ChangeOrder, ChangeOrderLine, Contract, SOVLine
from sitebill.core.models import Event

NOT_A_STRING = " Send it as a JSON string, not a number."

BAD_AMOUNTS = [
    pytest.param(1250, MONEY_MESSAGE + NOT_A_STRING, id="json-integer"),
    pytest.param(1250.5, MONEY_MESSAGE + NOT_A_STRING, id="json-float"),
    pytest.param(True, MONEY_MESSAGE + NOT_A_STRING, id="json-true"),
    pytest.param(["1.00"], MONEY_MESSAGE + NOT_A_STRING, id="json-list"),
    pytest.param("1250.005", MONEY_MESSAGE, id="three-places"),
    pytest.param("0.001", MONEY_MESSAGE, id="a-tenth-of-a-cent"),
    pytest.param("NaN", MONEY_MESSAGE, id="nan"),
    pytest.param("Infinity", MONEY_MESSAGE, id="infinity"),
    pytest.param("-Infinity", MONEY_MESSAGE, id="minus-infinity"),
    pytest.param("", MONEY_MESSAGE, id="empty"),
    pytest.param("1e5", MONEY_MESSAGE, id="exponent"),
    pytest.param("١٢٣", MONEY_MESSAGE, id="arabic-indic-digits"),
    pytest.param("１２３", MONEY_MESSAGE, id="full-width-digits"),
    pytest.param("1,250.00", MONEY_MESSAGE, id="thousands-separator"),
    pytest.param(" 1250.00", MONEY_MESSAGE, id="leading-space"),
    pytest.param("1250.00\n", MONEY_MESSAGE, id="trailing-newline"),
    pytest.param("+5.00", MONEY_MESSAGE, id="plus-sign"),
    pytest.param(".50", MONEY_MESSAGE, id="no-whole-part"),
    pytest.param("5.", MONEY_MESSAGE, id="no-places-after-point"),
    pytest.param("$5.00", MONEY_MESSAGE, id="currency-sign"),
    pytest.param("1000000000000.00", MONEY_TOO_LARGE_MESSAGE, id="a-trillion"),
    pytest.param("9" * 40, MONEY_TOO_LARGE_MESSAGE, id="forty-digits"),
]

BAD_PERCENTS = [
    pytest.param(10, PERCENT_MESSAGE + NOT_A_STRING, id="json-integer"),
    pytest.param(10.5, PERCENT_MESSAGE + NOT_A_STRING, id="json-float"),
    pytest.param("101", PERCENT_MESSAGE, id="over-100"),
    pytest.param("100.0001", PERCENT_MESSAGE, id="just-over-100"),
    pytest.param("-1", PERCENT_MESSAGE, id="negative"),
    pytest.param("10.12345", PERCENT_MESSAGE, id="five-places"),
    pytest.param("NaN", PERCENT_MESSAGE, id="nan"),
    pytest.param("Infinity", PERCENT_MESSAGE, id="infinity"),
    pytest.param("", PERCENT_MESSAGE, id="empty"),
    pytest.param("1e1", PERCENT_MESSAGE, id="exponent"),
    pytest.param("١٠", PERCENT_MESSAGE, id="arabic-indic-digits"),
    pytest.param("10%", PERCENT_MESSAGE, id="percent-sign"),
]


# --- The fields on their own ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sent", "parsed"),
    [
        ("1250", Decimal("1250.00")),
        ("1250.5", Decimal("1250.50")),
        ("-300.25", Decimal("-300.25")),
        ("0", Decimal("0.00")),
        ("-0.00", Decimal("0.00")),
        ("999999999999.99", Decimal("999999999999.99")),
    ],
)
def test_an_amount_string_is_parsed_to_an_exact_decimal_with_two_places(sent, parsed):
    # when
    value = MoneyField().run_validation(sent)
    # then
    assert value == parsed
    assert value.as_tuple().exponent == -2


@pytest.mark.parametrize(("sent", "message"), BAD_AMOUNTS)
def test_a_bad_amount_is_refused_with_a_clear_message(sent, message):
    with pytest.raises(serializers.ValidationError) as refusal:
        MoneyField().run_validation(sent)
    assert [str(m) for m in refusal.value.detail] == [message]


@pytest.mark.parametrize(
    ("stored", "shown"),
    [
        (Decimal("1250"), "1250.00"),
        (Decimal("1250.5"), "1250.50"),
        (Decimal("-0.00"), "0.00"),
        (Decimal("1E+3"), "1000.00"),
        (Decimal("999999999999.99"), "999999999999.99"),
    ],
)
def test_an_amount_is_always_shown_with_two_places(stored, shown):
    assert MoneyField().to_representation(stored) == shown


@pytest.mark.parametrize(
    ("sent", "parsed"),
    [("0", Decimal("0")), ("100", Decimal("100")), ("12.3456", Decimal("12.3456"))],
)
def test_a_percentage_string_is_parsed_exactly(sent, parsed):
    assert PercentField().run_validation(sent) == parsed


@pytest.mark.parametrize(("sent", "message"), BAD_PERCENTS)
def test_a_bad_percentage_is_refused_with_a_clear_message(sent, message):
    with pytest.raises(serializers.ValidationError) as refusal:
        PercentField().run_validation(sent)
    assert [str(m) for m in refusal.value.detail] == [message]


@pytest.mark.parametrize(
    ("stored", "shown"),
    [
        (Decimal("10.0000"), "10.00"),
        (Decimal("12.3450"), "12.345"),
        (Decimal("12.3456"), "12.3456"),
        (Decimal("100"), "100.00"),
        (Decimal("0E-4"), "0.00"),
    ],
)
def test_a_percentage_is_shown_with_two_to_four_places(stored, shown):
    assert PercentField().to_representation(stored) == shown


# --- Through the API: a 400 naming the field, and nothing saved ----------------------------------


def _snapshot():
    return (
        sorted(Contract.objects.values_list("pk", "number")),
        sorted(SOVLine.objects.values_list("pk", "scheduled_value")),
        sorted(ChangeOrder.objects.values_list("pk", "number")),
        sorted(ChangeOrderLine.objects.values_list("pk", "amount")),
        Event.objects.count(),
    )


def _commitment(world, **changes):
    body = {
        "kind": "subcontract",
        "number": "SC-050",
        "title": "Masonry",
        "vendor": world.vendor.pk,
        "retainage_work_percent": "10.00",
        "retainage_stored_percent": "10.00",
        "lines": [{"item_number": "1", "description": "CMU walls", "scheduled_value": "5000.00"}],
    }
    return body | changes


def _assert_refused(response, field, message):
    assert response.status_code == 400
    assert response.json() == {
        "message": f"{field}: {message}",
        "code": "invalid",
        "fields": {field: [message]},
    }


@pytest.mark.parametrize(("sent", "message"), BAD_AMOUNTS)
def test_a_bad_scheduled_value_is_named_and_nothing_is_saved(world, api, sent, message):
    # given
    before = _snapshot()
    line = {"item_number": "1", "description": "CMU walls", "scheduled_value": sent}
    # when
    response = api(world.admin).post(
        f"/api/v1/projects/{world.project.pk}/commitments/",
        _commitment(world, lines=[line]),
        format="json",
    )
    # then
    _assert_refused(response, "lines[0].scheduled_value", message)
    assert _snapshot() == before


@pytest.mark.parametrize(("sent", "message"), BAD_AMOUNTS)
def test_a_bad_change_order_amount_is_named_and_nothing_is_saved(world, api, sent, message):
    # given
    before = _snapshot()
    body = {
        "number": "010",
        "title": "Extra",
        "lines": [
            {"item_number": "A", "description": "Fine", "amount": "100.00"},
            {"item_number": "B", "description": "Bad", "amount": sent},
        ],
    }
    # when
    response = api(world.admin).post(
        f"/api/v1/commitments/{world.commitment.pk}/change-orders/", body, format="json"
    )
    # then
    _assert_refused(response, "lines[1].amount", message)
    assert _snapshot() == before


@pytest.mark.parametrize(("sent", "message"), BAD_PERCENTS)
def test_a_bad_retainage_rate_is_named_and_nothing_is_saved(world, api, sent, message):
    # given
    before = _snapshot()
    # when
    response = api(world.admin).post(
        f"/api/v1/projects/{world.project.pk}/commitments/",
        _commitment(world, retainage_work_percent=sent),
        format="json",
    )
    # then
    _assert_refused(response, "retainage_work_percent", message)
    assert _snapshot() == before


@pytest.mark.parametrize(
    ("rule", "field", "message"),
    [
        pytest.param(
            {"rate": 10, "until": "percent_complete", "limit": "50"},
            "retainage_rules[0].rate",
            PERCENT_MESSAGE + NOT_A_STRING,
            id="rate-as-number",
        ),
        pytest.param(
            {"rate": "10", "until": "percent_complete", "limit": "150"},
            "retainage_rules[0].limit",
            PERCENT_MESSAGE,
            id="percent-limit-over-100",
        ),
        pytest.param(
            {"rate": "10", "until": "amount_held", "limit": "20000.005"},
            "retainage_rules[0].limit",
            MONEY_MESSAGE,
            id="amount-limit-with-three-places",
        ),
        pytest.param(
            {"rate": "10", "until": "amount_held", "limit": 20000},
            "retainage_rules[0].limit",
            MONEY_MESSAGE + NOT_A_STRING,
            id="amount-limit-as-number",
        ),
    ],
)
def test_a_bad_retainage_rule_is_named_and_nothing_is_saved(world, api, rule, field, message):
    # given
    before = _snapshot()
    # when
    response = api(world.admin).post(
        f"/api/v1/projects/{world.project.pk}/commitments/",
        _commitment(world, retainage_rules=[rule]),
        format="json",
    )
    # then
    _assert_refused(response, field, message)
    assert _snapshot() == before


def test_a_null_amount_is_named(world, api):
    line = {"item_number": "1", "description": "CMU walls", "scheduled_value": None}
    response = api(world.admin).post(
        f"/api/v1/projects/{world.project.pk}/commitments/",
        _commitment(world, lines=[line]),
        format="json",
    )
    _assert_refused(response, "lines[0].scheduled_value", "This field may not be null.")


def test_an_amount_with_one_place_is_stored_and_shown_with_two(world, api):
    # when
    line = {"item_number": "1", "description": "CMU walls", "scheduled_value": "5000.5"}
    response = api(world.admin).post(
        f"/api/v1/projects/{world.project.pk}/commitments/",
        _commitment(world, lines=[line]),
        format="json",
    )
    # then
    assert response.status_code == 201
    assert response.json()["lines"][0]["scheduled_value"] == "5000.50"
    assert response.json()["contract_value"] == "5000.50"
    assert SOVLine.objects.get(contract__number="SC-050").scheduled_value == Decimal("5000.50")
