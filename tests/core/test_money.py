"""sitebill.core.money: amounts from strings, and the project's one rounding to the cent."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sitebill.core.money import (
    CENT,
    ROUNDING_MODES,
    as_rounding,
    divide,
    is_amount,
    is_percent,
    multiply,
    percent_of,
    quantize,
    to_decimal,
    to_money,
    to_percent,
)


def test_a_cent_is_one_hundredth() -> None:
    assert Decimal("1") / Decimal("100") == CENT
    assert ROUNDING_MODES == ("half_up", "half_even")


@pytest.mark.parametrize(
    ("amount", "half_up", "half_even"),
    [
        ("2.345", "2.35", "2.34"),
        ("2.355", "2.36", "2.36"),
        ("2.3450001", "2.35", "2.35"),
        ("2.3449999", "2.34", "2.34"),
        ("-2.345", "-2.35", "-2.34"),
        ("7", "7.00", "7.00"),
    ],
)
def test_quantize_rounds_half_up_by_default_and_half_even_on_request(
    amount: str, half_up: str, half_even: str
) -> None:
    # given
    value = Decimal(amount)

    # when
    default, up, even = quantize(value), quantize(value, "half_up"), quantize(value, "half_even")

    # then
    assert str(default) == half_up
    assert str(up) == half_up
    assert str(even) == half_even


def test_quantize_never_returns_a_negative_zero() -> None:
    # given a tiny credit that rounds away
    credit = Decimal("-0.004")

    # when
    rounded = quantize(credit)

    # then
    assert str(rounded) == "0.00"


def test_quantize_refuses_a_float() -> None:
    with pytest.raises(TypeError, match="quantize needs a Decimal, not float"):
        quantize(2.345)  # type: ignore[arg-type]


@pytest.mark.parametrize("amount", ["NaN", "Infinity", "-Infinity", "sNaN"])
def test_quantize_refuses_what_is_not_a_finite_number(amount: str) -> None:
    with pytest.raises(ValueError, match="cannot round"):
        quantize(Decimal(amount))


def test_quantize_refuses_an_unknown_rounding_mode() -> None:
    with pytest.raises(ValueError, match="unknown rounding mode 'bankers'"):
        quantize(Decimal("1.005"), "bankers")  # type: ignore[arg-type]


def test_quantize_refuses_an_amount_too_large_for_its_precision() -> None:
    with pytest.raises(ValueError, match="too large to be an amount"):
        quantize(Decimal("1E70"))


@pytest.mark.parametrize("setting", ["half_up", "half_even"])
def test_as_rounding_accepts_the_project_settings(setting: str) -> None:
    assert as_rounding(setting) == setting


def test_as_rounding_refuses_anything_else() -> None:
    with pytest.raises(ValueError, match="unknown rounding mode 'HALF_UP'"):
        as_rounding("HALF_UP")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("1250", "1250.00"),
        ("1250.5", "1250.50"),
        ("-467808.00", "-467808.00"),
        ("1.000", "1.00"),
        (" 42.10 ", "42.10"),
        (Decimal("259.63"), "259.63"),
        (0, "0.00"),
        (12, "12.00"),
        ("999999999999999.99", "999999999999999.99"),
    ],
)
def test_to_money_gives_two_places(value: str | Decimal | int, expected: str) -> None:
    # when
    amount = to_money(value)

    # then
    assert isinstance(amount, Decimal)
    assert str(amount) == expected


@pytest.mark.parametrize("value", [1.1, True, None, [Decimal("1.00")]])
def test_to_money_refuses_floats_bools_and_other_types(value: object) -> None:
    with pytest.raises(TypeError, match="expected a str, Decimal or int"):
        to_money(value)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("NaN", "is not a finite number"),
        ("Infinity", "is not a finite number"),
        (Decimal("-Infinity"), "is not a finite number"),
        ("twelve", "is not a number"),
        ("", "is not a number"),
        ("1.005", "more than 2 decimal places"),
        ("1E15", "too large"),
        ("-1000000000000000", "too large"),
    ],
)
def test_to_money_refuses_what_is_not_an_amount(value: str | Decimal, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        to_money(value)


def test_to_money_never_rounds_a_sub_cent_value() -> None:
    with pytest.raises(ValueError, match=re.escape("'1250.005' has more than 2 decimal places")):
        to_money("1250.005")


def test_to_percent_keeps_up_to_four_places() -> None:
    assert to_percent("10.0000") == Decimal("10")
    assert to_percent("2.5") == Decimal("2.5")
    assert to_percent(Decimal("33.3333")) == Decimal("33.3333")
    with pytest.raises(ValueError, match="more than 4 decimal places"):
        to_percent("33.33333")


def test_to_decimal_checks_the_places_asked_for() -> None:
    assert to_decimal("12.3456", max_places=4) == Decimal("12.3456")
    assert to_decimal("1E+3", max_places=0) == Decimal("1000")
    with pytest.raises(ValueError, match="more than 0 decimal places"):
        to_decimal("0.5", max_places=0)
    with pytest.raises(TypeError):
        to_decimal(0.5, max_places=4)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("amount", "percent", "half_up", "half_even"),
    [
        ("1234.50", "10.00", "123.45", "123.45"),
        ("0.10", "5", "0.01", "0.00"),
        ("100.10", "5", "5.01", "5.00"),
        ("100.30", "5", "5.02", "5.02"),
        ("2000000.00", "10", "200000.00", "200000.00"),
        ("-5000.00", "10", "-500.00", "-500.00"),
        ("33.33", "33.3333", "11.11", "11.11"),
    ],
)
def test_percent_of_rounds_once_to_the_cent(
    amount: str, percent: str, half_up: str, half_even: str
) -> None:
    assert str(percent_of(Decimal(amount), Decimal(percent))) == half_up
    assert str(percent_of(Decimal(amount), Decimal(percent), "half_even")) == half_even


def test_multiply_rounds_the_exact_product_once() -> None:
    # given 3.5 units at 1.23: 4.305 exactly
    quantity, unit_price = Decimal("3.5"), Decimal("1.23")

    # then
    assert multiply(quantity, unit_price) == Decimal("4.31")
    assert multiply(quantity, unit_price, "half_even") == Decimal("4.30")


def test_divide_rounds_a_quotient_correctly() -> None:
    assert divide(Decimal("1"), Decimal("3")) == Decimal("0.33")
    assert divide(Decimal("2"), Decimal("3")) == Decimal("0.67")
    assert divide(Decimal("6250000"), Decimal("95000")) == Decimal("65.79")
    assert divide(Decimal("1"), Decimal("200")) == Decimal("0.01")
    assert divide(Decimal("1"), Decimal("200"), "half_even") == Decimal("0.00")


def test_divide_never_mistakes_a_quotient_just_below_a_half_cent_for_a_tie() -> None:
    # given 0.999...9 (80 nines) / 200 = 0.004999...95: below the half cent by 5E-83. Rounded
    # to 60 digits half-even it would become 0.005000... and then round up to 0.01.
    numerator = Decimal("0." + "9" * 80)

    # when
    quotient = divide(numerator, Decimal("200"))

    # then
    assert quotient == Decimal("0.00")


def test_divide_refuses_a_zero_denominator() -> None:
    with pytest.raises(ZeroDivisionError, match="cannot divide 5 by zero"):
        divide(Decimal("5"), Decimal("0.00"))


def _accepted(value: object, places: int) -> bool:
    try:
        return to_decimal(value, max_places=places) == value  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return False


_any_decimal = st.one_of(
    st.decimals(allow_nan=True, allow_infinity=True),
    st.decimals(min_value=-(10**16), max_value=10**16, places=2),
    st.decimals(min_value=-(10**16), max_value=10**16, places=4),
    st.decimals(min_value=-(10**16), max_value=10**16, places=6),
)


@given(_any_decimal)
def test_the_fast_amount_test_agrees_with_to_money(value: Decimal) -> None:
    assert is_amount(value) == _accepted(value, 2)


@given(_any_decimal)
def test_the_fast_percent_test_agrees_with_to_percent(value: Decimal) -> None:
    assert is_percent(value) == _accepted(value, 4)


@pytest.mark.parametrize(
    "value", ["1.500", "-0.00", "999999999999999.99", "1E+3", "0E-10", "1.50000"]
)
def test_an_amount_written_with_trailing_zeros_is_still_an_amount(value: str) -> None:
    assert is_amount(Decimal(value))


@pytest.mark.parametrize("value", ["1.005", "1E+15", "-1E+15", "NaN", "Infinity", 1, "1.00"])
def test_what_is_not_a_stored_amount_fails_the_fast_test(value: object) -> None:
    candidate = Decimal(value) if isinstance(value, str) and value != "1.00" else value
    assert not is_amount(candidate)
