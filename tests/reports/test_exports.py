"""The dashboard's CSV and XLSX: the page's rows and totals, Decimal amounts, safe text."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import openpyxl

from sitebill.reports.exports import (
    HEADER,
    PERIOD_HEADER,
    dashboard_csv,
    dashboard_download,
    dashboard_rows,
    dashboard_xlsx,
)
from sitebill.reports.selectors import project_dashboard
from tests.reports.scene import build

D = Decimal
CENT = D("0.01")

SC_001 = ["Payable", "SC-001", "Concrete", "Acme Concrete", "Subcontract", "Approved"]
SC_002 = ["Payable", "SC-002", "Electrical", "Bolt Electric", "Subcontract", "Approved"]
PC_001 = ["Receivable", "PC-001", "Prime contract", "Harbor Health", "Client Contract", "Approved"]


def cent(value) -> Decimal:
    """A number read back from a workbook, as the cents it holds."""
    assert isinstance(value, (int, float)), value
    return Decimal(repr(value)).quantize(CENT)


def test_the_rows_are_the_pages_rows_with_both_totals(world):
    # given
    build(world)
    dashboard = project_dashboard(user=world.admin, project=world.project)
    # when
    rows = dashboard_rows(dashboard)
    # then
    assert rows == [
        list(HEADER),
        [*SC_001, D("105000.00"), D("27000.00"), 2, "Approved", D("27000.00"), D("2700.00"),
         D("10000.00"), D("78000.00")],
        [*SC_002, D("40000.00"), D("5000.00"), 2, "Draft", D("4000.00"), D("400.00"),
         D("0.00"), D("35000.00")],
        ["Payable", "Commitments total", "", "", "", "", D("145000.00"), D("32000.00"), "", "",
         D("31000.00"), D("3100.00"), D("10000.00"), D("113000.00")],
        [*PC_001, D("100000.00"), D("20000.00"), 1, "Approved", D("20000.00"), D("2000.00"),
         D("18000.00"), D("80000.00")],
        ["Receivable", "Client contracts total", "", "", "", "", D("100000.00"), D("20000.00"),
         "", "", D("20000.00"), D("2000.00"), D("18000.00"), D("80000.00")],
    ]  # fmt: skip


def test_the_csv_writes_amounts_as_plain_decimals(world):
    # given
    build(world)
    dashboard = project_dashboard(user=world.admin, project=world.project)
    # when
    rows = list(csv.reader(io.StringIO(dashboard_csv(dashboard))))
    # then
    assert rows[0] == list(HEADER)
    assert rows[1][6:] == [
        "105000.00", "27000.00", "2", "Approved", "27000.00", "2700.00", "10000.00", "78000.00"
    ]  # fmt: skip
    assert rows[3][1] == "Commitments total"


def test_text_that_would_run_as_a_formula_stays_text(world):
    # given
    world.commitment.title = '=HYPERLINK("http://evil.example")'
    world.commitment.save(update_fields=["title"])
    dashboard = project_dashboard(user=world.admin, project=world.project)
    # when
    csv_rows = list(csv.reader(io.StringIO(dashboard_csv(dashboard))))
    sheet = openpyxl.load_workbook(io.BytesIO(dashboard_xlsx(dashboard)))["Dashboard"]
    # then
    assert csv_rows[1][2] == '\'=HYPERLINK("http://evil.example")'
    assert sheet["C2"].data_type == "s"
    assert sheet["C2"].value == '=HYPERLINK("http://evil.example")'


def test_the_workbook_has_the_rows_as_numbers_and_the_chart_figures(world):
    # given
    build(world)
    dashboard = project_dashboard(user=world.admin, project=world.project)
    # when
    book = openpyxl.load_workbook(io.BytesIO(dashboard_xlsx(dashboard)))
    # then
    assert book.sheetnames == ["Dashboard", "Billed by Period"]
    rows = list(book["Dashboard"].iter_rows(values_only=True))
    assert list(rows[0]) == list(HEADER)
    assert [cent(v) for v in rows[3][6:8]] == [D("145000.00"), D("32000.00")]
    assert book["Dashboard"]["G2"].number_format == "#,##0.00"
    assert book["Dashboard"]["B4"].font.bold
    periods = list(book["Billed by Period"].iter_rows(values_only=True))
    assert list(periods[0]) == list(PERIOD_HEADER)
    assert [(p[0], p[1], p[2], cent(p[3]), cent(p[4])) for p in periods[1:]] == [
        (1, "2026-11-01", "2026-11-30", D("19000.00"), D("20000.00")),
        (2, "2026-12-01", "2026-12-31", D("31000.00"), D("20000.00")),
    ]


def test_without_a_client_contract_there_is_no_client_section(world):
    # when
    rows = dashboard_rows(project_dashboard(user=world.admin, project=world.project))
    # then
    assert [row[1] for row in rows[1:]] == ["SC-001", "SC-002", "Commitments total"]


def test_downloads_are_named_after_the_project(world):
    # given
    world.project.number = "P 2026/01"
    world.project.save(update_fields=["number"])
    dashboard = project_dashboard(user=world.admin, project=world.project)
    # then
    assert [
        (d.filename, d.content_type)
        for d in (dashboard_download(dashboard, fmt) for fmt in ("csv", "xlsx", "svg"))
    ] == [
        ("p-202601-dashboard.csv", "text/csv; charset=utf-8"),
        (
            "p-202601-dashboard.xlsx",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ),
        ("p-202601-dashboard.svg", "image/svg+xml"),
    ]
