"""Many rows read fast, with exactly the values Django's ORM would give.

SQLite has no decimal type: a `DecimalField` comes back as a float (or an int), and Django turns
each one into a `Decimal` with two calls (`Context(prec=15).create_decimal_from_float`, then
`quantize` to the field's places) behind a generic per-value converter loop. For the 2,000 lines
of a big pay app that is ~26,000 values and most of the time of the read (measured here: ~50 ms
against ~12 ms for SQLite's own fetch).

`values_rows` reads the same query through the same cursor and converts column by column: a
money or rate column of at most 15 digits (`MoneyField` has 14, `RateField` 7) becomes
`Decimal(format(value, ".2f"))` (".4f" for a rate), a whole column in one C loop. For such a
column this is the same Decimal as Django's: SQLite holds the float nearest the stored decimal
of at most 15 significant digits, and rounding that float to the field's places, directly
(here) or via 15 significant digits (Django), gives back that decimal. `tests/core/test_rows.py`
checks it on Hypothesis-drawn values through a real SQLite and against Django's converter.
Every other column keeps Django's own converters. On PostgreSQL (numeric comes back as a
Decimal already) the queryset is read as usual.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any, TypeVar, overload

from django.core.exceptions import EmptyResultSet
from django.db import connections
from django.db.models import DecimalField, QuerySet
from django.db.models.expressions import Col
from django.db.models.query import ValuesListIterable

T = TypeVar("T")

#: The most digits a float read back from SQLite carries exactly (Django's own assumption).
SQLITE_DIGITS = 15


@overload
def values_rows(queryset: QuerySet[Any, Any]) -> list[tuple[Any, ...]]: ...


@overload
def values_rows(queryset: QuerySet[Any, Any], make: Callable[[tuple[Any, ...]], T]) -> list[T]: ...


def values_rows(
    queryset: QuerySet[Any, Any], make: Callable[[tuple[Any, ...]], Any] = tuple
) -> list[Any]:
    """The rows of a `values_list(...)` queryset (not flat, not named), each as
    `make(row)` (a tuple by default, e.g. `SomeNamedTuple._make`), exactly the values
    `list(queryset)` would give, faster on SQLite."""
    if queryset._iterable_class is not ValuesListIterable:
        raise TypeError("values_rows reads a values_list(...) queryset (not flat, not named)")
    connection = connections[queryset.db]
    if connection.vendor != "sqlite":
        return list(map(make, queryset))
    compiler = queryset.query.get_compiler(using=queryset.db)
    try:
        sql, params = compiler.as_sql()
    except EmptyResultSet:  # Django knows the answer without a query (e.g. `pk__in=[]`)
        return []
    columns = [expression for expression, _, _ in compiler.select]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    if not rows:
        return []
    # Only the selected columns: a distinct() ordered by another field selects that one too.
    values = [list(column) for column in zip(*rows, strict=True)][: compiler.col_count]
    for position, expression in enumerate(columns):
        convert = _column_converter(expression, compiler, connection)
        if convert is not None:
            values[position] = convert(values[position])
    return list(map(make, zip(*values, strict=True)))


def _column_converter(
    expression: Any, compiler: Any, connection: Any
) -> Callable[[list[Any]], list[Any]] | None:
    field = getattr(expression, "output_field", None)
    if (
        isinstance(expression, Col)
        and isinstance(field, DecimalField)
        and field.max_digits is not None
        and field.decimal_places is not None
        and field.max_digits <= SQLITE_DIGITS
        and not expression.get_db_converters(connection)
    ):
        return _decimals(field.decimal_places, _djangos(expression, compiler, connection))
    converters = compiler.get_converters([expression])
    return _djangos(expression, compiler, connection) if converters else None


def _djangos(expression: Any, compiler: Any, connection: Any) -> Callable[[list[Any]], list[Any]]:
    """Django's own converters of the column, value by value."""
    converters = compiler.get_converters([expression])
    functions = [function for convs, _ in converters.values() for function in convs]

    def convert(column: list[Any]) -> list[Any]:
        for function in functions:
            column = [function(value, expression, connection) for value in column]
        return column

    return convert


def _decimals(
    places: int, djangos: Callable[[list[Any]], list[Any]]
) -> Callable[[list[Any]], list[Any]]:
    text = f"{{:.{places}f}}".format
    below = 10 ** (SQLITE_DIGITS - places)  # every value below has at most 15 digits

    def convert(column: list[Any]) -> list[Any]:
        # Each distinct value once: a G703 column repeats itself (zeros, the same rate on
        # every line), and equal floats make equal Decimals. The one pair of equal floats
        # with different texts, 0.0 and -0.0, never comes back from SQLite (it stores -0.0
        # as the integer 0; tests/core/test_rows.py holds it to that).
        distinct = set(column)
        distinct.discard(None)
        if len(distinct) * 2 > len(column):  # mostly different values: each one converted
            return _each(column, text, below, djangos)
        texts = {value: text(value) for value in distinct}
        if not _held(list(texts.values()), list(texts), below):
            return djangos(column)
        decimals: dict[Any, Decimal | None] = {
            value: Decimal(value_text) for value, value_text in texts.items()
        }
        decimals[None] = None
        return list(map(decimals.__getitem__, column))

    return convert


def _each(
    column: list[Any],
    text: Callable[[Any], str],
    below: int,
    djangos: Callable[[list[Any]], list[Any]],
) -> list[Any]:
    """`_decimals`' conversion of a column of mostly different values, value by value."""
    present = [value for value in column if value is not None]
    texts = list(map(text, present))
    if not _held(texts, present, below):
        return djangos(column)
    numbers = iter(map(Decimal, texts))
    if len(present) == len(column):  # a NOT NULL column: the loops above run in C
        return list(numbers)
    return [None if value is None else next(numbers) for value in column]


def _held(texts: list[str], values: list[Any], below: int) -> bool:
    """Whether each value is the float of its text (a decimal of the column's places) and
    within the 15 digits a float holds. A value written with more places or digits than its
    column allows (SQLite does not refuse it) is read by Django's own converter instead."""
    return all(map(float.__eq__, map(float, texts), values)) and (
        not values or max(map(abs, values)) < below
    )
