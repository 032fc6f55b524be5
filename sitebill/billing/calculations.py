"""G702/G703 arithmetic: every formula of DOMAIN.md §5, and nothing else, lives here.

Pure functions of frozen dataclasses: no Django, no database, no float, no `round()`. Amounts are
`Decimal` with two places, rates are percentages (`Decimal("10.00")` is 10%) with up to four, and
every rounding to the cent goes through `sitebill.core.money.quantize` (ROUND_HALF_UP by default,
ROUND_HALF_EVEN as a project setting). Every public function takes the rounding mode explicitly:
the project's setting must be passed, never assumed.

Invariants
----------
- G703 row (AIA G703 columns; DOMAIN.md §5.1): G = D + E + F, H = C − G, % = G / C × 100 rounded
  to two places (0 when C = 0). D of the next pay app is this D + E, not this G (AIA: "Values
  from column F ... should not be entered in this column"); F stays in F until installed, when E
  takes it and F drops. With the project setting `move_stored_to_previous`, D = this G, F = 0.
- Retainage (§5.2): held to date = round(work rate × (D + E)) + round(stored rate × F) − released
  to date; retained this period = held − previous held (negative when a rate falls).
- G702 (§5.3, AIA G702 lines 1–9): 3 = 1 + 2 = Σ C, 4 = Σ G, 5 = 5a + 5b = Σ line retainage held,
  6 = 4 − 5, 7 = the previous certificate (line 6 as certified), 8 = 6 − 7, 9 = 3 − 6. Each line
  value is rounded once and every total is a plain sum of rounded line values, so the G702
  always ties to the G703 to the cent (the Spitfire "penny off" of research/domain.md §2 cannot
  happen: there is no rate applied to a total).
- Over the life of a contract, with each line 7 equal to the previous line 6, Σ line 8 equals the
  last line 6.

Choices where DOMAIN.md is silent (AIA practice; research/domain.md §1–2)
------------------------------------------------------------------------
1. Which side of zero. A line with C ≥ 0 is an ordinary line; C < 0 is a deductive change order
   line whose work completed is negative by nature. D, D + E and F must lie on C's side of zero
   (0 is on both); F is a stored balance, so it is never negative, and 0 on a deductive line.
   A credit (E < 0) is legal but may not take D + E past zero. `LineInput` refuses such a row
   (`ValueError`) instead of clamping later: that is how "a line's D never goes negative by
   carry-forward" (§5.4) holds. Clamping would make money appear in G with nobody entering it.
2. Overbilled means beyond 100% complete in C's direction: G > C when C ≥ 0, G < C when C < 0
   (crediting more than a deduction). A C = 0 line is overbilled by any positive G.
3. % complete is G / C (stored materials included, as printed on G703). "E from a percent
   complete" reads the percent as work completed to date, E = round(% × C) − D (§5.1): stored
   materials are entered separately in F.
4. Retainage on a deductive line is negative (a credit gives back retainage); on a C = 0 line it
   is the rate × its work as usual.
5. Releases come off the work part first, then the stored part, so G702 5a and 5b are "held"
   figures and 5a + 5b = 5. A line may release this period at most what it holds before the
   release (between zero and that holding: never across zero).
6. Change-order summary: deductions are shown as positive magnitudes, as in the DEDUCTIONS column
   of the printed G702 (net = additions − deductions = line 2). Lines sharing a
   `change_order_number` are netted first, so a change order of +1,000 and −300 is one addition
   of 700 (AIA lists change orders, not their lines); an unnumbered change-order line stands
   alone. "Previous months" means approved before this pay app (`change_order_previous`).
7. `original_contract_sum`, when given, is line 1. With change-order lines present it must equal
   Σ C of the other lines. Without them, a difference is change orders folded into the SOV values
   (the "add it to the line's C" practice, research §1.1): line 2 shows it, and the summary
   counts it as approved in previous months (the SOV already held it).
8. Sliding scale (§5.4, API.md `retainage_rules`): bands on Σ G worked out in exact rationals
   (`fractions.Fraction`, never float) and rounded once. A percent-complete rule ends where Σ G
   reaches limit% of the contract sum to date; a held rule ends when the held total reaches its
   cap (limit% of line 1, limit% of line 3, or the amount). The rate of a rule applies only to
   the part of Σ G after the previous rules' bands; a rule whose limit was already passed adds
   nothing; a 0% held rule never reaches its cap, so no later rule applies; after the last rule
   nothing more is withheld; Σ G ≤ 0 holds nothing. The held total is spread over the lines by G,
   each line's share split between work and stored in proportion to D + E and F; the per-line
   flat rates are then ignored. Releases are subtracted as usual.
9. `spread_proportionally` is the largest-remainder method on integer cents; ties go to the
   larger weight (DOMAIN.md §5.2: "remainder cents to the largest lines"), then to the earlier
   line. Weights may be negative (deductive lines): when the weights are amounts and the total
   lies between zero and their sum, every share lies between zero and its weight, so a release
   never takes more from a line than it holds.
10. A release of a percent releases round(percent × total held) and spreads it by holding; a
    release of 100% (or of the whole amount) releases exactly what each line holds.
11. `OverbillingError` is a `ValueError` carrying the offending line labels: this module knows
    nothing of `sitebill.core.exceptions`; services translate it into an `ApplicationError`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import Context, Decimal
from enum import StrEnum
from fractions import Fraction
from typing import Any, Final, Literal, NamedTuple, Protocol, cast

from sitebill.core.money import (
    CENT,
    HUNDRED,
    ROUND_TO_ODD,
    Rounding,
    as_rounding,
    divide,
    is_amount,
    is_percent,
    multiply,
    percent_of,
    rounding_context,
    to_decimal,
    to_money,
    to_percent,
)

ZERO: Final = Decimal("0.00")
MAX_RETAINAGE_RULES: Final = 5

RetainageLimit = Literal[
    "percent_complete",
    "percent_of_original_value_held",
    "percent_of_revised_value_held",
    "amount_held",
]
RETAINAGE_LIMITS: Final[tuple[RetainageLimit, ...]] = (
    "percent_complete",
    "percent_of_original_value_held",
    "percent_of_revised_value_held",
    "amount_held",
)


# --- Inputs and results -----------------------------------------------------------------------


_AMOUNT_INPUTS: Final = (
    "scheduled_value",
    "work_completed_previous",
    "work_completed_this_period",
    "materials_presently_stored",
    "retainage_released_previous",
    "retainage_released_this_period",
    "previous_retainage_held",
)


@dataclass(frozen=True, kw_only=True, slots=True)
class LineInput:
    """The inputs of one G703 row, as stored on a pay app line.

    `previous_retainage_held` is the line's held-to-date on the previous pay app (for "retained
    this period"); `retainage_released_previous` is what was released on earlier pay apps.
    `change_order_previous` marks a change-order line approved before this pay app.
    """

    scheduled_value: Decimal
    work_completed_previous: Decimal = ZERO
    work_completed_this_period: Decimal = ZERO
    materials_presently_stored: Decimal = ZERO
    retainage_work_percent: Decimal
    retainage_stored_percent: Decimal
    retainage_released_previous: Decimal = ZERO
    retainage_released_this_period: Decimal = ZERO
    previous_retainage_held: Decimal = ZERO
    is_change_order: bool = False
    change_order_previous: bool = False
    change_order_number: str = ""

    def __post_init__(self) -> None:
        for name in _AMOUNT_INPUTS:
            _require_amount(name, getattr(self, name))
        _require_rate("retainage_work_percent", self.retainage_work_percent)
        _require_rate("retainage_stored_percent", self.retainage_stored_percent)
        self._check_rules()

    @classmethod
    def from_columns(
        cls,
        *,
        scheduled_value: Decimal,
        work_completed_previous: Decimal,
        work_completed_this_period: Decimal,
        materials_presently_stored: Decimal,
        retainage_work_percent: Decimal,
        retainage_stored_percent: Decimal,
        retainage_released_previous: Decimal,
        retainage_released_this_period: Decimal,
        previous_retainage_held: Decimal,
        is_change_order: bool,
        change_order_previous: bool,
    ) -> LineInput:
        """The inputs of a line as read back from its stored decimal columns, whose type is
        the check `__init__` makes value by value: each is a finite Decimal of the column's
        places (2 for an amount, 4 for a rate) and digits (under 10^12), as the database
        driver returns it (`sitebill.core.rows` on SQLite, psycopg on PostgreSQL). Those
        per-value checks are skipped (a third of the time of a 2,000-line G703); the rules
        between values (rates 0 to 100, the sides of zero, stored materials) are still
        checked. Anything else (a value typed or edited, a default) goes through `__init__`.
        """
        line = object.__new__(cls)
        put = object.__setattr__
        put(line, "scheduled_value", scheduled_value)
        put(line, "work_completed_previous", work_completed_previous)
        put(line, "work_completed_this_period", work_completed_this_period)
        put(line, "materials_presently_stored", materials_presently_stored)
        put(line, "retainage_work_percent", retainage_work_percent)
        put(line, "retainage_stored_percent", retainage_stored_percent)
        put(line, "retainage_released_previous", retainage_released_previous)
        put(line, "retainage_released_this_period", retainage_released_this_period)
        put(line, "previous_retainage_held", previous_retainage_held)
        put(line, "is_change_order", is_change_order)
        put(line, "change_order_previous", change_order_previous)
        put(line, "change_order_number", "")
        for name in ("retainage_work_percent", "retainage_stored_percent"):
            rate = getattr(line, name)
            if not 0 <= rate <= HUNDRED:
                raise ValueError(f"{name} must be between 0 and 100, got {rate}")
        line._check_rules()
        return line

    def _check_rules(self) -> None:
        """The rules between the values (each value already checked on its own)."""
        scheduled = self.scheduled_value
        # Choice 1: D and D + E stay on C's side of zero, so carry-forward never flips a sign.
        if not _on_side_of(self.work_completed_previous, scheduled):
            raise ValueError(
                _wrong_side(
                    "work completed from previous application",
                    self.work_completed_previous,
                    scheduled,
                )
            )
        work_to_date = self.work_completed_previous + self.work_completed_this_period
        if not _on_side_of(work_to_date, scheduled):
            raise ValueError(_wrong_side("work completed to date (D + E)", work_to_date, scheduled))
        stored = self.materials_presently_stored
        if stored < 0 or (scheduled < 0 and stored != 0):
            raise ValueError(
                f"materials presently stored {stored} must be zero or more "
                "(and zero on a deductive change order line)"
            )
        if (self.change_order_previous or self.change_order_number) and not self.is_change_order:
            raise ValueError("only a change order line has a change order number or approval month")


class LineResult(NamedTuple):
    """One G703 row, every column worked out (the inputs are repeated for rendering).

    Immutable like the other results, but a NamedTuple rather than a frozen dataclass: a big
    pay app makes thousands of these per read, and a frozen dataclass of 25 fields takes about
    three times as long to build (4.6 µs against 1.7 µs here; `_row` builds it positionally)."""

    scheduled_value: Decimal  # C
    work_completed_previous: Decimal  # D
    work_completed_this_period: Decimal  # E
    materials_presently_stored: Decimal  # F
    work_completed_to_date: Decimal  # D + E
    total_completed_and_stored: Decimal  # G = D + E + F
    percent_complete: Decimal  # G / C × 100, two places, 0 when C = 0
    balance_to_finish: Decimal  # H = C − G
    retainage_work_percent: Decimal
    retainage_stored_percent: Decimal
    retainage_on_work: Decimal  # round(work rate × (D + E)), before releases
    retainage_on_stored: Decimal  # round(stored rate × F), before releases
    retainage_released_previous: Decimal
    retainage_released_this_period: Decimal
    retainage_released_to_date: Decimal
    retainage_held_on_work: Decimal  # releases come off the work part first (choice 5)
    retainage_held_on_stored: Decimal
    retainage_held: Decimal  # held to date = on work + on stored − released to date
    previous_retainage_held: Decimal
    retainage_this_period: Decimal  # held − previous held; negative when a rate falls
    earned_less_retainage: Decimal  # G − held: this line's share of G702 line 6
    is_change_order: bool
    change_order_previous: bool
    change_order_number: str
    overbilled: bool  # beyond 100% complete in C's direction (choice 2)


@dataclass(frozen=True, kw_only=True, slots=True)
class G703Totals:
    """The "GRAND TOTAL" row of the continuation sheet: sums of the rounded rows."""

    scheduled_value: Decimal
    work_completed_previous: Decimal
    work_completed_this_period: Decimal
    materials_presently_stored: Decimal
    total_completed_and_stored: Decimal
    percent_complete: Decimal
    balance_to_finish: Decimal
    retainage_held: Decimal
    retainage_released_this_period: Decimal
    retainage_this_period: Decimal


@dataclass(frozen=True, kw_only=True, slots=True)
class G702:
    """The Application and Certificate for Payment, lines 1–9 and the change-order summary.

    Change-order deductions are positive magnitudes (choice 6):
    net_change_by_change_orders = co_additions_total − co_deductions_total.
    """

    original_contract_sum: Decimal  # 1
    net_change_by_change_orders: Decimal  # 2
    contract_sum_to_date: Decimal  # 3 = 1 + 2 = Σ C
    total_completed_and_stored_to_date: Decimal  # 4 = Σ G
    retainage_on_completed_work: Decimal  # 5a, held (after releases)
    retainage_on_stored_materials: Decimal  # 5b, held (after releases)
    total_retainage: Decimal  # 5 = 5a + 5b = Σ line retainage held
    total_earned_less_retainage: Decimal  # 6 = 4 − 5
    less_previous_certificates: Decimal  # 7
    current_payment_due: Decimal  # 8 = 6 − 7
    balance_to_finish_including_retainage: Decimal  # 9 = 3 − 6
    co_additions_previous: Decimal
    co_deductions_previous: Decimal
    co_additions_this_period: Decimal
    co_deductions_this_period: Decimal
    co_additions_total: Decimal
    co_deductions_total: Decimal


@dataclass(frozen=True, kw_only=True, slots=True)
class PayAppResult:
    lines: tuple[LineResult, ...]
    totals: G703Totals
    g702: G702


class CarryForward(NamedTuple):
    """The next pay app's starting D and F for a line (its E starts at 0)."""

    work_completed_previous: Decimal
    materials_presently_stored: Decimal


class G703Progress(Protocol):
    """Anything with a row's C, D, E and F: a `LineInput` or a `LineResult`."""

    @property
    def scheduled_value(self) -> Decimal: ...

    @property
    def work_completed_previous(self) -> Decimal: ...

    @property
    def work_completed_this_period(self) -> Decimal: ...

    @property
    def materials_presently_stored(self) -> Decimal: ...


@dataclass(frozen=True, kw_only=True, slots=True)
class RetainageRule:
    """One sliding-scale rule: withhold `rate`% until `until` reaches `limit` (API.md).

    `limit` is a percentage for the three percent kinds and an amount for "amount_held".
    """

    rate: Decimal
    until: RetainageLimit
    limit: Decimal

    def __post_init__(self) -> None:
        _require_rate("rate", self.rate)
        if self.until not in RETAINAGE_LIMITS:
            raise ValueError(
                f"unknown retainage rule {self.until!r}: use one of {RETAINAGE_LIMITS}"
            )
        if self.until == "amount_held":
            _require_amount("limit", self.limit)
            if self.limit < 0:
                raise ValueError(f"an amount to hold cannot be negative, got {self.limit}")
        else:
            _require_rate("limit", self.limit)


class OverbillingPolicy(StrEnum):
    """The project setting for a line whose G passes its C (DOMAIN.md §5.4)."""

    ALLOW = "allow"
    WARN = "warn"
    BLOCK = "block"


class OverbillingError(ValueError):
    """Overbilling is blocked on the project; `lines` names the offending lines."""

    def __init__(self, *, lines: Sequence[str], messages: Sequence[str]) -> None:
        self.lines = tuple(lines)
        self.messages = tuple(messages)
        super().__init__("Overbilling is not allowed on this project: " + "; ".join(messages))


# --- G703 row ---------------------------------------------------------------------------------


def percent_complete_of(
    *, amount: Decimal, scheduled_value: Decimal, rounding: Rounding
) -> Decimal:
    """`amount` as a percentage of `scheduled_value`, two places; 0 when C = 0 (§5.1)."""
    as_rounding(rounding)
    _require_amount("amount", amount)
    _require_amount("scheduled_value", scheduled_value)
    if scheduled_value.is_zero():
        return ZERO
    return divide(amount * HUNDRED, scheduled_value, rounding)


def work_this_period_from_percent(
    *,
    percent_complete: Decimal,
    scheduled_value: Decimal,
    work_completed_previous: Decimal,
    rounding: Rounding,
) -> Decimal:
    """E from a percent complete to date: E = round(% × C) − D (§5.1, choice 3)."""
    _require_percent("percent_complete", percent_complete)
    _require_amount("scheduled_value", scheduled_value)
    _require_amount("work_completed_previous", work_completed_previous)
    return (
        percent_of(scheduled_value, percent_complete, as_rounding(rounding))
        - work_completed_previous
    )


def unit_line_value(*, quantity: Decimal, unit_price: Decimal, rounding: Rounding) -> Decimal:
    """A unit line's scheduled value: quantity × unit price, rounded once (§2 SOV line)."""
    _require_quantity("quantity", quantity)
    _require_quantity("unit_price", unit_price)
    return multiply(quantity, unit_price, as_rounding(rounding))


def unit_work_amount(
    *, quantity_completed: Decimal, unit_price: Decimal, rounding: Rounding
) -> Decimal:
    """Work of a unit line: quantity completed × unit price (§5.4). The caller may override it."""
    _require_quantity("quantity_completed", quantity_completed)
    _require_quantity("unit_price", unit_price)
    return multiply(quantity_completed, unit_price, as_rounding(rounding))


def carry_forward(previous: G703Progress, *, move_stored_to_previous: bool) -> CarryForward:
    """A line's D and F on the next pay app (§5.1).

    AIA G703 (default): D = previous D + E, F = previous F (materials stay stored until someone
    says they were installed). With `move_stored_to_previous`: D = previous G, F = 0.
    A D on the wrong side of zero is refused, never clamped (choice 1).
    """
    work_to_date = previous.work_completed_previous + previous.work_completed_this_period
    if move_stored_to_previous:
        carried = CarryForward(work_to_date + previous.materials_presently_stored, ZERO)
    else:
        carried = CarryForward(work_to_date, previous.materials_presently_stored)
    if not _on_side_of(carried.work_completed_previous, previous.scheduled_value):
        raise ValueError(
            _wrong_side(
                "carried-forward work completed",
                carried.work_completed_previous,
                previous.scheduled_value,
            )
        )
    return carried


def start_next_line(previous: LineResult, *, move_stored_to_previous: bool) -> LineInput:
    """A line's row on the next pay app, before anyone enters anything (§5.1, §5.2).

    D and F come from `carry_forward`, E starts at 0, the rates stay, releases to date and the
    held figure become the "previous" ones, and a change order line is now one approved in a
    previous month. Change E, F, rates or the release with `dataclasses.replace`.
    """
    carried = carry_forward(previous, move_stored_to_previous=move_stored_to_previous)
    return LineInput(
        scheduled_value=previous.scheduled_value,
        work_completed_previous=carried.work_completed_previous,
        work_completed_this_period=ZERO,
        materials_presently_stored=carried.materials_presently_stored,
        retainage_work_percent=previous.retainage_work_percent,
        retainage_stored_percent=previous.retainage_stored_percent,
        retainage_released_previous=previous.retainage_released_to_date,
        retainage_released_this_period=ZERO,
        previous_retainage_held=previous.retainage_held,
        is_change_order=previous.is_change_order,
        change_order_previous=previous.is_change_order,
        change_order_number=previous.change_order_number,
    )


def compute_line(line: LineInput, *, rounding: Rounding) -> LineResult:
    """One G703 row with the line's flat work and stored retainage rates (§5.1, §5.2)."""
    return _flat_row(line, rounding_context(rounding))


def _flat_row(line: LineInput, context: Context) -> LineResult:
    """`compute_line` with its rounding as a context (`compute_pay_app` makes it once)."""
    work_to_date = line.work_completed_previous + line.work_completed_this_period
    gross_work = _cents(
        context.divide(context.multiply(work_to_date, line.retainage_work_percent), HUNDRED),
        context,
    )
    stored = line.materials_presently_stored
    # Most lines store no materials: their retainage on stored is 0.00 (what the sum gives).
    gross_stored = (
        _cents(
            context.divide(context.multiply(stored, line.retainage_stored_percent), HUNDRED),
            context,
        )
        if stored
        else ZERO
    )
    return _row(line, gross_work=gross_work, gross_stored=gross_stored, context=context)


def _cents(value: Decimal, context: Context) -> Decimal:
    """`money.quantize` of a finite value of the row arithmetic, in the context's rounding."""
    rounded = value.quantize(CENT, context=context)
    return rounded.copy_abs() if rounded.is_zero() else rounded


def _row(
    line: LineInput, *, gross_work: Decimal, gross_stored: Decimal, context: Context
) -> LineResult:
    """The rest of a row once the retainage on work and on stored materials is known.

    The hot path of every G703 (2,000 lines of a big pay app): the checks, clamps and the
    percent complete (`percent_complete_of`) are written out here rather than called."""
    scheduled = line.scheduled_value
    work_to_date = line.work_completed_previous + line.work_completed_this_period
    total = work_to_date + line.materials_presently_stored
    released_previous = line.retainage_released_previous
    released_now = line.retainage_released_this_period
    holding_before_release = gross_work + gross_stored - released_previous
    if holding_before_release >= 0:
        release_fits = ZERO <= released_now <= holding_before_release
    else:
        release_fits = holding_before_release <= released_now <= ZERO
    if not release_fits:
        raise ValueError(
            f"cannot release {released_now} of retainage this period: "
            f"the line holds {holding_before_release}"
        )
    released_to_date = released_previous + released_now
    # Choice 5: releases come off the work part first, the rest off the stored part.
    if gross_work >= 0:
        released_from_work = max(ZERO, min(released_to_date, gross_work))
    else:
        released_from_work = max(gross_work, min(released_to_date, ZERO))
    held_on_work = gross_work - released_from_work
    held_on_stored = gross_stored - (released_to_date - released_from_work)
    held = held_on_work + held_on_stored
    if scheduled.is_zero():
        percent_complete = ZERO
    else:  # money.divide: round to odd at 60 digits, then once to the cent
        percent_complete = _cents(ROUND_TO_ODD.divide(total * HUNDRED, scheduled), context)
    # Positional, in the order of LineResult's fields (keywords cost a µs a row).
    return _new_result(
        (
            scheduled,  # scheduled_value
            line.work_completed_previous,  # work_completed_previous
            line.work_completed_this_period,  # work_completed_this_period
            line.materials_presently_stored,  # materials_presently_stored
            work_to_date,  # work_completed_to_date
            total,  # total_completed_and_stored
            percent_complete,  # percent_complete
            scheduled - total,  # balance_to_finish
            line.retainage_work_percent,  # retainage_work_percent
            line.retainage_stored_percent,  # retainage_stored_percent
            gross_work,  # retainage_on_work
            gross_stored,  # retainage_on_stored
            released_previous,  # retainage_released_previous
            released_now,  # retainage_released_this_period
            released_to_date,  # retainage_released_to_date
            held_on_work,  # retainage_held_on_work
            held_on_stored,  # retainage_held_on_stored
            held,  # retainage_held
            line.previous_retainage_held,  # previous_retainage_held
            held - line.previous_retainage_held,  # retainage_this_period
            total - held,  # earned_less_retainage
            line.is_change_order,  # is_change_order
            line.change_order_previous,  # change_order_previous
            line.change_order_number,  # change_order_number
            total > scheduled if scheduled >= 0 else total < scheduled,  # overbilled
        )
    )


def _new_result(values: tuple[Any, ...]) -> LineResult:
    """A LineResult of its 25 values in field order, without keyword parsing."""
    return tuple.__new__(LineResult, values)


# --- Spreading, sliding scale, release --------------------------------------------------------


def spread_proportionally(*, total: Decimal, weights: Sequence[Decimal]) -> list[Decimal]:
    """Split `total` over `weights` to the cent; the shares always sum exactly to `total`.

    Largest remainder on integer cents; ties to the larger weight, then the earlier one
    (choice 9). All-zero weights take a zero total only (`ValueError` otherwise).
    """
    _require_amount("total", total)
    ratios = [_integer_ratio(weight) for weight in weights]
    numerator, denominator = total.as_integer_ratio()
    cents = numerator * 100 // denominator  # exact: total has at most two places
    common = math.lcm(*(ratio_denominator for _, ratio_denominator in ratios))
    scaled = [
        ratio_numerator * (common // ratio_denominator)
        for ratio_numerator, ratio_denominator in ratios
    ]
    scaled_sum = sum(scaled)
    if scaled_sum == 0:
        if cents != 0:
            raise ValueError(f"cannot spread {total} over weights that sum to zero")
        return [ZERO for _ in weights]
    if scaled_sum < 0:  # the same proportions over a positive denominator
        scaled = [-scaled_weight for scaled_weight in scaled]
        scaled_sum = -scaled_sum
    shares: list[int] = []
    remainders: list[int] = []
    for scaled_weight in scaled:
        share, remainder = divmod(cents * scaled_weight, scaled_sum)
        shares.append(share)
        remainders.append(remainder)
    # Σ remainders / scaled_sum = leftover: fewer cents than lines with a remainder.
    leftover = cents - sum(shares)
    order = sorted(range(len(shares)), key=lambda i: (-remainders[i], -scaled[i], i))
    for index in order[:leftover]:
        shares[index] += 1
    return [Decimal(share) * CENT for share in shares]


def sliding_scale_held(
    *,
    rules: Sequence[RetainageRule],
    total_completed_and_stored: Decimal,
    contract_sum_to_date: Decimal,
    original_contract_sum: Decimal,
    rounding: Rounding,
) -> Decimal:
    """Retainage held on the whole commitment under sliding-scale rules, before releases (§5.4).

    Rule 1 withholds its rate on Σ G until its limit is reached, rule 2 on the next part of Σ G,
    and so on; after the last rule nothing more is withheld (choice 8). "10% until 5% of the
    revised value is held" on 400,000.00 holds 10% of Σ G until 20,000.00 is held.
    """
    rounding = as_rounding(rounding)
    if len(rules) > MAX_RETAINAGE_RULES:
        raise ValueError(f"at most {MAX_RETAINAGE_RULES} retainage rules, got {len(rules)}")
    _require_amount("total_completed_and_stored", total_completed_and_stored)
    _require_amount("contract_sum_to_date", contract_sum_to_date)
    _require_amount("original_contract_sum", original_contract_sum)
    total = Fraction(total_completed_and_stored)
    held = Fraction(0)
    covered = Fraction(0)  # the part of Σ G already taken by earlier rules' bands
    if total > 0:
        for rule in rules:
            rate = Fraction(rule.rate) / 100
            if rule.until == "percent_complete":
                band_end = min(total, Fraction(contract_sum_to_date) * Fraction(rule.limit) / 100)
                if band_end > covered:
                    held += rate * (band_end - covered)
                    covered = band_end
                continue
            room = _cap(rule, contract_sum_to_date, original_contract_sum) - held
            remaining = total - covered
            if room <= 0 or remaining <= 0:
                continue  # this rule's limit is already reached, or Σ G is used up
            if rate * remaining < room:  # never reaches its cap (always so at 0%)
                held += rate * remaining
                covered = total
            else:
                held += room
                covered += room / rate
    return divide(Decimal(held.numerator), Decimal(held.denominator), rounding)


def release_retainage(
    *,
    held_by_line: Sequence[Decimal],
    amount: Decimal | None = None,
    percent: Decimal | None = None,
    rounding: Rounding,
) -> list[Decimal]:
    """Release an amount, or a percent, of what is held, spread over the lines by holding (§5.2).

    Returns each line's release this period. Never releases more than is held: `ValueError` for
    a negative amount, an amount above the total held, or both or neither of amount and percent.
    """
    rounding = as_rounding(rounding)
    for held in held_by_line:
        _require_amount("held_by_line", held)
    total_held = sum(held_by_line, ZERO)
    if (amount is None) == (percent is None):
        raise ValueError("release either an amount or a percent of the retainage held")
    if percent is not None:
        _require_rate("percent", percent)
        amount = percent_of(total_held, percent, rounding)
    else:
        assert amount is not None
        _require_amount("amount", amount)
    if amount < 0:
        raise ValueError(f"cannot release a negative amount ({amount})")
    if amount > total_held and amount != 0:
        raise ValueError(f"cannot release {amount}: only {total_held} of retainage is held")
    return spread_proportionally(total=amount, weights=held_by_line)


def parse_retainage_rules(raw: object) -> tuple[RetainageRule, ...]:
    """Sliding-scale rules from their API/JSON form (API.md `retainage_rules`), validated.

    `[{"rate": "10.00", "until": "amount_held", "limit": "20000.00"}]`; `ValueError` naming the
    rule on anything else (at most five rules; decimal strings, never floats).
    """
    if not isinstance(raw, list | tuple):
        raise ValueError("retainage_rules must be a list of rules")
    if len(raw) > MAX_RETAINAGE_RULES:
        raise ValueError(f"at most {MAX_RETAINAGE_RULES} retainage rules, got {len(raw)}")
    rules: list[RetainageRule] = []
    for position, item in enumerate(raw, start=1):
        if not isinstance(item, Mapping) or set(item) != {"rate", "until", "limit"}:
            raise ValueError(f"retainage rule {position} must have exactly rate, until and limit")
        rate, until, limit = item["rate"], item["until"], item["limit"]
        if not isinstance(rate, str | Decimal | int) or not isinstance(limit, str | Decimal | int):
            raise ValueError(f"retainage rule {position}: rate and limit must be decimal strings")
        if until not in RETAINAGE_LIMITS:
            raise ValueError(f"retainage rule {position}: unknown until {until!r}")
        try:
            rules.append(
                RetainageRule(
                    rate=to_percent(rate),
                    until=cast(RetainageLimit, until),
                    limit=to_money(limit) if until == "amount_held" else to_percent(limit),
                )
            )
        except (TypeError, ValueError) as error:
            raise ValueError(f"retainage rule {position}: {error}") from None
    return tuple(rules)


# --- G702 -------------------------------------------------------------------------------------


def compute_pay_app(
    lines: Sequence[LineInput],
    *,
    previous_certificates: Decimal,
    rounding: Rounding,
    retainage_rules: Sequence[RetainageRule] = (),
    original_contract_sum: Decimal | None = None,
) -> PayAppResult:
    """Every G703 row and the G702 of one pay app (§5.3).

    `previous_certificates` is line 7: line 6 of the previous pay app as certified (0 for the
    first). With `retainage_rules` the sliding scale replaces the lines' flat rates (choice 8).
    `original_contract_sum` overrides line 1 (choice 7).
    """
    rounding = as_rounding(rounding)
    _require_amount("previous_certificates", previous_certificates)
    if retainage_rules:
        results = _rows_with_sliding_scale(lines, retainage_rules, original_contract_sum, rounding)
    else:
        context = rounding_context(rounding)
        results = [_flat_row(line, context) for line in lines]
    summary = _change_order_summary(lines, original_contract_sum)

    # The G703's columns, each summed at once (a column of 2,000 rows: one C loop).
    columns: dict[str, tuple[Decimal, ...]] = dict.fromkeys(LineResult._fields, ())
    columns.update(zip(LineResult._fields, zip(*results, strict=True), strict=False))

    def total(name: str) -> Decimal:
        return _sum(columns[name])

    contract_sum_to_date = total("scheduled_value")
    total_completed = total("total_completed_and_stored")
    on_work = total("retainage_held_on_work")
    on_stored = total("retainage_held_on_stored")
    total_retainage = on_work + on_stored
    earned_less_retainage = total_completed - total_retainage
    g702 = G702(
        original_contract_sum=summary.original_contract_sum,
        net_change_by_change_orders=contract_sum_to_date - summary.original_contract_sum,
        contract_sum_to_date=contract_sum_to_date,
        total_completed_and_stored_to_date=total_completed,
        retainage_on_completed_work=on_work,
        retainage_on_stored_materials=on_stored,
        total_retainage=total_retainage,
        total_earned_less_retainage=earned_less_retainage,
        less_previous_certificates=previous_certificates,
        current_payment_due=earned_less_retainage - previous_certificates,
        balance_to_finish_including_retainage=contract_sum_to_date - earned_less_retainage,
        co_additions_previous=summary.additions_previous,
        co_deductions_previous=summary.deductions_previous,
        co_additions_this_period=summary.additions_this_period,
        co_deductions_this_period=summary.deductions_this_period,
        co_additions_total=summary.additions_previous + summary.additions_this_period,
        co_deductions_total=summary.deductions_previous + summary.deductions_this_period,
    )
    totals = G703Totals(
        scheduled_value=contract_sum_to_date,
        work_completed_previous=total("work_completed_previous"),
        work_completed_this_period=total("work_completed_this_period"),
        materials_presently_stored=total("materials_presently_stored"),
        total_completed_and_stored=total_completed,
        percent_complete=percent_complete_of(
            amount=total_completed, scheduled_value=contract_sum_to_date, rounding=rounding
        ),
        balance_to_finish=total("balance_to_finish"),
        retainage_held=total_retainage,
        retainage_released_this_period=total("retainage_released_this_period"),
        retainage_this_period=total("retainage_this_period"),
    )
    return PayAppResult(lines=tuple(results), totals=totals, g702=g702)


def revise_pay_app(
    *,
    g702: G702,
    totals: G703Totals,
    before: Sequence[LineResult],
    after: Sequence[LineResult],
    rounding: Rounding,
) -> tuple[G702, G703Totals]:
    """The G702 and G703 totals of a pay app after its rows `before` became `after`, from the
    G702 and totals it had, without its other rows (a one-line edit of a 2,000-line pay app).

    Only for flat-rate retainage: under a sliding scale one row's work moves the others' held
    amounts, so `compute_pay_app` must see them all. Every figure it revises is a sum over rows
    (or follows from sums: lines 5 to 9, the % complete of the totals), so adding what the
    changed rows add now and taking away what they added before gives what `compute_pay_app`
    would (a property test holds it to that). A row keeps its C and change-order identity (an
    edit never changes them), so lines 1 to 3 and the change-order summary stay; `ValueError`
    otherwise.
    """
    rounding = as_rounding(rounding)
    if len(before) != len(after):
        raise ValueError(f"{len(before)} rows before and {len(after)} after")
    for old, new in zip(before, after, strict=True):
        if _identity(old) != _identity(new):
            raise ValueError("a revised row keeps its scheduled value and change order")

    def delta(name: str) -> Decimal:
        return _sum(getattr(row, name) for row in after) - _sum(
            getattr(row, name) for row in before
        )

    total_completed = g702.total_completed_and_stored_to_date + delta("total_completed_and_stored")
    on_work = g702.retainage_on_completed_work + delta("retainage_held_on_work")
    on_stored = g702.retainage_on_stored_materials + delta("retainage_held_on_stored")
    total_retainage = on_work + on_stored
    earned_less_retainage = total_completed - total_retainage
    revised_g702 = replace(
        g702,
        total_completed_and_stored_to_date=total_completed,
        retainage_on_completed_work=on_work,
        retainage_on_stored_materials=on_stored,
        total_retainage=total_retainage,
        total_earned_less_retainage=earned_less_retainage,
        current_payment_due=earned_less_retainage - g702.less_previous_certificates,
        balance_to_finish_including_retainage=g702.contract_sum_to_date - earned_less_retainage,
    )
    revised_totals = replace(
        totals,
        work_completed_previous=totals.work_completed_previous + delta("work_completed_previous"),
        work_completed_this_period=totals.work_completed_this_period
        + delta("work_completed_this_period"),
        materials_presently_stored=totals.materials_presently_stored
        + delta("materials_presently_stored"),
        total_completed_and_stored=total_completed,
        percent_complete=percent_complete_of(
            amount=total_completed, scheduled_value=totals.scheduled_value, rounding=rounding
        ),
        balance_to_finish=totals.balance_to_finish + delta("balance_to_finish"),
        retainage_held=total_retainage,
        retainage_released_this_period=totals.retainage_released_this_period
        + delta("retainage_released_this_period"),
        retainage_this_period=totals.retainage_this_period + delta("retainage_this_period"),
    )
    return revised_g702, revised_totals


def _identity(row: LineResult) -> tuple[Decimal, bool, bool, str]:
    return (
        row.scheduled_value,
        row.is_change_order,
        row.change_order_previous,
        row.change_order_number,
    )


def check_overbilling(
    *, results: Sequence[LineResult], policy: OverbillingPolicy | str, labels: Sequence[str]
) -> list[str]:
    """Apply the project's overbilling policy (§5.4) to computed rows labelled for people.

    allow: no warnings. warn: one warning per overbilled line. block: `OverbillingError` naming
    the overbilled lines (and nothing to return when none is).
    """
    policy = OverbillingPolicy(policy)
    if len(labels) != len(results):
        raise ValueError(f"{len(labels)} labels for {len(results)} lines")
    if policy is OverbillingPolicy.ALLOW:
        return []
    overbilled = [
        (label, result) for label, result in zip(labels, results, strict=True) if result.overbilled
    ]
    messages = [
        f"{label}: total completed and stored {result.total_completed_and_stored} is beyond "
        f"the scheduled value {result.scheduled_value} ({result.percent_complete}% complete)"
        for label, result in overbilled
    ]
    if messages and policy is OverbillingPolicy.BLOCK:
        raise OverbillingError(lines=[label for label, _ in overbilled], messages=messages)
    return messages


# --- Helpers ----------------------------------------------------------------------------------


class _ChangeOrderSummary(NamedTuple):
    original_contract_sum: Decimal
    additions_previous: Decimal
    deductions_previous: Decimal
    additions_this_period: Decimal
    deductions_this_period: Decimal


def _change_order_summary(
    lines: Sequence[LineInput], original_contract_sum: Decimal | None
) -> _ChangeOrderSummary:
    net_by_change_order: dict[str, Decimal] = {}
    previous_by_change_order: dict[str, bool] = {}
    for index, line in enumerate(lines):
        if not line.is_change_order:
            continue
        # Choice 6: lines of one change order are netted; an unnumbered line stands alone.
        key = f"number:{line.change_order_number}" if line.change_order_number else f"line:{index}"
        if (
            previous_by_change_order.setdefault(key, line.change_order_previous)
            != line.change_order_previous
        ):
            raise ValueError(
                f"change order {line.change_order_number} has lines approved in different months"
            )
        net_by_change_order[key] = net_by_change_order.get(key, ZERO) + line.scheduled_value
    sov_sum = _sum(line.scheduled_value for line in lines if not line.is_change_order)
    additions = {True: ZERO, False: ZERO}
    deductions = {True: ZERO, False: ZERO}
    for key, net in net_by_change_order.items():
        if net > 0:
            additions[previous_by_change_order[key]] += net
        else:
            deductions[previous_by_change_order[key]] -= net
    line_1 = sov_sum
    if original_contract_sum is not None:
        _require_amount("original_contract_sum", original_contract_sum)
        line_1 = original_contract_sum
        folded = sov_sum - original_contract_sum
        if folded != 0 and net_by_change_order:
            raise ValueError(
                f"original contract sum {original_contract_sum} does not tie to the "
                f"schedule of values {sov_sum}"
            )
        # Choice 7: change orders folded into the SOV values were approved before this pay app.
        if folded > 0:
            additions[True] += folded
        else:
            deductions[True] -= folded
    return _ChangeOrderSummary(
        original_contract_sum=line_1,
        additions_previous=additions[True],
        deductions_previous=deductions[True],
        additions_this_period=additions[False],
        deductions_this_period=deductions[False],
    )


def _rows_with_sliding_scale(
    lines: Sequence[LineInput],
    rules: Sequence[RetainageRule],
    original_contract_sum: Decimal | None,
    rounding: Rounding,
) -> list[LineResult]:
    totals_by_line = [
        line.work_completed_previous
        + line.work_completed_this_period
        + line.materials_presently_stored
        for line in lines
    ]
    if original_contract_sum is None:
        original_contract_sum = _sum(
            line.scheduled_value for line in lines if not line.is_change_order
        )
    held = sliding_scale_held(
        rules=rules,
        total_completed_and_stored=_sum(totals_by_line),
        contract_sum_to_date=_sum(line.scheduled_value for line in lines),
        original_contract_sum=original_contract_sum,
        rounding=rounding,
    )
    results = []
    context = rounding_context(rounding)
    for line, share in zip(
        lines, spread_proportionally(total=held, weights=totals_by_line), strict=True
    ):
        # Choice 8: a line's share splits between work and stored in proportion to D + E and F.
        on_work, on_stored = spread_proportionally(
            total=share,
            weights=[
                line.work_completed_previous + line.work_completed_this_period,
                line.materials_presently_stored,
            ],
        )
        results.append(_row(line, gross_work=on_work, gross_stored=on_stored, context=context))
    return results


def _cap(
    rule: RetainageRule, contract_sum_to_date: Decimal, original_contract_sum: Decimal
) -> Fraction:
    if rule.until == "percent_of_original_value_held":
        return Fraction(original_contract_sum) * Fraction(rule.limit) / 100
    if rule.until == "percent_of_revised_value_held":
        return Fraction(contract_sum_to_date) * Fraction(rule.limit) / 100
    return Fraction(rule.limit)


def _sum(values: Iterable[Decimal]) -> Decimal:
    return sum(values, ZERO)


def _on_side_of(value: Decimal, scheduled_value: Decimal) -> bool:
    """Whether `value` lies on the side of zero of a line valued `scheduled_value` (choice 1)."""
    return value >= 0 if scheduled_value >= 0 else value <= 0


def _wrong_side(label: str, value: Decimal, scheduled_value: Decimal) -> str:
    if scheduled_value >= 0:
        return f"{label} {value} cannot be negative"
    return f"{label} {value} cannot be positive on a deductive line of {scheduled_value}"


def _integer_ratio(weight: Decimal) -> tuple[int, int]:
    if not isinstance(weight, Decimal):
        raise TypeError(f"a weight must be a Decimal, not {type(weight).__name__}")
    if not weight.is_finite():
        raise ValueError(f"a weight must be finite, got {weight}")
    return weight.as_integer_ratio()


def _require_amount(name: str, value: Decimal) -> None:
    if is_amount(value):  # the common case, decided without raising
        return
    if not isinstance(value, Decimal):
        raise TypeError(f"{name} must be a Decimal, not {type(value).__name__}")
    try:
        to_decimal(value, max_places=2)
    except ValueError as error:
        raise ValueError(f"{name}: {error}") from None


def _require_percent(name: str, value: Decimal) -> None:
    if is_percent(value):
        return
    if not isinstance(value, Decimal):
        raise TypeError(f"{name} must be a Decimal, not {type(value).__name__}")
    try:
        to_percent(value)
    except ValueError as error:
        raise ValueError(f"{name}: {error}") from None


def _require_rate(name: str, value: Decimal) -> None:
    _require_percent(name, value)
    if not 0 <= value <= HUNDRED:
        raise ValueError(f"{name} must be between 0 and 100, got {value}")


def _require_quantity(name: str, value: Decimal) -> None:
    if not isinstance(value, Decimal):
        raise TypeError(f"{name} must be a Decimal, not {type(value).__name__}")
    try:
        to_decimal(value, max_places=4)
    except ValueError as error:
        raise ValueError(f"{name}: {error}") from None
