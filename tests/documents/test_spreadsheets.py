"""CSV and XLSX exports read back (csv module, openpyxl): every amount is the pay app's figure
to the cent, the GRAND TOTAL ties to the rows and to the G702, and no text runs as a formula."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import openpyxl
import pytest

from sitebill.billing.selectors import pay_app_list, pay_app_list_rows
from sitebill.documents.spreadsheets import (
    G703_HEADER,
    LIST_HEADER,
    MONEY_FORMAT,
    g703_rows,
    pay_app_csv,
    pay_app_list_csv,
    pay_app_list_xlsx,
    pay_app_xlsx,
)
from sitebill.web.views.pay_app_lists import project_pay_apps
from tests.documents.conftest import big_commitment, bill, figures_of, submit

CENT = Decimal("0.01")
MONEY_COLUMNS = (3, 4, 5, 6, 7, 9, 10)  # C, D, E, F, G, H, I
PERCENT_COLUMN = 8


def expected_rows(figures) -> list[list[Decimal]]:
    """Each G703 row's C, D, E, F, G, %, H, I as the selectors computed them."""
    return [
        [
            row.result.scheduled_value,
            row.result.work_completed_previous,
            row.result.work_completed_this_period,
            row.result.materials_presently_stored,
            row.result.total_completed_and_stored,
            row.result.percent_complete,
            row.result.balance_to_finish,
            row.result.retainage_held,
        ]
        for row in figures.rows
    ]


def expected_totals(figures) -> list[Decimal]:
    t = figures.totals
    return [
        t.scheduled_value,
        t.work_completed_previous,
        t.work_completed_this_period,
        t.materials_presently_stored,
        t.total_completed_and_stored,
        t.percent_complete,
        t.balance_to_finish,
        t.retainage_held,
    ]


def cent(value) -> Decimal:
    """A number read back from a workbook, as the Decimal it stands for (to the cent)."""
    assert isinstance(value, (int, float)), value
    return Decimal(repr(value)).quantize(CENT)


def test_g703_rows_are_strings_and_decimals_never_floats(world, approved):
    rows = g703_rows(figures_of(approved))
    assert rows[0] == list(G703_HEADER)
    assert all(isinstance(value, (str, Decimal)) for row in rows for value in row)


def test_the_csv_has_every_amount_to_the_cent_and_the_totals_tie(world, approved):
    # given
    figures = figures_of(approved)
    # when
    rows = list(csv.reader(io.StringIO(pay_app_csv(figures))))
    # then
    assert rows[0] == list(G703_HEADER)
    body, total = rows[1:-1], rows[-1]
    assert [row[0] for row in body] == ["1", "2", "3"]
    assert body[1][3:11] == [
        "30000.00",
        "0.00",
        "3000.00",
        "2000.00",
        "5000.00",
        "16.67",
        "25000.00",
        "500.00",
    ]
    amounts = [
        [Decimal(row[c]) for c in (*MONEY_COLUMNS[:5], 8, *MONEY_COLUMNS[5:])] for row in body
    ]
    assert amounts == expected_rows(figures)
    assert total[1] == "GRAND TOTAL"
    totals = [Decimal(total[c]) for c in (*MONEY_COLUMNS[:5], 8, *MONEY_COLUMNS[5:])]
    assert totals == expected_totals(figures)
    # and the totals tie: each money column's total is the sum of its rows, G is line 4
    for column in MONEY_COLUMNS:
        assert sum(Decimal(row[column]) for row in body) == Decimal(total[column])
    assert (
        Decimal(total[7]) == figures.g702.total_completed_and_stored_to_date == Decimal("15000.00")
    )


def test_the_xlsx_holds_numbers_equal_to_the_figures_to_the_cent(world, approved):
    # given
    figures = figures_of(approved)
    # when
    book = openpyxl.load_workbook(io.BytesIO(pay_app_xlsx(figures)))
    # then
    sheet = book["G703"]
    rows = list(sheet.iter_rows(values_only=True))
    assert list(rows[0]) == list(G703_HEADER)
    body, total = rows[1:-1], rows[-1]
    picked = (*MONEY_COLUMNS[:5], PERCENT_COLUMN, *MONEY_COLUMNS[5:])
    assert [[cent(row[c]) for c in picked] for row in body] == expected_rows(figures)
    assert total[1] == "GRAND TOTAL"
    assert [cent(total[c]) for c in picked] == expected_totals(figures)
    for column in MONEY_COLUMNS:
        assert sum(cent(row[column]) for row in body) == cent(total[column])


def test_the_xlsx_is_formatted_for_people(world, approved):
    book = openpyxl.load_workbook(io.BytesIO(pay_app_xlsx(figures_of(approved))))
    sheet = book["G703"]
    assert sheet.freeze_panes == "A2"
    assert all(cell.font.bold for cell in sheet[1])
    assert sheet["D2"].number_format == MONEY_FORMAT
    assert sheet["I2"].number_format == '0.00"%"'
    assert sheet.column_dimensions["B"].width == 48
    assert sheet.max_row == 5  # header, three lines, GRAND TOTAL


def test_the_xlsx_carries_the_g702(world, approved):
    book = openpyxl.load_workbook(io.BytesIO(pay_app_xlsx(figures_of(approved))))
    lines = {
        label: cent(value) for label, value in book["G702"].iter_rows(min_row=2, values_only=True)
    }
    assert lines["3. Contract sum to date (line 1 ± 2)"] == Decimal("100000.00")
    assert lines["5. Total retainage"] == Decimal("1500.00")
    assert lines["8. Current payment due"] == Decimal("13500.00")


@pytest.mark.parametrize("typed", ['=HYPERLINK("http://x.example","pay")', "+1+2", "@SUM(A1)"])
def test_text_never_runs_as_a_formula(world, typed):
    # given: a description a spreadsheet would read as a formula
    line = world.commitment.lines.order_by("position").first()
    line.description = typed
    line.save(update_fields=["description"])
    figures = figures_of(bill(world, work={0: "100.00"}))
    # when
    csv_rows = list(csv.reader(io.StringIO(pay_app_csv(figures))))
    sheet = openpyxl.load_workbook(io.BytesIO(pay_app_xlsx(figures)))["G703"]
    # then
    assert csv_rows[1][1] == "'" + typed
    assert sheet["B2"].value == typed
    assert sheet["B2"].data_type == "s"


def test_negative_amounts_stay_negative(world):
    # given: a deductive change order line of -1,000.00
    from tests import factories

    change_order = factories.ChangeOrderFactory(contract=world.commitment, number="002")
    factories.ChangeOrderLineFactory(change_order=change_order, amount=Decimal("-1000.00"))
    figures = figures_of(bill(world, work={0: "100.00"}))
    # when
    csv_rows = list(csv.reader(io.StringIO(pay_app_csv(figures))))
    sheet = openpyxl.load_workbook(io.BytesIO(pay_app_xlsx(figures)))["G703"]
    # then
    assert csv_rows[4][3] == "-1000.00"
    assert cent(sheet["D5"].value) == Decimal("-1000.00")


def test_a_500_line_export_ties_to_the_cent(world):
    # given
    contract = big_commitment(world, 500)
    figures = figures_of(bill(world, contract, work={n: f"{n}.{n % 100:02d}" for n in range(500)}))
    # when
    csv_rows = list(csv.reader(io.StringIO(pay_app_csv(figures))))
    sheet_rows = list(
        openpyxl.load_workbook(io.BytesIO(pay_app_xlsx(figures)), read_only=True)["G703"].iter_rows(
            values_only=True
        )
    )
    # then
    assert len(csv_rows) == len(sheet_rows) == 502
    picked = (*MONEY_COLUMNS[:5], PERCENT_COLUMN, *MONEY_COLUMNS[5:])
    assert [[Decimal(row[c]) for c in picked] for row in csv_rows[1:-1]] == expected_rows(figures)
    assert [[cent(row[c]) for c in picked] for row in sheet_rows[1:-1]] == expected_rows(figures)
    assert [cent(sheet_rows[-1][c]) for c in picked] == expected_totals(figures)
    assert (
        sum(Decimal(row[5]) for row in csv_rows[1:-1]) == figures.totals.work_completed_this_period
    )


# --- The pay app list ------------------------------------------------------------------------


@pytest.fixture
def listed(world):
    concrete = bill(world, work={0: "10000.00"})
    electrical = submit(world, bill(world, world.other_commitment, work={0: "4000.00"}))
    return concrete, electrical


def list_rows(world, user, **filters):
    return pay_app_list_rows(
        pay_app_list(project_pay_apps(user=user, project=world.project), **filters)
    )


def test_the_list_csv_has_one_row_per_pay_app_with_its_figures(world, listed):
    rows = list(csv.reader(io.StringIO(pay_app_list_csv(list_rows(world, world.admin)))))
    assert rows[0] == list(LIST_HEADER)
    by_commitment = {row[0]: row for row in rows[1:]}
    assert by_commitment["SC-001"][1:5] == ["Concrete", "Acme Concrete", "1", "Period 1"]
    assert by_commitment["SC-001"][6:] == ["Draft", "", "10000.00", "9000.00"]
    assert by_commitment["SC-002"][6] == "Under Review"
    assert by_commitment["SC-002"][8:] == ["4000.00", "3600.00"]


def test_the_list_xlsx_has_the_same_rows(world, listed):
    rows = list_rows(world, world.admin, status="under_review")
    sheet = openpyxl.load_workbook(io.BytesIO(pay_app_list_xlsx(rows)))["Pay Apps"]
    values = list(sheet.iter_rows(values_only=True))
    assert list(values[0]) == list(LIST_HEADER)
    assert len(values) == 2
    assert values[1][0] == "SC-002"
    assert [cent(values[1][8]), cent(values[1][9])] == [Decimal("4000.00"), Decimal("3600.00")]
    assert sheet["I2"].number_format == MONEY_FORMAT
    assert sheet.freeze_panes == "A2"
