"""Published G702/G703 figures (shared/examples/published-pay-apps.json) against our arithmetic.

The rows that check are positive fixtures. The errors the sources printed are negative fixtures:
we assert that our figures differ from them, and what they are instead.
"""

from __future__ import annotations

import json
from dataclasses import replace
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from sitebill.billing.calculations import (
    LineInput,
    RetainageRule,
    compute_pay_app,
    percent_complete_of,
    release_retainage,
    sliding_scale_held,
    start_next_line,
    work_this_period_from_percent,
)
from sitebill.core.money import to_money

EXAMPLES = Path(__file__).resolve().parents[3] / "shared/examples/published-pay-apps.json"
ZERO = Decimal("0.00")

pytestmark = pytest.mark.skipif(
    not EXAMPLES.exists(), reason=f"the published examples are not at {EXAMPLES}"
)


def example(example_id: str) -> dict[str, Any]:
    data = json.loads(EXAMPLES.read_text(encoding="utf-8"))
    matches: list[dict[str, Any]] = [item for item in data["examples"] if item["id"] == example_id]
    assert len(matches) == 1, f"{example_id} is not in {EXAMPLES}"
    return matches[0]


def scenario(name: str) -> dict[str, Any]:
    found: list[dict[str, Any]] = [
        item
        for item in example("E8_small_published_scenarios")["scenarios"]
        if item["name"] == name
    ]
    assert len(found) == 1, f"scenario {name!r} is not in {EXAMPLES}"
    return found[0]


def money(text: str) -> Decimal:
    """An amount as published ("1200000", "259.63 (100%)") to the cent."""
    return to_money(text.split()[0])


# --- E2: PayAppPro's completed G702 & G703 ------------------------------------------------------


def e2_pay_app() -> tuple[dict[str, Any], Any]:
    published = example("E2_payapppro_web_example")
    rate = Decimal(published["contract"]["retainage"]["work_pct"])
    scheduled = {item["item_no"]: money(item["scheduled_value"]) for item in published["lines"]}
    period = published["periods"][0]
    lines = [
        LineInput(
            scheduled_value=scheduled[row["item_no"]],
            work_completed_previous=money(row["previous"]),
            work_completed_this_period=money(row["this_period"]),
            materials_presently_stored=money(row["stored"]),
            retainage_work_percent=rate,
            retainage_stored_percent=rate,
        )
        for row in period["lines"]
    ]
    # Line 7 is what the previous certificate paid: the 65,000.00 billed before, less 10%.
    previous = compute_pay_app(
        [replace(line, work_completed_this_period=ZERO) for line in lines],
        previous_certificates=ZERO,
        rounding="half_up",
    )
    result = compute_pay_app(
        lines,
        previous_certificates=previous.g702.total_earned_less_retainage,
        rounding="half_up",
        original_contract_sum=money(published["contract"]["original_contract_sum"]),
    )
    return period, result


def test_e2_line_math_matches_the_published_rows() -> None:
    # given
    period, result = e2_pay_app()

    # then
    for published, row in zip(period["lines"], result.lines, strict=True):
        printed = published["published"]
        assert row.total_completed_and_stored == money(printed["total_completed_stored"])
        assert row.balance_to_finish == money(printed["balance_to_finish"])


def test_e2_percent_column_is_ours_to_two_places_where_the_source_printed_whole_percents() -> None:
    # given
    period, result = e2_pay_app()

    # then 62,500 / 95,000 = 65.79% (printed 66%), 45,000 / 145,000 = 31.03% (printed 31%)
    assert [row.percent_complete for row in result.lines] == [
        Decimal("100.00"),
        Decimal("65.79"),
        Decimal("31.03"),
    ]
    for published, row in zip(period["lines"], result.lines, strict=True):
        whole_percent = Decimal(published["published"]["percent"].rstrip("%"))
        assert abs(row.percent_complete - whole_percent) < Decimal("0.5")


def test_e2_lines_1_to_6_match_the_published_g702() -> None:
    # given
    period, result = e2_pay_app()
    printed, g702 = period["published_g702"], result.g702

    # then
    assert g702.original_contract_sum == money(printed["line1_original_contract_sum"])
    assert g702.net_change_by_change_orders == money(printed["line2_net_change_by_change_orders"])
    assert g702.contract_sum_to_date == money(printed["line3_contract_sum_to_date"])
    assert g702.total_completed_and_stored_to_date == money(printed["line4_total_completed_stored"])
    assert g702.total_retainage == money(printed["line5_total_retainage"])
    assert g702.total_earned_less_retainage == Decimal("119250.00")  # line 6 = 4 - 5


def test_e2_published_current_payment_due_forgot_line_7() -> None:
    # given the source printed 119,250.00, which is line 6: no previous certificate deducted
    period, result = e2_pay_app()
    printed = money(period["published_g702"]["line8_current_payment_due"])

    # then 65,000.00 was billed before (58,500.00 certified at 10%): 60,750.00 is due
    assert result.g702.less_previous_certificates == Decimal("58500.00")
    assert result.g702.current_payment_due != printed
    assert result.g702.current_payment_due == Decimal("60750.00")


def test_e2_published_balance_to_finish_left_out_the_retainage() -> None:
    # given the source printed 132,500.00 = line 3 - line 4
    period, result = e2_pay_app()
    printed = money(period["published_g702"]["balance_to_finish_as_labelled"])

    # then line 9, "including retainage", is line 3 - line 6
    assert result.g702.balance_to_finish_including_retainage != printed
    assert result.g702.balance_to_finish_including_retainage == Decimal("145750.00")
    assert result.totals.balance_to_finish == printed  # Σ H (column H) is what they printed


# --- E8: small published scenarios ----------------------------------------------------------------


def test_e8_first_application_at_ten_percent_retainage() -> None:
    # given
    published = scenario("first application, 10% retainage")
    rate = Decimal(published["retainage_pct"])
    contract_sum = money(published["contract_sum"])
    work = work_this_period_from_percent(
        percent_complete=Decimal(published["pct_complete"]),
        scheduled_value=contract_sum,
        work_completed_previous=ZERO,
        rounding="half_up",
    )

    # when
    result = compute_pay_app(
        [
            LineInput(
                scheduled_value=contract_sum,
                work_completed_this_period=work,
                retainage_work_percent=rate,
                retainage_stored_percent=rate,
            )
        ],
        previous_certificates=money(published["previous"]),
        rounding="half_up",
    )

    # then
    assert work == money(published["completed"])
    assert result.g702.total_retainage == money(published["retainage"])
    assert result.g702.current_payment_due == money(published["payment"])


def test_e8_knowify_stored_materials_move_to_this_period_when_installed() -> None:
    # given no retainage; the scheduled value was not published, so take 1,000.00
    published = scenario("stored materials move F->E next period (3 invoices)")
    invoice_1, invoice_2, invoice_3 = published["periods"]
    no_retainage = Decimal("0")

    # when invoice 1 stores 50
    first = compute_pay_app(
        [
            LineInput(
                scheduled_value=Decimal("1000.00"),
                work_completed_this_period=money(invoice_1["work_this_period"]),
                materials_presently_stored=money(invoice_1["stored"]),
                retainage_work_percent=no_retainage,
                retainage_stored_percent=no_retainage,
            )
        ],
        previous_certificates=ZERO,
        rounding="half_up",
    )
    # and invoice 2 installs the 50 and does 100 of new work
    this_period = money(invoice_2["new_work"]) + money(invoice_2["installed_from_stored"])
    second = compute_pay_app(
        [
            replace(
                start_next_line(first.lines[0], move_stored_to_previous=False),
                work_completed_this_period=this_period,
                materials_presently_stored=money(invoice_2["stored"]),
            )
        ],
        previous_certificates=first.g702.total_earned_less_retainage,
        rounding="half_up",
    )
    third = start_next_line(second.lines[0], move_stored_to_previous=False)

    # then
    assert first.g702.current_payment_due == money(invoice_1["payment_due"])
    assert second.lines[0].work_completed_previous == ZERO  # the stored 50 was never in D
    assert second.lines[0].work_completed_this_period == Decimal("150.00")
    assert second.g702.current_payment_due == money(invoice_2["payment_due"])
    assert third.work_completed_previous == money(invoice_3["previously_billed"])
    assert third.materials_presently_stored == ZERO


def test_e8_procore_sliding_scale_caps_at_20000_and_releases_in_two_stages() -> None:
    # given 10% until 5% of the original 400,000.00 is held
    published = scenario("sliding-scale retention with cap and two-stage release")
    subcontract = money(published["subcontract"])
    rules = [
        RetainageRule(
            rate=Decimal(published["rate_pct"]),
            until="percent_of_original_value_held",
            limit=Decimal(published["cap_pct_of_original"]),
        )
    ]
    finished = LineInput(
        scheduled_value=subcontract,
        work_completed_this_period=subcontract,
        retainage_work_percent=Decimal("0"),
        retainage_stored_percent=Decimal("0"),
    )

    # when the job reaches 100% complete
    held = sliding_scale_held(
        rules=rules,
        total_completed_and_stored=subcontract,
        contract_sum_to_date=subcontract,
        original_contract_sum=subcontract,
        rounding="half_up",
    )
    completed = compute_pay_app(
        [finished], previous_certificates=ZERO, rounding="half_up", retainage_rules=rules
    )
    # and 2.5% of the subcontract (half of what is held) is released, then the rest
    first_release = release_retainage(
        held_by_line=[held],
        amount=money(published["release_at_100pct_complete"]),
        rounding="half_up",
    )
    second_release = release_retainage(
        held_by_line=[held - first_release[0]], percent=Decimal("100"), rounding="half_up"
    )

    # then
    assert held == money(published["cap_amount"])
    assert completed.g702.total_retainage == Decimal("20000.00")
    assert first_release == [Decimal("10000.00")]
    assert first_release == release_retainage(
        held_by_line=[held], percent=Decimal("50"), rounding="half_up"
    )
    assert second_release == [money(published["release_after_6_or_12_months"])]


def test_e8_procore_per_line_retainage_dollars_and_percent() -> None:
    # given the implied work this period (not published) of 25,000.00 and 12,500.00
    published = scenario("Procore per-line retainage $<->% conversions")
    implied = published["implied_not_published"]
    line_1, line_2 = (
        LineInput(
            scheduled_value=Decimal("100000.00"),
            work_completed_this_period=money(implied[name]),
            retainage_work_percent=Decimal(published["line2"]["pct"]),
            retainage_stored_percent=Decimal("0"),
        )
        for name in ("line1_work_this_period", "line2_work_this_period")
    )

    # when
    result = compute_pay_app([line_1, line_2], previous_certificates=ZERO, rounding="half_up")
    line_1_percent = percent_complete_of(
        amount=money(published["line1"]["work_retainage_this_period_usd"]),
        scheduled_value=money(implied["line1_work_this_period"]),
        rounding="half_up",
    )

    # then 1,250.00 of 25,000.00 is 5%, and 5% of 12,500.00 is 625.00
    assert line_1_percent == Decimal(published["line1"]["computed_pct"])
    assert result.lines[0].retainage_this_period == money(
        published["line1"]["work_retainage_this_period_usd"]
    )
    assert result.lines[1].retainage_this_period == money(published["line2"]["computed_usd"])


def test_e8_procore_set_then_release_all_retainage() -> None:
    # given invoice 1 holds 50.00 and 209.63 (10% of 500.00 and of 2,096.30)
    published = scenario("Procore set then release")
    first = compute_pay_app(
        [
            LineInput(
                scheduled_value=Decimal("1000.00"),
                work_completed_this_period=Decimal("500.00"),
                retainage_work_percent=Decimal("10"),
                retainage_stored_percent=Decimal("10"),
            ),
            LineInput(
                scheduled_value=Decimal("5000.00"),
                work_completed_this_period=Decimal("2096.30"),
                retainage_work_percent=Decimal("10"),
                retainage_stored_percent=Decimal("10"),
            ),
        ],
        previous_certificates=ZERO,
        rounding="half_up",
    )

    # when invoice 2 releases 100%
    released = release_retainage(
        held_by_line=[row.retainage_held for row in first.lines],
        percent=Decimal("100"),
        rounding="half_up",
    )
    second = compute_pay_app(
        [
            replace(
                start_next_line(row, move_stored_to_previous=False),
                retainage_released_this_period=amount,
            )
            for row, amount in zip(first.lines, released, strict=True)
        ],
        previous_certificates=first.g702.total_earned_less_retainage,
        rounding="half_up",
    )

    # then
    assert [row.retainage_held for row in first.lines] == [
        money(amount) for amount in published["invoice1_line_retainage"]
    ]
    assert first.g702.total_retainage == money(published["invoice1_total_retainage"])
    assert sum(released, ZERO) == money(published["invoice2_release"])
    assert second.g702.total_retainage == ZERO
    assert second.g702.current_payment_due == money(published["invoice2_release"])


@pytest.mark.parametrize("name", ["change orders roll into contract sum", "single CO"])
def test_e8_change_orders_roll_into_the_contract_sum(name: str) -> None:
    # given
    published = scenario(name)
    lines = [
        LineInput(
            scheduled_value=money(published["original"]),
            retainage_work_percent=Decimal("10"),
            retainage_stored_percent=Decimal("10"),
        ),
        *(
            LineInput(
                scheduled_value=money(amount),
                retainage_work_percent=Decimal("10"),
                retainage_stored_percent=Decimal("10"),
                is_change_order=True,
                change_order_number=f"CO-{number}",
            )
            for number, amount in enumerate(published["cos"], start=1)
        ),
    ]

    # when
    g702 = compute_pay_app(lines, previous_certificates=ZERO, rounding="half_up").g702

    # then
    assert g702.original_contract_sum == money(published["original"])
    assert g702.net_change_by_change_orders == sum(
        (money(amount) for amount in published["cos"]), ZERO
    )
    assert g702.co_additions_this_period == g702.net_change_by_change_orders
    assert g702.contract_sum_to_date == money(published["contract_sum"])
