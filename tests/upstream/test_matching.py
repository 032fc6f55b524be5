"""Matching sub lines to client lines by cost code (pure: no database)."""

from __future__ import annotations

from decimal import Decimal

from sitebill.billing.models import PayApp, PayAppLine
from sitebill.contracts.models import Contract
from sitebill.upstream.selectors import (
    ClientLine,
    Contribution,
    client_line_for,
    code_index,
    match_lines,
)

D = Decimal


def client_lines(*codes: str) -> list[ClientLine]:
    return [
        ClientLine(position=i, item_number=str(i + 1), description=f"Line {i + 1}", cost_code=code)
        for i, code in enumerate(codes)
    ]


def taker(code: str, *client_codes: str) -> str | None:
    """The client code that takes a sub line coded `code`."""
    lines = client_lines(*client_codes)
    position = client_line_for(code, code_index(lines))
    return None if position is None else lines[position].cost_code


def contribution(code: str, work: str, stored: str = "0.00", *, number: int = 1) -> Contribution:
    source = PayApp(pk=number, number=number, contract=Contract(number=f"SC-{number:03d}"))
    return Contribution(
        source=source,
        line=PayAppLine(cost_code=code, item_number="1", description="Sub line"),
        work_completed_this_period=D(work),
        materials_presently_stored=D(stored),
        retainage_this_period=D("0.00"),
        retainage_held=D("0.00"),
        retainage_released_this_period=D("0.00"),
    )


def test_a_division_code_takes_the_codes_that_start_with_it():
    assert taker("03-300", "03", "26") == "03"
    assert taker("03", "03", "26") == "03"
    assert taker("26-100", "03", "26") == "26"


def test_the_longest_matching_client_code_wins():
    assert taker("03-300", "03", "03-3") == "03-3"
    assert taker("03-300", "03-3", "03") == "03-3"
    assert taker("03-400", "03", "03-3") == "03"
    assert taker("03-300", "03", "03-3", "03-300") == "03-300"


def test_a_code_matches_only_from_its_start():
    assert taker("03-300", "3", "300") is None
    assert taker("103-300", "03") is None


def test_codes_are_compared_without_spaces_and_case():
    assert taker(" 03-300a ", "03-300A") == "03-300A"
    assert taker("div-03", " DIV ") == " DIV "


def test_an_empty_code_matches_nothing():
    assert taker("03-300", "") is None
    assert taker("", "03", "") is None


def test_between_client_lines_with_the_same_code_the_first_takes_it():
    # given
    lines = client_lines("03", "26", "03")
    # when
    plan = match_lines(lines, [], [contribution("03-300", "100.00")])
    # then
    assert [len(line.contributions) for line in plan.lines] == [1, 0, 0]


def test_the_plan_sums_each_client_line_and_lists_what_nothing_takes():
    # given
    lines = client_lines("03", "03-4", "26")
    sub_lines = [
        contribution("03-300", "10000.00", number=1),
        contribution("03-350", "3000.00", "2000.00", number=1),
        contribution("03-400", "4000.00", number=1),
        contribution("03-300", "5000.00", number=2),
        contribution("26-100", "7000.00", number=3),
        contribution("31-200", "1500.00", number=3),
        contribution("09-900", "0.00", number=3),  # nothing this period: left out
    ]
    # when
    plan = match_lines(lines, [], sub_lines)
    # then
    assert [
        (line.client.cost_code, line.work_completed_this_period, line.materials_presently_stored)
        for line in plan.lines
    ] == [
        ("03", D("18000.00"), D("2000.00")),
        ("03-4", D("4000.00"), D("0")),
        ("26", D("7000.00"), D("0")),
    ]
    assert [(c.line.cost_code, c.work_completed_this_period) for c in plan.unmatched] == [
        ("31-200", D("1500.00"))
    ]
    assert plan.unmatched_work_completed_this_period == D("1500.00")
    # and every sub line with amounts is counted exactly once
    counted = sum((line.work_completed_this_period for line in plan.lines), D("0"))
    assert counted + plan.unmatched_work_completed_this_period == sum(
        (c.work_completed_this_period for c in sub_lines), D("0")
    )
