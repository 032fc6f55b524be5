"""G702/G703 arithmetic, worked out by hand (DOMAIN.md §5).

The long example follows one subcontract of 500,000.00 (site work, concrete, steel; 10% retainage
on work, 5% on stored materials) through five pay apps: steel stored and then installed, a
deductive and an additive change order, a 50% release of retainage and the final release.
Every expected figure below was computed by hand and is written in full.
"""

from __future__ import annotations

import re
from dataclasses import replace
from decimal import Decimal

import pytest

from sitebill.billing.calculations import (
    MAX_RETAINAGE_RULES,
    G703Progress,
    LineInput,
    LineResult,
    OverbillingError,
    OverbillingPolicy,
    PayAppResult,
    RetainageRule,
    carry_forward,
    check_overbilling,
    compute_line,
    compute_pay_app,
    parse_retainage_rules,
    percent_complete_of,
    release_retainage,
    revise_pay_app,
    sliding_scale_held,
    spread_proportionally,
    start_next_line,
    unit_line_value,
    unit_work_amount,
    work_this_period_from_percent,
)

ZERO = Decimal("0.00")


def line(
    scheduled_value: str,
    *,
    previous: str = "0.00",
    this_period: str = "0.00",
    stored: str = "0.00",
    work_rate: str = "10.00",
    stored_rate: str = "5.00",
    released_previous: str = "0.00",
    released_now: str = "0.00",
    previous_held: str = "0.00",
    is_change_order: bool = False,
    change_order_previous: bool = False,
    change_order_number: str = "",
) -> LineInput:
    return LineInput(
        scheduled_value=Decimal(scheduled_value),
        work_completed_previous=Decimal(previous),
        work_completed_this_period=Decimal(this_period),
        materials_presently_stored=Decimal(stored),
        retainage_work_percent=Decimal(work_rate),
        retainage_stored_percent=Decimal(stored_rate),
        retainage_released_previous=Decimal(released_previous),
        retainage_released_this_period=Decimal(released_now),
        previous_retainage_held=Decimal(previous_held),
        is_change_order=is_change_order,
        change_order_previous=change_order_previous,
        change_order_number=change_order_number,
    )


def g702_lines(result: PayAppResult) -> dict[str, str]:
    g702 = result.g702
    return {
        "1": str(g702.original_contract_sum),
        "2": str(g702.net_change_by_change_orders),
        "3": str(g702.contract_sum_to_date),
        "4": str(g702.total_completed_and_stored_to_date),
        "5a": str(g702.retainage_on_completed_work),
        "5b": str(g702.retainage_on_stored_materials),
        "5": str(g702.total_retainage),
        "6": str(g702.total_earned_less_retainage),
        "7": str(g702.less_previous_certificates),
        "8": str(g702.current_payment_due),
        "9": str(g702.balance_to_finish_including_retainage),
    }


def next_lines(previous: PayAppResult, **entries: dict[str, str]) -> list[LineInput]:
    """The next pay app's rows: carried forward, then the entries for rows 'l1', 'l2', ..."""
    rows = []
    for index, row in enumerate(previous.lines, start=1):
        started = start_next_line(row, move_stored_to_previous=False)
        changes = {name: Decimal(value) for name, value in entries.get(f"l{index}", {}).items()}
        rows.append(replace(started, **changes))
    return rows


# --- The 500,000.00 subcontract, pay apps 1 to 5 -----------------------------------------------


def pay_app_1() -> PayAppResult:
    return compute_pay_app(
        [
            line("100000.00", this_period="20000.00"),  # site work
            line("250000.00", this_period="50000.00"),  # concrete
            line("150000.00", stored="60000.00"),  # steel delivered, stored on site
        ],
        previous_certificates=ZERO,
        rounding="half_up",
    )


def pay_app_2() -> PayAppResult:
    # 40,000.00 of the stored steel installed plus 10,000.00 of erection: E takes it, F drops.
    return compute_pay_app(
        next_lines(
            pay_app_1(),
            l1={"work_completed_this_period": "30000.00"},
            l2={"work_completed_this_period": "75000.00"},
            l3={"work_completed_this_period": "50000.00", "materials_presently_stored": "20000.00"},
        ),
        previous_certificates=pay_app_1().g702.total_earned_less_retainage,
        rounding="half_up",
    )


def pay_app_3() -> PayAppResult:
    previous = pay_app_2()
    lines = next_lines(
        previous,
        l1={"work_completed_this_period": "50000.00"},
        l2={"work_completed_this_period": "125000.00"},
        l3={"work_completed_this_period": "100000.00", "materials_presently_stored": "0.00"},
    )
    change_orders = [
        # CO-1 deletes curbs already billed under site work: a credit, billed at once.
        line(
            "-5000.00",
            this_period="-5000.00",
            is_change_order=True,
            change_order_number="CO-1",
        ),
        # CO-2 adds a retaining wall, half built this month.
        line(
            "12000.00",
            this_period="6000.00",
            is_change_order=True,
            change_order_number="CO-2",
        ),
    ]
    return compute_pay_app(
        lines + change_orders,
        previous_certificates=previous.g702.total_earned_less_retainage,
        rounding="half_up",
    )


def pay_app_4() -> PayAppResult:
    previous = pay_app_3()
    lines = next_lines(previous, l5={"work_completed_this_period": "6000.00"})
    holding = [compute_line(row, rounding="half_up").retainage_held for row in lines]
    released = release_retainage(held_by_line=holding, percent=Decimal("50"), rounding="half_up")
    lines = [
        replace(row, retainage_released_this_period=amount)
        for row, amount in zip(lines, released, strict=True)
    ]
    return compute_pay_app(
        lines,
        previous_certificates=previous.g702.total_earned_less_retainage,
        rounding="half_up",
    )


def pay_app_5() -> PayAppResult:
    previous = pay_app_4()
    lines = next_lines(previous)
    released = release_retainage(
        held_by_line=[row.retainage_held for row in previous.lines],
        percent=Decimal("100"),
        rounding="half_up",
    )
    lines = [
        replace(row, retainage_released_this_period=amount)
        for row, amount in zip(lines, released, strict=True)
    ]
    return compute_pay_app(
        lines,
        previous_certificates=previous.g702.total_earned_less_retainage,
        rounding="half_up",
    )


def test_first_pay_app_bills_work_and_stored_steel_with_separate_retainage_rates() -> None:
    # when
    result = pay_app_1()

    # then
    assert g702_lines(result) == {
        "1": "500000.00",
        "2": "0.00",
        "3": "500000.00",
        "4": "130000.00",
        "5a": "7000.00",
        "5b": "3000.00",
        "5": "10000.00",
        "6": "120000.00",
        "7": "0.00",
        "8": "120000.00",
        "9": "380000.00",
    }
    steel = result.lines[2]
    assert steel.total_completed_and_stored == Decimal("60000.00")
    assert steel.percent_complete == Decimal("40.00")
    assert steel.balance_to_finish == Decimal("90000.00")
    assert steel.retainage_on_work == ZERO
    assert steel.retainage_on_stored == Decimal("3000.00")


def test_stored_steel_moves_from_f_to_e_when_installed() -> None:
    # when
    result = pay_app_2()

    # then D is the previous D + E: the stored 60,000.00 was never in D
    steel = result.lines[2]
    assert steel.work_completed_previous == ZERO
    assert steel.work_completed_this_period == Decimal("50000.00")
    assert steel.materials_presently_stored == Decimal("20000.00")
    assert steel.total_completed_and_stored == Decimal("70000.00")
    assert steel.retainage_on_work == Decimal("5000.00")
    assert steel.retainage_on_stored == Decimal("1000.00")
    assert steel.retainage_this_period == Decimal("3000.00")
    assert g702_lines(result) == {
        "1": "500000.00",
        "2": "0.00",
        "3": "500000.00",
        "4": "245000.00",
        "5a": "22500.00",
        "5b": "1000.00",
        "5": "23500.00",
        "6": "221500.00",
        "7": "120000.00",
        "8": "101500.00",
        "9": "278500.00",
    }
    assert result.totals.retainage_this_period == Decimal("13500.00")
    assert result.totals.work_completed_previous == Decimal("70000.00")
    assert result.totals.materials_presently_stored == Decimal("20000.00")


def test_deductive_change_order_is_a_negative_line_with_negative_retainage() -> None:
    # when
    result = pay_app_3()

    # then
    curbs = result.lines[3]
    assert curbs.total_completed_and_stored == Decimal("-5000.00")
    assert curbs.percent_complete == Decimal("100.00")
    assert curbs.balance_to_finish == ZERO
    assert curbs.retainage_held == Decimal("-500.00")
    assert not curbs.overbilled
    assert g702_lines(result) == {
        "1": "500000.00",
        "2": "7000.00",
        "3": "507000.00",
        "4": "501000.00",
        "5a": "50100.00",
        "5b": "0.00",
        "5": "50100.00",
        "6": "450900.00",
        "7": "221500.00",
        "8": "229400.00",
        "9": "56100.00",
    }
    g702 = result.g702
    assert (g702.co_additions_this_period, g702.co_deductions_this_period) == (
        Decimal("12000.00"),
        Decimal("5000.00"),
    )
    assert (g702.co_additions_previous, g702.co_deductions_previous) == (ZERO, ZERO)
    assert g702.co_additions_total - g702.co_deductions_total == g702.net_change_by_change_orders


def test_change_orders_of_earlier_months_move_to_the_previous_column() -> None:
    # when the change orders are carried to pay app 4
    g702 = pay_app_4().g702

    # then
    assert (g702.co_additions_previous, g702.co_deductions_previous) == (
        Decimal("12000.00"),
        Decimal("5000.00"),
    )
    assert (g702.co_additions_this_period, g702.co_deductions_this_period) == (ZERO, ZERO)
    assert g702.co_additions_total == Decimal("12000.00")
    assert g702.co_deductions_total == Decimal("5000.00")


def test_half_the_retainage_is_released_in_proportion_to_each_lines_holding() -> None:
    # when
    result = pay_app_4()

    # then
    assert [row.retainage_released_this_period for row in result.lines] == [
        Decimal("5000.00"),
        Decimal("12500.00"),
        Decimal("7500.00"),
        Decimal("-250.00"),
        Decimal("600.00"),
    ]
    assert g702_lines(result) == {
        "1": "500000.00",
        "2": "7000.00",
        "3": "507000.00",
        "4": "507000.00",
        "5a": "25350.00",
        "5b": "0.00",
        "5": "25350.00",
        "6": "481650.00",
        "7": "450900.00",
        "8": "30750.00",
        "9": "25350.00",
    }
    assert result.totals.retainage_released_this_period == Decimal("25350.00")
    assert result.totals.percent_complete == Decimal("100.00")


def test_final_release_pays_out_all_retainage_and_the_contract_sum() -> None:
    # when
    result = pay_app_5()

    # then
    assert all(row.retainage_held == ZERO for row in result.lines)
    assert g702_lines(result)["5"] == "0.00"
    assert g702_lines(result)["6"] == "507000.00"
    assert g702_lines(result)["8"] == "25350.00"
    assert g702_lines(result)["9"] == "0.00"


def test_every_current_payment_due_adds_up_to_the_contract_sum() -> None:
    # given
    pay_apps = [pay_app_1(), pay_app_2(), pay_app_3(), pay_app_4(), pay_app_5()]

    # when
    paid = sum((result.g702.current_payment_due for result in pay_apps), ZERO)

    # then
    assert [str(result.g702.current_payment_due) for result in pay_apps] == [
        "120000.00",
        "101500.00",
        "229400.00",
        "30750.00",
        "25350.00",
    ]
    assert paid == Decimal("507000.00") == pay_apps[-1].g702.total_earned_less_retainage


# --- Carry-forward ------------------------------------------------------------------------------


def test_carry_forward_follows_the_aia_rule_by_default() -> None:
    # given
    previous = line("5000.00", previous="1000.00", this_period="500.00", stored="300.00")

    # when
    carried = carry_forward(previous, move_stored_to_previous=False)

    # then D is the previous D + E (not G) and F stays stored
    assert carried == (Decimal("1500.00"), Decimal("300.00"))
    assert carried.work_completed_previous == Decimal("1500.00")
    assert carried.materials_presently_stored == Decimal("300.00")


def test_carry_forward_can_move_stored_materials_into_previous_work() -> None:
    # given
    previous = line("5000.00", previous="1000.00", this_period="500.00", stored="300.00")

    # when
    carried = carry_forward(previous, move_stored_to_previous=True)

    # then
    assert carried == (Decimal("1800.00"), ZERO)


def test_carry_forward_accepts_a_computed_row() -> None:
    # given
    row = compute_line(line("800.00", previous="100.00", this_period="250.00"), rounding="half_up")

    # when
    carried = carry_forward(row, move_stored_to_previous=False)

    # then
    assert carried == (Decimal("350.00"), ZERO)


def test_carry_forward_refuses_to_carry_a_negative_work_completed() -> None:
    # given a row that did not come through LineInput's checks (an import, say)
    class ImportedRow:
        scheduled_value = Decimal("1000.00")
        work_completed_previous = Decimal("100.00")
        work_completed_this_period = Decimal("-150.00")
        materials_presently_stored = ZERO

    row: G703Progress = ImportedRow()

    # then
    with pytest.raises(
        ValueError, match=re.escape("carried-forward work completed -50.00 cannot be negative")
    ):
        carry_forward(row, move_stored_to_previous=False)


def test_next_line_starts_with_no_work_this_period_and_the_previous_holding() -> None:
    # given
    row = compute_line(
        line(
            "9000.00",
            previous="1000.00",
            this_period="2000.00",
            stored="500.00",
            released_previous="20.00",
            released_now="30.00",
            is_change_order=True,
            change_order_number="CO-7",
        ),
        rounding="half_up",
    )

    # when
    started = start_next_line(row, move_stored_to_previous=True)

    # then
    assert started == line(
        "9000.00",
        previous="3500.00",
        released_previous="50.00",
        previous_held="275.00",
        is_change_order=True,
        change_order_previous=True,
        change_order_number="CO-7",
    )


# --- Single rows ----------------------------------------------------------------------------


def test_percent_complete_is_zero_on_a_zero_value_line() -> None:
    # when
    row = compute_line(line("0.00"), rounding="half_up")

    # then
    assert row.percent_complete == ZERO
    assert not row.overbilled


def test_percent_complete_rounds_to_two_places() -> None:
    assert percent_complete_of(
        amount=Decimal("62500.00"), scheduled_value=Decimal("95000.00"), rounding="half_up"
    ) == Decimal("65.79")
    assert percent_complete_of(
        amount=Decimal("1.00"), scheduled_value=Decimal("3.00"), rounding="half_up"
    ) == Decimal("33.33")


def test_work_this_period_from_a_percent_complete() -> None:
    # when the vendor says 60% on a 2,000,000.00 line with 500,000.00 billed before
    work = work_this_period_from_percent(
        percent_complete=Decimal("60"),
        scheduled_value=Decimal("2000000.00"),
        work_completed_previous=Decimal("500000.00"),
        rounding="half_up",
    )

    # then
    assert work == Decimal("700000.00")


def test_work_this_period_from_a_percent_rounds_once() -> None:
    # given 33.3333% of 1,000.05 = 333.349...: 333.35, less 100.00 billed before
    work = work_this_period_from_percent(
        percent_complete=Decimal("33.3333"),
        scheduled_value=Decimal("1000.05"),
        work_completed_previous=Decimal("100.00"),
        rounding="half_even",
    )

    # then
    assert work == Decimal("233.35")


def test_half_up_and_half_even_differ_on_a_half_cent_of_retainage() -> None:
    # given 5% of 100.10 is 5.005 exactly
    row = line("1000.00", this_period="100.10", work_rate="5.00")

    # when
    up = compute_pay_app([row], previous_certificates=ZERO, rounding="half_up")
    even = compute_pay_app([row], previous_certificates=ZERO, rounding="half_even")

    # then
    assert up.lines[0].retainage_on_work == Decimal("5.01")
    assert even.lines[0].retainage_on_work == Decimal("5.00")
    assert up.g702.current_payment_due == Decimal("95.09")
    assert even.g702.current_payment_due == Decimal("95.10")


def test_half_up_and_half_even_agree_off_the_tie() -> None:
    # given 5% of 100.30 is 5.015: even rounds up to 5.02 too
    row = line("1000.00", this_period="100.30", work_rate="5.00")

    # then
    assert compute_line(row, rounding="half_up").retainage_on_work == Decimal("5.02")
    assert compute_line(row, rounding="half_even").retainage_on_work == Decimal("5.02")


def test_retained_this_period_is_negative_when_the_rate_falls() -> None:
    # given 10% held on 40,000.00 last month; the rate falls to 5% at 50% complete
    row = line(
        "100000.00",
        previous="40000.00",
        this_period="10000.00",
        work_rate="5.00",
        previous_held="4000.00",
    )

    # when
    result = compute_line(row, rounding="half_up")

    # then
    assert result.retainage_held == Decimal("2500.00")
    assert result.retainage_this_period == Decimal("-1500.00")


def test_a_credit_reduces_work_completed_and_can_make_the_payment_negative() -> None:
    # given 8,000.00 billed and paid; 3,000.00 of it turns out to be defective
    row = line("10000.00", previous="8000.00", this_period="-3000.00", previous_held="800.00")

    # when
    result = compute_pay_app([row], previous_certificates=Decimal("7200.00"), rounding="half_up")

    # then
    assert result.lines[0].total_completed_and_stored == Decimal("5000.00")
    assert result.lines[0].retainage_this_period == Decimal("-300.00")
    assert result.g702.total_earned_less_retainage == Decimal("4500.00")
    assert result.g702.current_payment_due == Decimal("-2700.00")


def test_a_release_comes_off_the_work_retainage_first_then_the_stored() -> None:
    # given 100.00 held on work, 25.00 on stored, 110.00 released
    row = line("5000.00", this_period="1000.00", stored="500.00", released_now="110.00")

    # when
    result = compute_line(row, rounding="half_up")

    # then
    assert result.retainage_held_on_work == ZERO
    assert result.retainage_held_on_stored == Decimal("15.00")
    assert result.retainage_held == Decimal("15.00")
    assert result.earned_less_retainage == Decimal("1485.00")


def test_a_line_cannot_release_more_than_it_holds() -> None:
    # given 100.00 held, 40.00 released before
    row = line("5000.00", this_period="1000.00", released_previous="40.00", released_now="60.01")

    # then
    with pytest.raises(
        ValueError,
        match=re.escape("cannot release 60.01 of retainage this period: the line holds 60.00"),
    ):
        compute_line(row, rounding="half_up")


def test_a_line_cannot_release_a_negative_amount() -> None:
    row = line("5000.00", this_period="1000.00", released_now="-1.00")
    with pytest.raises(ValueError, match=re.escape("cannot release -1.00")):
        compute_line(row, rounding="half_up")


def test_a_unit_line_is_quantity_times_unit_price() -> None:
    # given 1,250 CY of concrete at 142.75 a CY; 312.25 CY placed this period
    value = unit_line_value(
        quantity=Decimal("1250"), unit_price=Decimal("142.75"), rounding="half_up"
    )
    work = unit_work_amount(
        quantity_completed=Decimal("312.25"), unit_price=Decimal("142.75"), rounding="half_up"
    )

    # then 312.25 × 142.75 = 44,573.6875
    assert value == Decimal("178437.50")
    assert work == Decimal("44573.69")


def test_a_unit_amount_rounds_with_the_project_setting() -> None:
    # given half a unit at 0.0500: 0.025, a half-cent tie
    quantity, unit_price = Decimal("0.5"), Decimal("0.0500")

    # then
    assert unit_work_amount(
        quantity_completed=quantity, unit_price=unit_price, rounding="half_up"
    ) == Decimal("0.03")
    assert unit_work_amount(
        quantity_completed=quantity, unit_price=unit_price, rounding="half_even"
    ) == Decimal("0.02")


def test_unit_inputs_have_at_most_four_places() -> None:
    with pytest.raises(ValueError, match=r"unit_price: .* more than 4 decimal places"):
        unit_line_value(quantity=Decimal("1"), unit_price=Decimal("0.00001"), rounding="half_up")
    with pytest.raises(TypeError, match="quantity_completed must be a Decimal, not float"):
        unit_work_amount(quantity_completed=1.5, unit_price=Decimal("2"), rounding="half_up")  # type: ignore[arg-type]


# --- Line validation ----------------------------------------------------------------------------


def test_a_line_refuses_float_money() -> None:
    with pytest.raises(TypeError, match="scheduled_value must be a Decimal, not float"):
        LineInput(
            scheduled_value=1000.0,  # type: ignore[arg-type]
            retainage_work_percent=Decimal("10"),
            retainage_stored_percent=Decimal("10"),
        )


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (
            {"work_completed_this_period": Decimal("1.005")},
            "work_completed_this_period: .*2 decimal",
        ),
        ({"materials_presently_stored": Decimal("NaN")}, "materials_presently_stored: .*finite"),
        ({"retainage_work_percent": Decimal("100.01")}, "between 0 and 100"),
        ({"retainage_stored_percent": Decimal("-1")}, "between 0 and 100"),
        ({"retainage_work_percent": Decimal("10.00001")}, "more than 4 decimal places"),
        (
            {"work_completed_previous": Decimal("-1.00")},
            "from previous application -1.00 cannot be negative",
        ),
        ({"work_completed_this_period": Decimal("-0.01")}, r"\(D \+ E\) -0.01 cannot be negative"),
        ({"materials_presently_stored": Decimal("-5.00")}, "must be zero or more"),
        ({"change_order_previous": True}, "only a change order line"),
        ({"change_order_number": "CO-3"}, "only a change order line"),
    ],
)
def test_a_line_refuses_impossible_inputs(changes: dict[str, object], message: str) -> None:
    # given
    valid = line("1000.00")

    # then
    with pytest.raises(ValueError, match=message):
        replace(valid, **changes)  # type: ignore[arg-type]


def test_a_rate_must_be_a_decimal() -> None:
    with pytest.raises(TypeError, match="retainage_work_percent must be a Decimal, not int"):
        replace(line("1000.00"), retainage_work_percent=10)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (
            {"work_completed_previous": Decimal("1.00")},
            "cannot be positive on a deductive line of -500.00",
        ),
        ({"work_completed_this_period": Decimal("0.01")}, r"\(D \+ E\) 0.01 cannot be positive"),
        ({"materials_presently_stored": Decimal("1.00")}, "zero on a deductive change order line"),
    ],
)
def test_a_deductive_line_stays_at_or_below_zero(changes: dict[str, Decimal], message: str) -> None:
    # given
    deductive = line("-500.00", is_change_order=True)

    # then
    with pytest.raises(ValueError, match=message):
        replace(deductive, **changes)


def columns_of(value: LineInput) -> dict[str, object]:
    """A line's values as `LineInput.from_columns` takes them (a stored line has no CO number)."""
    return {
        name: getattr(value, name)
        for name in LineInput.__dataclass_fields__
        if name != "change_order_number"
    }


def test_a_line_read_from_its_columns_is_the_same_line() -> None:
    # given
    stored = line("1000.00", previous="200.00", this_period="100.00", stored="50.00")
    change_order = line("-500.00", this_period="-100.00", is_change_order=True)

    # then
    assert LineInput.from_columns(**columns_of(stored)) == stored  # type: ignore[arg-type]
    assert LineInput.from_columns(**columns_of(change_order)) == change_order  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"retainage_work_percent": Decimal("100.0001")}, "between 0 and 100, got 100.0001"),
        ({"retainage_stored_percent": Decimal("-5.0000")}, "between 0 and 100, got -5.0000"),
        (
            {"work_completed_this_period": Decimal("-300.01")},
            r"\(D \+ E\) -0.01 cannot be negative",
        ),
        ({"materials_presently_stored": Decimal("-5.00")}, "must be zero or more"),
        ({"change_order_previous": True}, "only a change order line"),
    ],
)
def test_a_line_read_from_its_columns_still_keeps_the_rules_between_values(
    changes: dict[str, object], message: str
) -> None:
    # given: a stored row someone changed behind the services' back
    columns = {**columns_of(line("1000.00", previous="300.00")), **changes}

    # then: the values' types are the columns', but the rules between them are checked
    with pytest.raises(ValueError, match=message):
        LineInput.from_columns(**columns)  # type: ignore[arg-type]


# --- Overbilling ------------------------------------------------------------------------------


def overbilling_rows() -> list[LineResult]:
    return [
        compute_line(line("10000.00", this_period="9000.00"), rounding="half_up"),
        compute_line(
            line("10000.00", previous="9000.00", this_period="1500.00"), rounding="half_up"
        ),
        compute_line(
            line("-500.00", this_period="-600.00", is_change_order=True), rounding="half_up"
        ),
        compute_line(line("0.00", this_period="10.00"), rounding="half_up"),
    ]


def test_a_line_is_overbilled_beyond_100_percent_in_the_direction_of_its_value() -> None:
    # when
    rows = overbilling_rows()

    # then
    assert [row.overbilled for row in rows] == [False, True, True, True]
    assert rows[1].percent_complete == Decimal("105.00")
    assert rows[1].balance_to_finish == Decimal("-500.00")
    assert rows[2].percent_complete == Decimal("120.00")


def test_overbilling_allowed_says_nothing() -> None:
    warnings = check_overbilling(
        results=overbilling_rows(), policy="allow", labels=["1", "2", "3", "4"]
    )
    assert warnings == []


def test_overbilling_warned_names_each_line() -> None:
    # when
    warnings = check_overbilling(
        results=overbilling_rows(),
        policy=OverbillingPolicy.WARN,
        labels=["1 Site work", "2 Concrete", "CO-4 Credit", "3 Allowance"],
    )

    # then
    assert warnings == [
        "2 Concrete: total completed and stored 10500.00 is beyond the scheduled value "
        "10000.00 (105.00% complete)",
        "CO-4 Credit: total completed and stored -600.00 is beyond the scheduled value "
        "-500.00 (120.00% complete)",
        "3 Allowance: total completed and stored 10.00 is beyond the scheduled value "
        "0.00 (0.00% complete)",
    ]


def test_overbilling_blocked_refuses_with_the_lines_named() -> None:
    # when
    with pytest.raises(OverbillingError) as refused:
        check_overbilling(
            results=overbilling_rows(),
            policy="block",
            labels=["1 Site work", "2 Concrete", "CO-4 Credit", "3 Allowance"],
        )

    # then
    assert refused.value.lines == ("2 Concrete", "CO-4 Credit", "3 Allowance")
    assert len(refused.value.messages) == 3
    assert str(refused.value).startswith(
        "Overbilling is not allowed on this project: 2 Concrete: total completed and stored"
    )


def test_overbilling_blocked_passes_when_no_line_is_overbilled() -> None:
    rows = overbilling_rows()[:1]
    assert check_overbilling(results=rows, policy="block", labels=["1"]) == []


def test_overbilling_needs_a_known_policy_and_one_label_per_line() -> None:
    with pytest.raises(ValueError, match="'sometimes' is not a valid OverbillingPolicy"):
        check_overbilling(results=[], policy="sometimes", labels=[])
    with pytest.raises(ValueError, match="1 labels for 4 lines"):
        check_overbilling(results=overbilling_rows(), policy="warn", labels=["1"])


# --- Spreading and releasing --------------------------------------------------------------------


def test_spread_gives_remainder_cents_to_the_largest_remainders_then_the_largest_lines() -> None:
    # given 50.00 over three holdings: quotas 16.665, 16.665, 16.67
    assert spread_proportionally(
        total=Decimal("50.00"), weights=[Decimal("33.33"), Decimal("33.33"), Decimal("33.34")]
    ) == [Decimal("16.67"), Decimal("16.66"), Decimal("16.67")]
    # and 1.00 over three equal weights: the tie goes to the first line
    assert spread_proportionally(
        total=Decimal("1.00"), weights=[Decimal("1"), Decimal("1"), Decimal("1")]
    ) == [Decimal("0.34"), Decimal("0.33"), Decimal("0.33")]
    # and 0.02 over weights 1 and 3: quotas 0.005 and 0.015, equal remainders, the larger
    # line takes the cent
    assert spread_proportionally(total=Decimal("0.02"), weights=[Decimal("1"), Decimal("3")]) == [
        ZERO,
        Decimal("0.02"),
    ]
    assert spread_proportionally(total=Decimal("0.02"), weights=[Decimal("3"), Decimal("1")]) == [
        Decimal("0.02"),
        ZERO,
    ]


def test_spread_over_negative_weights_keeps_their_signs() -> None:
    assert spread_proportionally(
        total=Decimal("-10.00"), weights=[Decimal("-3"), Decimal("-1")]
    ) == [Decimal("-7.50"), Decimal("-2.50")]
    assert spread_proportionally(
        total=Decimal("9.00"), weights=[Decimal("10.00"), Decimal("-1.00")]
    ) == [Decimal("10.00"), Decimal("-1.00")]


def test_spread_of_nothing_over_nothing_is_nothing() -> None:
    assert spread_proportionally(total=ZERO, weights=[ZERO, ZERO]) == [ZERO, ZERO]
    assert spread_proportionally(total=ZERO, weights=[]) == []
    with pytest.raises(
        ValueError, match=re.escape("cannot spread 5.00 over weights that sum to zero")
    ):
        spread_proportionally(total=Decimal("5.00"), weights=[Decimal("1"), Decimal("-1")])


def test_spread_refuses_bad_weights() -> None:
    with pytest.raises(TypeError, match="a weight must be a Decimal, not float"):
        spread_proportionally(total=Decimal("1.00"), weights=[0.5])  # type: ignore[list-item]
    with pytest.raises(ValueError, match="a weight must be finite"):
        spread_proportionally(total=Decimal("1.00"), weights=[Decimal("Infinity")])


def test_release_an_amount_spread_by_holding() -> None:
    # when 100.00 is released of 50.00 + 209.63 held
    released = release_retainage(
        held_by_line=[Decimal("50.00"), Decimal("209.63")],
        amount=Decimal("100.00"),
        rounding="half_up",
    )

    # then 19.2581..., 80.7418...: the larger remainder takes the last cent
    assert released == [Decimal("19.26"), Decimal("80.74")]


def test_release_a_percent_rounds_with_the_project_setting() -> None:
    # given 0.10 held, 5% released: 0.005
    held = [Decimal("0.10")]

    # then
    assert release_retainage(held_by_line=held, percent=Decimal("5"), rounding="half_up") == [
        Decimal("0.01")
    ]
    assert release_retainage(held_by_line=held, percent=Decimal("5"), rounding="half_even") == [
        ZERO
    ]


def test_release_of_nothing_when_nothing_is_held() -> None:
    assert release_retainage(held_by_line=[ZERO, ZERO], amount=ZERO, rounding="half_up") == [
        ZERO,
        ZERO,
    ]
    # and when the holdings net to a credit
    assert release_retainage(
        held_by_line=[Decimal("-5.00")], percent=Decimal("0"), rounding="half_up"
    ) == [ZERO]


@pytest.mark.parametrize(
    ("amount", "percent", "exception", "message"),
    [
        (Decimal("259.64"), None, ValueError, "cannot release 259.64: only 259.63 of retainage"),
        (Decimal("-1.00"), None, ValueError, "cannot release a negative amount"),
        (None, None, ValueError, "either an amount or a percent"),
        (Decimal("1.00"), Decimal("1"), ValueError, "either an amount or a percent"),
        (None, Decimal("100.5"), ValueError, "percent must be between 0 and 100"),
        (Decimal("1.001"), None, ValueError, "amount: .*2 decimal places"),
        (1, None, TypeError, "amount must be a Decimal, not int"),
    ],
)
def test_release_refuses_what_cannot_be_released(
    amount: Decimal | None, percent: Decimal | None, exception: type[Exception], message: str
) -> None:
    with pytest.raises(exception, match=message):
        release_retainage(
            held_by_line=[Decimal("50.00"), Decimal("209.63")],
            amount=amount,
            percent=percent,
            rounding="half_up",
        )


def test_release_refuses_a_bad_rounding_mode() -> None:
    with pytest.raises(ValueError, match="unknown rounding mode"):
        release_retainage(held_by_line=[], amount=ZERO, rounding="up")  # type: ignore[arg-type]


# --- Sliding-scale retainage ----------------------------------------------------------------------


def held_on_400k(total: str, *rules: RetainageRule, rounding: str = "half_up") -> Decimal:
    return sliding_scale_held(
        rules=rules,
        total_completed_and_stored=Decimal(total),
        contract_sum_to_date=Decimal("400000.00"),
        original_contract_sum=Decimal("400000.00"),
        rounding=rounding,  # type: ignore[arg-type]
    )


def rule(rate: str, until: str, limit: str) -> RetainageRule:
    return RetainageRule(rate=Decimal(rate), until=until, limit=Decimal(limit))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("total", "held"),
    [
        ("0.00", "0.00"),
        ("100000.00", "10000.00"),
        ("199999.90", "19999.99"),
        ("199999.95", "20000.00"),
        ("200000.00", "20000.00"),
        ("300000.00", "20000.00"),
        ("400000.00", "20000.00"),
        ("-1000.00", "0.00"),
    ],
)
def test_ten_percent_until_five_percent_of_the_revised_value_is_held(total: str, held: str) -> None:
    assert held_on_400k(total, rule("10", "percent_of_revised_value_held", "5")) == Decimal(held)


def test_ten_percent_to_half_complete_then_five_percent_to_95_percent() -> None:
    # given the JD Edwards example: 10% until 50% complete, then 5% until 95%
    rules = (rule("10", "percent_complete", "50"), rule("5", "percent_complete", "95"))

    # then
    assert held_on_400k("150000.00", *rules) == Decimal("15000.00")
    assert held_on_400k("300000.00", *rules) == Decimal("25000.00")  # 20,000 + 5% of 100,000
    assert held_on_400k("400000.00", *rules) == Decimal("29000.00")  # 20,000 + 5% of 180,000


def test_an_amount_cap_then_a_cap_on_the_original_value() -> None:
    # given 10% until 15,000.00 is held, then 5% until 5% of the original value (20,000.00)
    rules = (
        rule("10", "amount_held", "15000.00"),
        rule("5", "percent_of_original_value_held", "5"),
    )

    # then
    assert held_on_400k("100000.00", *rules) == Decimal("10000.00")
    assert held_on_400k("200000.00", *rules) == Decimal("17500.00")
    assert held_on_400k("400000.00", *rules) == Decimal("20000.00")


def test_a_rule_whose_limit_is_already_passed_adds_nothing() -> None:
    # given rule 2 ends before rule 1 did
    rules = (rule("10", "percent_complete", "60"), rule("5", "percent_complete", "50"))
    capped = (rule("10", "amount_held", "20000.00"), rule("5", "amount_held", "10000.00"))

    # then
    assert held_on_400k("400000.00", *rules) == Decimal("24000.00")
    assert held_on_400k("400000.00", *capped) == Decimal("20000.00")


def test_a_zero_rate_band_holds_nothing_before_the_next_rule() -> None:
    # given nothing held on the first half, 10% on the rest
    rules = (rule("0", "percent_complete", "50"), rule("10", "percent_complete", "100"))

    # then
    assert held_on_400k("300000.00", *rules) == Decimal("10000.00")


def test_a_zero_rate_held_rule_never_reaches_its_cap() -> None:
    rules = (rule("0", "amount_held", "1000.00"), rule("10", "percent_complete", "100"))
    assert held_on_400k("400000.00", *rules) == ZERO


def test_a_band_ending_between_cents_is_not_rounded_before_the_total() -> None:
    # given 7% until 1,000.00 held (Σ G = 14,285.714285...), then 3%
    rules = (rule("7", "amount_held", "1000.00"), rule("3", "percent_complete", "100"))

    # then 1,000.00 + 3% × 5,714.285714... = 1,171.428571...
    assert held_on_400k("20000.00", *rules) == Decimal("1171.43")


def test_sliding_scale_rounds_the_held_total_with_the_project_setting() -> None:
    rules = (rule("10", "percent_complete", "100"),)
    assert held_on_400k("100.05", *rules) == Decimal("10.01")
    assert held_on_400k("100.05", *rules, rounding="half_even") == Decimal("10.00")


def test_sliding_scale_has_at_most_five_rules() -> None:
    rules = [rule("10", "percent_complete", "100")] * (MAX_RETAINAGE_RULES + 1)
    with pytest.raises(ValueError, match="at most 5 retainage rules, got 6"):
        held_on_400k("1000.00", *rules)


def test_sliding_scale_on_a_pay_app_spreads_the_held_total_by_g() -> None:
    # given 10% until 5% of the revised value is held; the line rates are ignored
    rules = [rule("10", "percent_of_revised_value_held", "5")]
    lines = [
        line("150000.00", previous="50000.00", this_period="40000.00", work_rate="0"),
        line("250000.00", this_period="180000.00", stored="30000.00", stored_rate="0"),
    ]

    # when
    result = compute_pay_app(
        lines, previous_certificates=ZERO, rounding="half_up", retainage_rules=rules
    )

    # then 20,000.00 held, spread 90,000 : 210,000, line 2 split 180,000 : 30,000
    assert [row.retainage_held for row in result.lines] == [
        Decimal("6000.00"),
        Decimal("14000.00"),
    ]
    assert result.lines[1].retainage_on_work == Decimal("12000.00")
    assert result.lines[1].retainage_on_stored == Decimal("2000.00")
    assert result.g702.retainage_on_completed_work == Decimal("18000.00")
    assert result.g702.retainage_on_stored_materials == Decimal("2000.00")
    assert result.g702.total_retainage == Decimal("20000.00")
    assert result.g702.current_payment_due == Decimal("280000.00")


def test_sliding_scale_counts_the_original_sum_without_change_orders() -> None:
    # given 10% until 5% of the ORIGINAL value (100,000.00: 5,000.00) with a 20,000.00 CO
    rules = [rule("10", "percent_of_original_value_held", "5")]
    lines = [
        line("100000.00", this_period="100000.00"),
        line("20000.00", this_period="20000.00", is_change_order=True),
        line("0.00"),
    ]

    # when
    result = compute_pay_app(
        lines, previous_certificates=ZERO, rounding="half_up", retainage_rules=rules
    )

    # then 5,000.00 spread 100,000 : 20,000 : 0
    assert [row.retainage_held for row in result.lines] == [
        Decimal("4166.67"),
        Decimal("833.33"),
        ZERO,
    ]


def test_sliding_scale_with_releases_subtracts_them_as_usual() -> None:
    # given 20,000.00 held on a finished 400,000.00 job, 10,000.00 released on the line
    rules = [rule("10", "percent_of_revised_value_held", "5")]
    finished = line("400000.00", previous="400000.00", released_now="10000.00")

    # when
    result = compute_pay_app(
        [finished],
        previous_certificates=Decimal("380000.00"),
        rounding="half_up",
        retainage_rules=rules,
    )

    # then
    assert result.g702.total_retainage == Decimal("10000.00")
    assert result.g702.current_payment_due == Decimal("10000.00")


def test_retainage_rules_must_make_sense() -> None:
    with pytest.raises(ValueError, match="unknown retainage rule 'forever'"):
        rule("10", "forever", "5")
    with pytest.raises(ValueError, match="rate must be between 0 and 100"):
        rule("110", "percent_complete", "5")
    with pytest.raises(ValueError, match="limit must be between 0 and 100"):
        rule("10", "percent_complete", "101")
    with pytest.raises(ValueError, match="an amount to hold cannot be negative"):
        rule("10", "amount_held", "-1.00")
    with pytest.raises(ValueError, match=r"limit: .*2 decimal places"):
        rule("10", "amount_held", "1.001")


def test_retainage_rules_from_the_api() -> None:
    # when
    rules = parse_retainage_rules(
        [
            {"rate": "10.00", "until": "percent_complete", "limit": "50.00"},
            {"rate": "5", "until": "amount_held", "limit": "20000"},
        ]
    )

    # then
    assert rules == (
        rule("10", "percent_complete", "50"),
        rule("5", "amount_held", "20000.00"),
    )
    assert parse_retainage_rules([]) == ()


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"rate": "10"}, "must be a list of rules"),
        ([{"rate": "10", "until": "amount_held", "limit": "1"}] * 6, "at most 5 retainage rules"),
        (["10%"], "rule 1 must have exactly rate, until and limit"),
        ([{"rate": "10", "until": "amount_held"}], "rule 1 must have exactly"),
        ([{"rate": 10.0, "until": "amount_held", "limit": "1"}], "rule 1: rate and limit must be"),
        ([{"rate": "10", "until": "amount_held", "limit": None}], "rule 1: rate and limit must be"),
        ([{"rate": "10", "until": "forever", "limit": "1"}], "rule 1: unknown until 'forever'"),
        ([{"rate": "ten", "until": "amount_held", "limit": "1"}], "rule 1: 'ten' is not a number"),
        (
            [
                {"rate": "10", "until": "percent_complete", "limit": "50"},
                {"rate": "5", "until": "amount_held", "limit": "1.001"},
            ],
            "rule 2: .*more than 2 decimal places",
        ),
        (
            [{"rate": "10", "until": "percent_complete", "limit": "150"}],
            "rule 1: limit must be between",
        ),
    ],
)
def test_retainage_rules_from_the_api_are_refused_when_wrong(raw: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_retainage_rules(raw)


# --- Change-order summary and line 1 ------------------------------------------------------------


def test_lines_of_one_change_order_are_netted_before_the_summary() -> None:
    # given CO-5 adds 1,000.00 on one line and deletes 300.00 on another; CO-6 is a credit
    lines = [
        line("10000.00"),
        line("1000.00", is_change_order=True, change_order_number="CO-5"),
        line("-300.00", is_change_order=True, change_order_number="CO-5"),
        line(
            "-200.00", is_change_order=True, change_order_number="CO-6", change_order_previous=True
        ),
    ]

    # when
    g702 = compute_pay_app(lines, previous_certificates=ZERO, rounding="half_up").g702

    # then
    assert g702.co_additions_this_period == Decimal("700.00")
    assert g702.co_deductions_this_period == ZERO
    assert g702.co_deductions_previous == Decimal("200.00")
    assert g702.net_change_by_change_orders == Decimal("500.00")
    assert g702.contract_sum_to_date == Decimal("10500.00")


def test_a_change_order_cannot_be_approved_in_two_months() -> None:
    lines = [
        line("1000.00", is_change_order=True, change_order_number="CO-5"),
        line(
            "-300.00", is_change_order=True, change_order_number="CO-5", change_order_previous=True
        ),
    ]
    with pytest.raises(
        ValueError, match="change order CO-5 has lines approved in different months"
    ):
        compute_pay_app(lines, previous_certificates=ZERO, rounding="half_up")


def test_change_orders_folded_into_the_sov_show_on_line_2() -> None:
    # given a 100,000.00 contract whose SOV values already include a 3,000.00 deduction
    lines = [line("60000.00"), line("37000.00")]

    # when
    g702 = compute_pay_app(
        lines,
        previous_certificates=ZERO,
        rounding="half_up",
        original_contract_sum=Decimal("100000.00"),
    ).g702

    # then
    assert g702.original_contract_sum == Decimal("100000.00")
    assert g702.net_change_by_change_orders == Decimal("-3000.00")
    assert g702.co_deductions_previous == Decimal("3000.00")
    assert g702.co_additions_previous == ZERO


def test_change_orders_folded_into_the_sov_as_additions() -> None:
    # given a 100,000.00 contract whose SOV values already include a 4,500.00 addition
    lines = [line("60000.00"), line("44500.00")]

    # when
    g702 = compute_pay_app(
        lines,
        previous_certificates=ZERO,
        rounding="half_up",
        original_contract_sum=Decimal("100000.00"),
    ).g702

    # then
    assert g702.net_change_by_change_orders == Decimal("4500.00")
    assert g702.co_additions_previous == Decimal("4500.00")
    assert g702.co_deductions_previous == ZERO


def test_sliding_scale_on_the_original_sum_given_with_folded_change_orders() -> None:
    # given a 100,000.00 original contract folded into SOV values of 120,000.00; 10% until 5%
    # of the original value (5,000.00) is held
    rules = [rule("10", "percent_of_original_value_held", "5")]
    lines = [line("120000.00", this_period="120000.00")]

    # when
    result = compute_pay_app(
        lines,
        previous_certificates=ZERO,
        rounding="half_up",
        retainage_rules=rules,
        original_contract_sum=Decimal("100000.00"),
    )

    # then
    assert result.g702.total_retainage == Decimal("5000.00")


def test_original_contract_sum_must_tie_when_change_orders_are_lines() -> None:
    lines = [line("60000.00"), line("5000.00", is_change_order=True)]
    with pytest.raises(ValueError, match=re.escape("original contract sum 61000.00 does not tie")):
        compute_pay_app(
            lines,
            previous_certificates=ZERO,
            rounding="half_up",
            original_contract_sum=Decimal("61000.00"),
        )


def test_original_contract_sum_that_ties_changes_nothing() -> None:
    lines = [line("60000.00"), line("5000.00", is_change_order=True)]
    g702 = compute_pay_app(
        lines,
        previous_certificates=ZERO,
        rounding="half_up",
        original_contract_sum=Decimal("60000.00"),
    ).g702
    assert (g702.original_contract_sum, g702.net_change_by_change_orders) == (
        Decimal("60000.00"),
        Decimal("5000.00"),
    )
    assert g702.co_additions_this_period == Decimal("5000.00")


def test_a_pay_app_without_lines_is_all_zeros() -> None:
    result = compute_pay_app([], previous_certificates=ZERO, rounding="half_even")
    assert set(g702_lines(result).values()) == {"0.00"}
    assert result.totals.percent_complete == ZERO


def test_a_pay_app_refuses_a_bad_previous_certificate_or_rounding() -> None:
    with pytest.raises(TypeError, match="previous_certificates must be a Decimal, not float"):
        compute_pay_app([], previous_certificates=0.0, rounding="half_up")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="unknown rounding mode 'HALF_UP'"):
        compute_pay_app([], previous_certificates=ZERO, rounding="HALF_UP")  # type: ignore[arg-type]


def test_revising_rows_needs_as_many_rows_after_as_before_and_keeps_their_identity():
    line = LineInput(
        scheduled_value=Decimal("1000.00"),
        retainage_work_percent=Decimal("10"),
        retainage_stored_percent=Decimal("0"),
    )
    result = compute_pay_app([line], previous_certificates=Decimal("0.00"), rounding="half_up")
    row = result.lines[0]
    other = compute_line(
        LineInput(
            scheduled_value=Decimal("2000.00"),
            retainage_work_percent=Decimal("10"),
            retainage_stored_percent=Decimal("0"),
        ),
        rounding="half_up",
    )
    with pytest.raises(ValueError, match="1 rows before and 0 after"):
        revise_pay_app(
            g702=result.g702, totals=result.totals, before=[row], after=[], rounding="half_up"
        )
    with pytest.raises(ValueError, match="keeps its scheduled value"):
        revise_pay_app(
            g702=result.g702, totals=result.totals, before=[row], after=[other], rounding="half_up"
        )


def test_a_row_has_every_column_in_its_place():
    # given a line with a different figure in every column (the row is built positionally)
    inputs = LineInput(
        scheduled_value=Decimal("1000.00"),
        work_completed_previous=Decimal("200.00"),
        work_completed_this_period=Decimal("100.00"),
        materials_presently_stored=Decimal("50.00"),
        retainage_work_percent=Decimal("10.0000"),
        retainage_stored_percent=Decimal("5.0000"),
        retainage_released_previous=Decimal("4.00"),
        retainage_released_this_period=Decimal("1.00"),
        previous_retainage_held=Decimal("20.00"),
        is_change_order=True,
        change_order_previous=True,
        change_order_number="CO-7",
    )
    # when
    row = compute_line(inputs, rounding="half_up")
    # then each column holds its own figure, worked out by hand, to the cent
    expected = LineResult(
        scheduled_value=Decimal("1000.00"),
        work_completed_previous=Decimal("200.00"),
        work_completed_this_period=Decimal("100.00"),
        materials_presently_stored=Decimal("50.00"),
        work_completed_to_date=Decimal("300.00"),
        total_completed_and_stored=Decimal("350.00"),
        percent_complete=Decimal("35.00"),
        balance_to_finish=Decimal("650.00"),
        retainage_work_percent=Decimal("10.0000"),
        retainage_stored_percent=Decimal("5.0000"),
        retainage_on_work=Decimal("30.00"),
        retainage_on_stored=Decimal("2.50"),
        retainage_released_previous=Decimal("4.00"),
        retainage_released_this_period=Decimal("1.00"),
        retainage_released_to_date=Decimal("5.00"),
        retainage_held_on_work=Decimal("25.00"),
        retainage_held_on_stored=Decimal("2.50"),
        retainage_held=Decimal("27.50"),
        previous_retainage_held=Decimal("20.00"),
        retainage_this_period=Decimal("7.50"),
        earned_less_retainage=Decimal("322.50"),
        is_change_order=True,
        change_order_previous=True,
        change_order_number="CO-7",
        overbilled=False,
    )
    assert [str(value) for value in row] == [str(value) for value in expected]
    assert len(row) == len(LineResult._fields)
