"""`sitebill.core.rows.values_rows` gives exactly what Django's ORM gives, only faster on SQLite.

The decimal columns are the point: SQLite hands back a float, and Django and `values_rows` each
turn it into a Decimal their own way. The properties run the value through a real SQLite
(a NUMERIC column, as Django declares a DecimalField there) and compare both conversions with
the value that was written, digit for digit (str), for every amount and rate a column can hold.
"""

from __future__ import annotations

import math
import sqlite3
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection, models
from django.db.models.expressions import Col
from hypothesis import given
from hypothesis import strategies as st

from sitebill.billing.models import PayAppLine
from sitebill.billing.services.pay_apps import LineChange, pay_app_create, pay_app_lines_update
from sitebill.core.fields import MoneyField, RateField
from sitebill.core.rows import values_rows

# Every value a MoneyField (14 digits, 2 places) or a RateField (7 digits, 4 places) can hold.
amounts = st.decimals(
    min_value=Decimal("-999999999999.99"), max_value=Decimal("999999999999.99"), places=2
)
rates = st.decimals(min_value=Decimal("-999.9999"), max_value=Decimal("999.9999"), places=4)


def through_sqlite(value: Decimal) -> Any:
    """What SQLite gives back for `value` written as Django writes it (text into NUMERIC)."""
    database = sqlite3.connect(":memory:")
    database.execute("CREATE TABLE t (v decimal)")
    database.execute("INSERT INTO t VALUES (?)", [str(value)])
    (stored,) = database.execute("SELECT v FROM t").fetchone()
    database.close()
    return stored


def djangos(field: models.DecimalField[Any, Any], stored: Any) -> Decimal:
    """Django's own SQLite converter for a column of `field`."""
    from django.db.backends.sqlite3.base import DatabaseOperations  # base first: no import cycle

    column = Col("t", field)
    convert = DatabaseOperations.get_decimalfield_converter(None, column)  # type: ignore[arg-type]
    result: Decimal = convert(stored, column, None)
    return result


def ours(field: models.DecimalField[Any, Any], stored: Any) -> Decimal:
    """`values_rows`' own conversion, which must not hand a value of the column's range to
    Django's converter (its fallback)."""
    from sitebill.core.rows import _decimals

    def fallback(column: list[Any]) -> list[Any]:
        raise AssertionError(f"{column} fell back to Django's converter")

    assert field.decimal_places is not None
    (result,) = _decimals(field.decimal_places, fallback)([stored])
    return result  # type: ignore[no-any-return]


@given(amounts)
def test_an_amount_read_back_from_sqlite_is_the_amount_written(amount: Decimal) -> None:
    field = MoneyField()
    stored = through_sqlite(amount)
    assert str(ours(field, stored)) == str(djangos(field, stored)) == str(amount)


@given(rates)
def test_a_rate_read_back_from_sqlite_is_the_rate_written(rate: Decimal) -> None:
    field = RateField()
    stored = through_sqlite(rate)
    assert str(ours(field, stored)) == str(djangos(field, stored)) == str(rate)


@pytest.mark.parametrize("zero", [0, 0.0, -0.0])
def test_a_zero_reads_as_django_reads_it(zero: float) -> None:
    field = MoneyField()
    assert str(ours(field, zero)) == str(djangos(field, zero))


def _lines(pay_app_id: int) -> Any:
    return (
        PayAppLine.objects.filter(pay_app_id=pay_app_id)
        .order_by("position", "id")
        .values_list(
            "id",
            "description",
            "scheduled_value",
            "retainage_work_percent",
            "is_new_change_order",
            "unit_price",
            "claimed_work_this_period",
            "change_order_line_id",
        )
    )


def test_a_pay_apps_lines_read_fast_are_the_lines_django_reads(world: Any) -> None:
    # given: a pay app with nullable, boolean and decimal columns, some of them edited
    pay_app = pay_app_create(
        actor=world.admin, contract=world.commitment, billing_period=world.period
    )
    first = pay_app.lines.order_by("position").first()
    assert first is not None
    pay_app_lines_update(
        actor=world.admin,
        pay_app=pay_app,
        version=pay_app.version,
        changes=[LineChange(line_id=first.pk, work_completed_this_period=Decimal("1234.50"))],
    )

    # when
    fast = values_rows(_lines(pay_app.pk))
    django = list(_lines(pay_app.pk))

    # then: the same values of the same types, digit for digit
    assert len(fast) == len(django) > 1
    assert [[(type(v), str(v)) for v in row] for row in fast] == [
        [(type(v), str(v)) for v in row] for row in django
    ]


def test_no_rows_and_a_query_django_never_sends_read_as_empty(world: Any) -> None:
    assert values_rows(_lines(-1)) == []
    assert values_rows(PayAppLine.objects.filter(pk__in=[]).values_list("id")) == []


def test_a_value_written_with_more_places_than_its_column_reads_as_django_reads_it(world):
    # given a unit price of five places written behind the ORM (SQLite keeps what it is given;
    # a restore writes raw rows): 1.01555 is the float 1.015549999...
    pay_app = pay_app_create(
        actor=world.admin, contract=world.commitment, billing_period=world.period
    )
    first = pay_app.lines.order_by("position").first()
    assert first is not None
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {PayAppLine._meta.db_table} SET unit_price = 1.01555 WHERE id = %s",
            [first.pk],
        )
    query = PayAppLine.objects.filter(pk=first.pk).values_list("unit_price")

    # then both read it the same way (Django: 15 digits, then half-even to 4 places)
    assert [str(v) for (v,) in values_rows(query)] == [str(v) for (v,) in query]


def test_only_the_selected_columns_come_back_from_a_distinct_query(world):
    pay_app_create(actor=world.admin, contract=world.commitment, billing_period=world.period)
    query = PayAppLine.objects.distinct().order_by("position").values_list("id")
    assert values_rows(query) == list(query)
    assert {len(row) for row in values_rows(query)} == {1}


@pytest.mark.parametrize(
    "shape",
    [
        lambda q: q.values_list("id", flat=True),
        lambda q: q.values_list("id", named=True),
        lambda q: q.values("id"),
        lambda q: q,
    ],
)
def test_only_a_plain_values_list_is_read(world, shape):
    with pytest.raises(TypeError, match="values_list"):
        values_rows(shape(PayAppLine.objects.all()))


# --- A column at once: each distinct value converted once, or each value ------------------------


def column_through_sqlite(values: list[Decimal | None]) -> list[Any]:
    """What SQLite gives back for a column of `values` (NULL for None)."""
    database = sqlite3.connect(":memory:")
    database.execute("CREATE TABLE t (v decimal)")
    database.executemany(
        "INSERT INTO t VALUES (?)", [[None if v is None else str(v)] for v in values]
    )
    stored = [v for (v,) in database.execute("SELECT v FROM t ORDER BY rowid")]
    database.close()
    return stored


def column_read(field: models.DecimalField[Any, Any], stored: list[Any]) -> list[Any]:
    from sitebill.core.rows import _decimals

    def fallback(column: list[Any]) -> list[Any]:
        raise AssertionError(f"{column} fell back to Django's converter")

    assert field.decimal_places is not None
    return _decimals(field.decimal_places, fallback)(list(stored))


def as_texts(values: list[Any]) -> list[str | None]:
    return [None if v is None else str(v) for v in values]


@given(
    st.lists(st.one_of(st.none(), st.sampled_from([Decimal("0.00"), Decimal("12.50")]), amounts))
)
def test_a_column_with_repeats_and_nulls_reads_as_django_reads_each_value(values):
    # a G703 column: zeros and one rate on most lines, NULLs where there is no unit price
    field = MoneyField()
    stored = column_through_sqlite(values)
    expected = [None if v is None else djangos(field, v) for v in stored]
    assert as_texts(column_read(field, stored)) == as_texts(expected) == as_texts(values)


@given(st.lists(amounts, unique=True, min_size=3))
def test_a_column_of_different_values_reads_as_django_reads_each_value(values):
    field = MoneyField()
    stored = column_through_sqlite(values)
    expected = [djangos(field, v) for v in stored]
    assert as_texts(column_read(field, stored)) == as_texts(expected) == as_texts(values)


@pytest.mark.parametrize("written", [-0.0, "-0.00", "-0", Decimal("-0.00")])
def test_sqlite_gives_a_negative_zero_back_as_zero(written):
    # values_rows converts each distinct value once: 0.0 and -0.0 are equal keys with different
    # texts, so it counts on SQLite never handing back -0.0 from a decimal (NUMERIC) column
    database = sqlite3.connect(":memory:")
    database.execute("CREATE TABLE t (v decimal)")
    database.execute(
        "INSERT INTO t VALUES (?)", [str(written) if isinstance(written, Decimal) else written]
    )
    (stored,) = database.execute("SELECT v FROM t").fetchone()
    database.close()
    assert stored == 0 and math.copysign(1, stored) == 1
