"""Money and percentages as `Decimal`, and the one place sitebill rounds to the cent.

Invariants (DOMAIN.md §5, CONVENTIONS.md habit 3):

- An amount is a finite `Decimal` with at most two places. `to_money` builds one from a string,
  a `Decimal` or an int and refuses a float (`TypeError`: a float is already wrong before we see
  it) and NaN / Infinity / sub-cent values (`ValueError`).
- A percentage is a finite `Decimal` with at most four places, `Decimal("10.00")` meaning 10%.
- `quantize` is the only rounding to the cent in the project. Everything else that must round
  (`percent_of`, `multiply`, `divide`) computes the exact value first and calls `quantize` once,
  so no figure is rounded twice. Nothing calls `round()`.
- Rounding is ROUND_HALF_UP by default and ROUND_HALF_EVEN as a project setting (DOMAIN.md §5.4);
  both are spelled as the project setting's values, "half_up" and "half_even".
- A rounded zero is always positive: "-0.00" never reaches a document.

No Django imports: the pure calculation module depends on this one.
"""

from __future__ import annotations

from decimal import (
    ROUND_05UP,
    ROUND_DOWN,
    ROUND_HALF_EVEN,
    ROUND_HALF_UP,
    Context,
    Decimal,
    DivisionByZero,
    InvalidOperation,
    Overflow,
)
from typing import Final, Literal

Rounding = Literal["half_up", "half_even"]

ROUNDING_MODES: Final[tuple[Rounding, ...]] = ("half_up", "half_even")
CENT: Final = Decimal("0.01")
HUNDRED: Final = Decimal("100")

# The largest magnitude accepted anywhere (a quadrillion is absurd for one contract;
# the database field holds 999,999,999,999.99). Bounding inputs keeps every product of an amount
# and a rate exact in the working precision.
MAX_AMOUNT: Final = Decimal("1E15")

_DECIMAL_ROUNDING: Final[dict[str, str]] = {
    "half_up": ROUND_HALF_UP,
    "half_even": ROUND_HALF_EVEN,
}
# Working precision for products and quotients: far more digits than any amount or rate we
# accept, so a product of an amount and a rate is exact and a quotient is correct to well past
# the cent before `quantize` rounds it once. Explicit contexts, never the thread's current one,
# so no caller's `localcontext` can change our results.
_PRECISION: Final = 60
_TRAPS: Final = [InvalidOperation, DivisionByZero, Overflow]
_EXACT: Final = Context(prec=_PRECISION, rounding=ROUND_HALF_EVEN, traps=_TRAPS)
_ROUND_TO_ODD: Final = Context(prec=_PRECISION, rounding=ROUND_05UP, traps=_TRAPS)
# Truncation, used only to ask whether a number has more places than allowed (never to round it).
_TRUNCATE: Final = Context(prec=_PRECISION, rounding=ROUND_DOWN, traps=_TRAPS)
# `rounding_context`: the working precision, rounding as the project does.
_ROUNDING_CONTEXTS: Final[dict[str, Context]] = {
    name: Context(prec=_PRECISION, rounding=mode, traps=_TRAPS)
    for name, mode in _DECIMAL_ROUNDING.items()
}
#: The context of `divide`'s first step (60 digits, round to odd), for arithmetic's hot loops.
ROUND_TO_ODD: Final = _ROUND_TO_ODD
_ONE: Final = Decimal(1)
_BASIS_POINT: Final = Decimal("0.0001")


def as_rounding(value: str) -> Rounding:
    """The rounding mode named by a project setting; `ValueError` on anything else."""
    if value == "half_up":
        return "half_up"
    if value == "half_even":
        return "half_even"
    raise ValueError(f"unknown rounding mode {value!r}: use 'half_up' or 'half_even'")


def rounding_context(rounding: Rounding) -> Context:
    """A context of the working precision that rounds as `quantize(_, rounding)` does, for the
    arithmetic's hot loops (a G703 row): with it `value.quantize(CENT, context=...)`,
    `context.multiply` and `context.divide` are `quantize`, an exact product and an exact
    quotient by 100 without a Python call each. The caller keeps `quantize`'s other rules: a
    finite value under 10^15, and a zero written without its sign (`copy_abs`)."""
    return _ROUNDING_CONTEXTS[as_rounding(rounding)]


def quantize(amount: Decimal, rounding: Rounding = "half_up") -> Decimal:
    """Round `amount` to the cent: the project's one rounding step.

    Half-up sends a tie away from zero (2.345 → 2.35, −2.345 → −2.35), so a credit rounds like
    the debit it reverses; half-even sends it to the even cent (2.345 → 2.34).
    """
    if not isinstance(amount, Decimal):
        raise TypeError(f"quantize needs a Decimal, not {type(amount).__name__}")
    if not amount.is_finite():
        raise ValueError(f"cannot round {amount} to the cent")
    mode = _DECIMAL_ROUNDING.get(rounding)
    if mode is None:
        raise ValueError(f"unknown rounding mode {rounding!r}: use 'half_up' or 'half_even'")
    try:
        rounded = amount.quantize(CENT, rounding=mode, context=_EXACT)
    except InvalidOperation:
        raise ValueError(f"{amount} is too large to be an amount") from None
    if rounded.is_zero():
        return rounded.copy_abs()
    return rounded


def to_money(value: str | Decimal | int) -> Decimal:
    """An amount with exactly two places, from a string, a Decimal or an int.

    Refuses a float or a bool (`TypeError`), and NaN, Infinity, more than two places or a
    magnitude of 10^15 or more (`ValueError`). Never rounds: "1.005" is refused, not made 1.01.
    """
    return quantize(to_decimal(value, max_places=2))


def to_percent(value: str | Decimal | int) -> Decimal:
    """A percentage (`"10.00"` = 10%) with at most four places, as a Decimal.

    The same refusals as `to_money`; the range (0 to 100 for a retainage rate, anything for a
    percent complete) is for the caller to check.
    """
    return to_decimal(value, max_places=4)


def to_decimal(value: str | Decimal | int, *, max_places: int) -> Decimal:
    """A finite Decimal of at most `max_places` places (a quantity, a unit price, a rate).

    `TypeError` for a float or a bool; `ValueError` for NaN, Infinity, a value that is not a
    number, too many places, or a magnitude of 10^15 or more. Never rounds.
    """
    if type(value) is Decimal:  # the common case (every stored figure): already immutable
        number = value
    # bool is an int subclass and float a binary fraction: neither is a way to write money.
    elif isinstance(value, bool | float) or not isinstance(value, str | Decimal | int):
        raise TypeError(f"expected a str, Decimal or int, not {type(value).__name__}")
    else:
        try:
            number = Decimal(value)
        except InvalidOperation:
            raise ValueError(f"{value!r} is not a number") from None
    if not number.is_finite():
        raise ValueError(f"{value!r} is not a finite number")
    if not -MAX_AMOUNT < number < MAX_AMOUNT:
        raise ValueError(f"{value!r} is too large")
    if _has_more_places_than(number, max_places):
        raise ValueError(f"{value!r} has more than {max_places} decimal places")
    return number


def is_amount(value: object) -> bool:
    """Whether `value` is already an amount `to_money` would accept unchanged: a finite
    `Decimal` below 10^15 in magnitude with at most two places. A fast test with no exceptions,
    for values read back from storage; `to_money` says what is wrong with one that fails."""
    return (
        type(value) is Decimal
        and value.is_finite()
        and -MAX_AMOUNT < value < MAX_AMOUNT
        and value.quantize(CENT, context=_TRUNCATE) == value
    )


def is_percent(value: object) -> bool:
    """Whether `value` is already a percentage `to_percent` would accept (at most four places)."""
    return (
        type(value) is Decimal
        and value.is_finite()
        and -MAX_AMOUNT < value < MAX_AMOUNT
        and value.quantize(_BASIS_POINT, context=_TRUNCATE) == value
    )


def percent_of(amount: Decimal, percent: Decimal, rounding: Rounding = "half_up") -> Decimal:
    """`percent`% of `amount`, rounded once to the cent (10.00 of 1234.50 is 123.45)."""
    exact = _EXACT.divide(_EXACT.multiply(amount, percent), HUNDRED)
    return quantize(exact, rounding)


def multiply(amount: Decimal, factor: Decimal, rounding: Rounding = "half_up") -> Decimal:
    """`amount` × `factor` (a quantity, a unit price), rounded once to the cent."""
    return quantize(_EXACT.multiply(amount, factor), rounding)


def divide(numerator: Decimal, denominator: Decimal, rounding: Rounding = "half_up") -> Decimal:
    """`numerator` / `denominator` correctly rounded to the cent.

    The quotient is first computed to 60 significant digits with ROUND_05UP ("round to odd"):
    an inexact quotient then never ends in 0 or 5, so it can never look like an exact half-cent
    tie, and the single `quantize` that follows rounds it exactly as the true rational would be
    rounded. `ZeroDivisionError` on a zero denominator.
    """
    if denominator.is_zero():
        raise ZeroDivisionError(f"cannot divide {numerator} by zero")
    return quantize(_ROUND_TO_ODD.divide(numerator, denominator), rounding)


def _has_more_places_than(number: Decimal, places: int) -> bool:
    """Whether finite `number` needs more than `places` decimal places ("1.500" needs one).

    Truncating to `places` changes the value exactly when a non-zero digit lies beyond them
    (`number` is below 10^15 here, so the truncated coefficient fits the working precision).
    """
    return number.quantize(_ONE.scaleb(-places), context=_TRUNCATE) != number
