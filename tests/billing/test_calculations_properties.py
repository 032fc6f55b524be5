"""Properties of the G702/G703 arithmetic that hold for every input (DOMAIN.md §5).

Profiles: "default" (Hypothesis defaults) and "ci" (10,000 examples per property, no deadline);
choose with HYPOTHESIS_PROFILE=ci. Exact expectations are worked out with `fractions.Fraction`
(exact rationals), never float.
"""

from __future__ import annotations

import os
from dataclasses import replace
from decimal import Decimal
from fractions import Fraction

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from sitebill.billing.calculations import (
    RETAINAGE_LIMITS,
    LineInput,
    PayAppResult,
    RetainageRule,
    compute_line,
    compute_pay_app,
    release_retainage,
    revise_pay_app,
    sliding_scale_held,
    spread_proportionally,
    start_next_line,
)
from sitebill.core.money import CENT, Rounding, multiply, percent_of, quantize, to_money

settings.register_profile("default", settings())
settings.register_profile("ci", max_examples=10_000, derandomize=False, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))

ZERO = Decimal("0.00")


def money(min_value: str | Decimal, max_value: str | Decimal) -> st.SearchStrategy[Decimal]:
    return st.decimals(
        min_value=Decimal(min_value),
        max_value=Decimal(max_value),
        places=2,
        allow_nan=False,
        allow_infinity=False,
    )


rates = st.decimals(
    min_value=Decimal("0"),
    max_value=Decimal("100"),
    places=4,
    allow_nan=False,
    allow_infinity=False,
)
roundings: st.SearchStrategy[Rounding] = st.sampled_from(["half_up", "half_even"])

# Strategies are built once: dependent amounts (a D below 2C, a release below the holding) are a
# drawn share of their bound, rounded to the cent, which keeps each example cheap.
scheduled_values = money("0.00", "1000000.00")
stored_amounts = money("0.00", "100000.00")
shares = st.integers(min_value=0, max_value=10_000).map(lambda n: Decimal(n).scaleb(-4))
DEDUCTIVE, DEDUCTIVE_PREVIOUS, CHANGE_ORDER, CHANGE_ORDER_PREVIOUS = 0, 1, 2, 3
line_kinds = st.integers(min_value=0, max_value=6)  # 4 to 6: ordinary SOV lines


def share_of(bound: Decimal, share: Decimal) -> Decimal:
    """`share` (0 to 1) of `bound`, to the cent: never beyond the bound, on its side of zero."""
    return multiply(bound, share)


@st.composite
def line_inputs(
    draw: st.DrawFn,
    rounding: Rounding,
    *,
    with_releases: bool = True,
) -> LineInput:
    """A valid G703 row: ordinary or deductive, credits, overbilling and releases included."""
    kind = draw(line_kinds)
    deductive = kind in (DEDUCTIVE, DEDUCTIVE_PREVIOUS)
    if deductive:
        scheduled = multiply(draw(scheduled_values), Decimal("-0.1"))
        reach = scheduled * 2
    else:
        scheduled = draw(scheduled_values)
        reach = scheduled * 2 + 100  # up to twice C: overbilling is legal unless blocked
    work_to_date = share_of(reach, draw(shares))
    previous = share_of(reach, draw(shares))  # E = work to date − D, a credit when negative
    stored = ZERO if deductive else draw(stored_amounts)
    work_rate, stored_rate = draw(rates), draw(rates)
    released_previous = released_now = ZERO
    if with_releases:
        gross = percent_of(work_to_date, work_rate, rounding) + percent_of(
            stored, stored_rate, rounding
        )
        released_previous = share_of(gross, draw(shares))
        released_now = share_of(gross - released_previous, draw(shares))
    is_change_order = kind <= CHANGE_ORDER_PREVIOUS
    return LineInput(
        scheduled_value=scheduled,
        work_completed_previous=previous,
        work_completed_this_period=work_to_date - previous,
        materials_presently_stored=stored,
        retainage_work_percent=work_rate,
        retainage_stored_percent=stored_rate,
        retainage_released_previous=released_previous,
        retainage_released_this_period=released_now,
        # what the previous pay app held on D at the work rate (nothing stored then)
        previous_retainage_held=percent_of(previous, work_rate, rounding),
        is_change_order=is_change_order,
        change_order_previous=is_change_order
        and kind in (DEDUCTIVE_PREVIOUS, CHANGE_ORDER_PREVIOUS),
    )


@given(st.data())
def test_a_line_read_from_its_columns_is_the_line_that_was_stored(data: st.DataObject) -> None:
    stored = data.draw(line_inputs(data.draw(st.sampled_from(["half_up", "half_even"]))))
    columns = {
        name: getattr(stored, name)
        for name in LineInput.__dataclass_fields__
        if name != "change_order_number"
    }
    assert LineInput.from_columns(**columns) == stored


rule_amounts = money("0.00", "500000.00")
contract_values = money("0.00", "100000.00")
small_stored_amounts = money("0.00", "10000.00")
certificates = money("-1000000.00", "10000000.00")
line_counts = st.integers(min_value=1, max_value=2)
period_counts = st.integers(min_value=1, max_value=3)


rule_counts = st.integers(min_value=1, max_value=5)
rule_kinds = st.sampled_from(RETAINAGE_LIMITS)


@st.composite
def retainage_rules(draw: st.DrawFn) -> list[RetainageRule]:
    """One to five sliding-scale rules of any kind (API.md `retainage_rules`)."""
    rules = []
    for _ in range(draw(rule_counts)):
        until = draw(rule_kinds)
        limit = draw(rule_amounts) if until == "amount_held" else draw(rates)
        rules.append(RetainageRule(rate=draw(rates), until=until, limit=limit))
    return rules


@st.composite
def pay_apps(draw: st.DrawFn) -> tuple[PayAppResult, list[LineInput]]:
    rounding = draw(roundings)
    sliding = draw(st.booleans())
    lines = draw(st.lists(line_inputs(rounding, with_releases=not sliding), max_size=3))
    rules = draw(retainage_rules()) if sliding else []
    result = compute_pay_app(
        lines,
        previous_certificates=draw(certificates),
        rounding=rounding,
        retainage_rules=rules,
    )
    return result, lines


def is_half_cent_tie(exact: Fraction) -> bool:
    """Whether `exact` lies exactly halfway between two cents."""
    doubled_cents = exact * 200
    return doubled_cents.denominator == 1 and doubled_cents.numerator % 2 == 1


# --- The G702 ties to the G703 ------------------------------------------------------------------


@given(pay_apps())
def test_g702_always_ties_to_the_g703(case: tuple[PayAppResult, list[LineInput]]) -> None:
    # given
    result, lines = case
    rows, g702, totals = result.lines, result.g702, result.totals

    # then every total is the sum of the rounded line values
    assert g702.contract_sum_to_date == sum((row.scheduled_value for row in rows), ZERO)
    assert g702.total_completed_and_stored_to_date == sum(
        (row.total_completed_and_stored for row in rows), ZERO
    )
    assert g702.retainage_on_completed_work == sum(
        (row.retainage_held_on_work for row in rows), ZERO
    )
    assert g702.retainage_on_stored_materials == sum(
        (row.retainage_held_on_stored for row in rows), ZERO
    )
    assert g702.total_retainage == sum((row.retainage_held for row in rows), ZERO)
    assert g702.total_retainage == (
        g702.retainage_on_completed_work + g702.retainage_on_stored_materials
    )
    assert g702.original_contract_sum == sum(
        (line.scheduled_value for line in lines if not line.is_change_order), ZERO
    )
    assert g702.original_contract_sum + g702.net_change_by_change_orders == (
        g702.contract_sum_to_date
    )
    assert g702.net_change_by_change_orders == g702.co_additions_total - g702.co_deductions_total
    assert g702.total_earned_less_retainage == (
        g702.total_completed_and_stored_to_date - g702.total_retainage
    )
    assert g702.total_earned_less_retainage == sum(
        (row.earned_less_retainage for row in rows), ZERO
    )
    assert g702.current_payment_due == (
        g702.total_earned_less_retainage - g702.less_previous_certificates
    )
    assert g702.balance_to_finish_including_retainage == (
        g702.contract_sum_to_date - g702.total_earned_less_retainage
    )
    assert totals.balance_to_finish == sum((row.balance_to_finish for row in rows), ZERO)
    assert totals.retainage_this_period == sum((row.retainage_this_period for row in rows), ZERO)
    # and every figure is an amount to the cent
    for figure in [*vars_of(g702), *vars_of(totals), *(v for row in rows for v in vars_of(row))]:
        assert figure.as_tuple().exponent == -2


def vars_of(value: object) -> list[Decimal]:
    return [
        getattr(value, name)
        # a G702 and the totals are dataclasses (slots), a row a NamedTuple (_fields)
        for name in getattr(value, "_fields", None) or value.__slots__  # type: ignore[attr-defined]
        # the rates have up to four places; every other Decimal is an amount or a percent complete
        if isinstance(getattr(value, name), Decimal) and not name.endswith("_percent")
    ]


@given(st.data())
def test_each_row_adds_up_and_the_next_pay_app_starts_from_its_d_plus_e(
    data: st.DataObject,
) -> None:
    # given any row whose releases stay within what it holds
    rounding = data.draw(roundings)
    line = data.draw(line_inputs(rounding))

    # when
    row = compute_line(line, rounding=rounding)
    aia = start_next_line(row, move_stored_to_previous=False)
    moved = start_next_line(row, move_stored_to_previous=True)

    # then G = D + E + F, H = C - G, and retainage is rounded once per part
    d, e, f = (
        line.work_completed_previous,
        line.work_completed_this_period,
        line.materials_presently_stored,
    )
    assert row.total_completed_and_stored == d + e + f
    assert row.balance_to_finish == line.scheduled_value - row.total_completed_and_stored
    assert row.retainage_on_work == percent_of(d + e, line.retainage_work_percent, rounding)
    assert row.retainage_on_stored == percent_of(f, line.retainage_stored_percent, rounding)
    assert row.retainage_held == (
        row.retainage_on_work
        + row.retainage_on_stored
        - line.retainage_released_previous
        - line.retainage_released_this_period
    )
    assert row.retainage_this_period == row.retainage_held - line.previous_retainage_held
    # (G and C are on the same side of zero, so "beyond C" is "larger in size")
    assert row.overbilled == (abs(row.total_completed_and_stored) > abs(line.scheduled_value))
    # and retainage held is never negative on an ordinary line (never positive on a deduction)
    held = (row.retainage_held, row.retainage_held_on_work, row.retainage_held_on_stored)
    if line.scheduled_value >= 0:
        assert min(held) >= 0
    else:
        assert max(held) <= 0
    # and the next pay app's D is this D + E (AIA), or this G when stored materials move into
    # previous work; its E starts at 0 and, with nothing entered, it retains nothing more
    assert aia.work_completed_previous == d + e
    assert aia.materials_presently_stored == f
    assert moved.work_completed_previous == row.total_completed_and_stored
    assert moved.materials_presently_stored == ZERO
    assert aia.work_completed_this_period == moved.work_completed_this_period == ZERO
    assert aia.previous_retainage_held == row.retainage_held
    assert aia.retainage_released_previous == row.retainage_released_to_date
    assert compute_line(aia, rounding=rounding).retainage_this_period == ZERO


@given(st.data())
def test_over_the_life_of_a_contract_the_payments_add_up_to_the_last_line_6(
    data: st.DataObject,
) -> None:
    # given a contract of a few lines and a few pay apps of work, stored materials, credits,
    # overbilling and releases
    rounding = data.draw(roundings)
    move_stored = data.draw(st.booleans())
    lines = [
        LineInput(
            scheduled_value=data.draw(contract_values),
            retainage_work_percent=data.draw(rates),
            retainage_stored_percent=data.draw(rates),
        )
        for _ in range(data.draw(line_counts))
    ]
    paid = previous_certificates = ZERO
    for _ in range(data.draw(period_counts)):
        entered = [
            replace(
                line,
                # from a credit of all of D to C more: E in [-D, C]
                work_completed_this_period=share_of(
                    line.scheduled_value + line.work_completed_previous, data.draw(shares)
                )
                - line.work_completed_previous,
                materials_presently_stored=data.draw(small_stored_amounts),
            )
            for line in lines
        ]
        holding = [compute_line(line, rounding=rounding).retainage_held for line in entered]
        if data.draw(st.booleans()) and all(held >= 0 for held in holding):
            released = release_retainage(
                held_by_line=holding, percent=data.draw(rates), rounding=rounding
            )
            entered = [
                replace(line, retainage_released_this_period=amount)
                for line, amount in zip(entered, released, strict=True)
            ]

        # when
        result = compute_pay_app(
            entered, previous_certificates=previous_certificates, rounding=rounding
        )
        paid += result.g702.current_payment_due
        previous_certificates = result.g702.total_earned_less_retainage
        lines = [start_next_line(row, move_stored_to_previous=move_stored) for row in result.lines]

        # then
        assert paid == result.g702.total_earned_less_retainage

    # and once every line is finished and every line's retainage released, the contract sum
    # has been paid, to the cent
    finished = [
        replace(
            line,
            work_completed_this_period=line.scheduled_value - line.work_completed_previous,
            materials_presently_stored=ZERO,
        )
        for line in lines
    ]
    finished = [
        replace(
            line,
            retainage_released_this_period=compute_line(line, rounding=rounding).retainage_held,
        )
        for line in finished
    ]
    final = compute_pay_app(
        finished, previous_certificates=previous_certificates, rounding=rounding
    )
    assert final.g702.total_retainage == ZERO
    assert paid + final.g702.current_payment_due == sum(
        (line.scheduled_value for line in lines), ZERO
    )


# --- Rounding -----------------------------------------------------------------------------------


@given(
    st.decimals(
        min_value=Decimal("-1000000"),
        max_value=Decimal("1000000"),
        places=5,
        allow_nan=False,
        allow_infinity=False,
    )
)
def test_half_up_and_half_even_differ_only_on_exact_half_cent_ties(amount: Decimal) -> None:
    # when
    up, even = quantize(amount, "half_up"), quantize(amount, "half_even")

    # then
    tie = is_half_cent_tie(Fraction(amount))
    if up != even:
        assert tie
        assert abs(up - even) == CENT
    if not tie:
        assert up == even
    assert abs(Fraction(up) - Fraction(amount)) <= Fraction(1, 200)
    assert abs(Fraction(even) - Fraction(amount)) <= Fraction(1, 200)


@given(st.data())
def test_a_row_rounds_the_same_both_ways_unless_a_figure_is_a_half_cent_tie(
    data: st.DataObject,
) -> None:
    # given
    line = data.draw(line_inputs("half_up", with_releases=False))
    exact = [
        Fraction(line.work_completed_previous + line.work_completed_this_period)
        * Fraction(line.retainage_work_percent)
        / 100,
        Fraction(line.materials_presently_stored) * Fraction(line.retainage_stored_percent) / 100,
    ]
    if line.scheduled_value:
        exact.append(
            Fraction(
                line.work_completed_previous
                + line.work_completed_this_period
                + line.materials_presently_stored
            )
            * 100
            / Fraction(line.scheduled_value)
        )

    # when
    up = compute_line(line, rounding="half_up")
    even = compute_line(line, rounding="half_even")

    # then
    if not any(is_half_cent_tie(figure) for figure in exact):
        assert up == even


# --- Spreading and the sliding scale ------------------------------------------------------------


@given(
    total=money("-1000000.00", "1000000.00"),
    weights=st.lists(
        st.decimals(
            min_value=Decimal("-100000"),
            max_value=Decimal("100000"),
            places=3,
            allow_nan=False,
            allow_infinity=False,
        ),
        min_size=1,
        max_size=8,
    ).filter(lambda weights: sum(weights) != 0),
)
def test_spread_always_sums_exactly_to_the_total(total: Decimal, weights: list[Decimal]) -> None:
    # when
    parts = spread_proportionally(total=total, weights=weights)

    # then
    assert sum(parts, ZERO) == total
    weight_sum = sum(Fraction(weight) for weight in weights)
    for share, weight in zip(parts, weights, strict=True):
        quota = Fraction(total) * Fraction(weight) / weight_sum
        assert abs(Fraction(share) - quota) < Fraction(1, 100)
        assert share == to_money(share)


@given(
    weights=st.lists(money("0.00", "100000.00"), min_size=1, max_size=8).filter(
        lambda weights: sum(weights) > 0
    ),
    data=st.data(),
)
def test_a_release_never_takes_more_from_a_line_than_it_holds(
    weights: list[Decimal], data: st.DataObject
) -> None:
    # given
    amount = share_of(sum(weights, ZERO), data.draw(shares))

    # when
    released = release_retainage(held_by_line=weights, amount=amount, rounding="half_up")

    # then
    assert sum(released, ZERO) == amount
    assert all(ZERO <= share <= held for share, held in zip(released, weights, strict=True))


sliding_totals = money("-1000.00", "2000000.00")
contract_sums = money("0.00", "2000000.00")


@given(
    rules=retainage_rules(),
    totals=st.tuples(sliding_totals, sliding_totals),
    contract_sum_to_date=contract_sums,
    original_contract_sum=contract_sums,
    rounding=roundings,
)
def test_a_sliding_scale_holds_more_only_for_more_work_and_never_beyond_its_caps(
    rules: list[RetainageRule],
    totals: tuple[Decimal, Decimal],
    contract_sum_to_date: Decimal,
    original_contract_sum: Decimal,
    rounding: Rounding,
) -> None:
    # given
    smaller, larger = sorted(totals)

    # when
    held = [
        sliding_scale_held(
            rules=rules,
            total_completed_and_stored=total,
            contract_sum_to_date=contract_sum_to_date,
            original_contract_sum=original_contract_sum,
            rounding=rounding,
        )
        for total in (smaller, larger)
    ]

    # then
    assert ZERO <= held[0] <= held[1]
    assert held[1] <= percent_of(max(larger, ZERO), max(rule.rate for rule in rules), rounding)
    # and when every rule ends at an amount held, nothing past the largest of those is held
    if all(rule.until != "percent_complete" for rule in rules):
        caps = [
            percent_of(original_contract_sum, rule.limit, rounding)
            if rule.until == "percent_of_original_value_held"
            else percent_of(contract_sum_to_date, rule.limit, rounding)
            if rule.until == "percent_of_revised_value_held"
            else rule.limit
            for rule in rules
        ]
        assert held[1] <= max(caps)


@st.composite
def revised_line(draw: st.DrawFn, old: LineInput, rounding: Rounding) -> LineInput:
    """`old` after an edit: new E, F, rates and release; C, D, the change order, earlier
    releases and the previous holding stay (an edit never changes them)."""
    scheduled = old.scheduled_value
    deductive = scheduled < 0
    reach = scheduled * 2 if deductive else scheduled * 2 + 100
    work_to_date = share_of(reach, draw(shares))
    stored = ZERO if deductive else draw(stored_amounts)
    work_rate, stored_rate = draw(rates), draw(rates)
    holding = (
        percent_of(work_to_date, work_rate, rounding)
        + percent_of(stored, stored_rate, rounding)
        - old.retainage_released_previous
    )
    released_now = share_of(holding, draw(shares)) if holding > 0 else ZERO
    return replace(
        old,
        work_completed_this_period=work_to_date - old.work_completed_previous,
        materials_presently_stored=stored,
        retainage_work_percent=work_rate,
        retainage_stored_percent=stored_rate,
        retainage_released_this_period=released_now,
    )


@given(st.data())
def test_revising_the_edited_rows_gives_the_g702_of_the_whole_pay_app(data: st.DataObject) -> None:
    # given a flat-rate pay app and an edit of some of its rows
    rounding = data.draw(roundings)
    lines = data.draw(st.lists(line_inputs(rounding), min_size=1, max_size=6))
    certificates_before = data.draw(certificates)
    before = compute_pay_app(lines, previous_certificates=certificates_before, rounding=rounding)
    edited = sorted(
        data.draw(st.sets(st.integers(0, len(lines) - 1), min_size=1, max_size=len(lines)))
    )
    changed = list(lines)
    for index in edited:
        try:
            changed[index] = data.draw(revised_line(lines[index], rounding))
        except ValueError:  # a drawn edit the arithmetic refuses (D + E past zero, say)
            assume(False)
    try:
        after = compute_pay_app(
            changed, previous_certificates=certificates_before, rounding=rounding
        )
    except ValueError:
        assume(False)
    # when only the edited rows are revised
    g702, totals = revise_pay_app(
        g702=before.g702,
        totals=before.totals,
        before=[before.lines[i] for i in edited],
        after=[after.lines[i] for i in edited],
        rounding=rounding,
    )
    # then the figures are those of computing the whole pay app again
    assert g702 == after.g702
    assert totals == after.totals
