"""CSV and XLSX exports: a pay app's G703 rows, and a project's pay app list (DOMAIN.md §6).

Pure functions of selector output. Invariants:
- Amounts are the `Decimal`s the selectors computed, never floats: CSV writes `str(Decimal)`
  ("1250.00", "-300.00"); XLSX cells are given the `Decimal` and a `#,##0.00` number format
  (openpyxl writes its digits; Excel reads a number, exact to the cent for any amount the
  database can hold).
- A G703 export is the header row, one row per line in G703 order, then the GRAND TOTAL row,
  whose amounts are the selector's totals (the sums of the rounded rows, so they tie).
- Text that a spreadsheet would run as a formula (starting with = + - @, a tab or a carriage
  return) is written so it stays text: in CSV with a leading apostrophe (OWASP "CSV
  injection"), in XLSX as a string cell. Numbers are never touched.
- XLSX workbooks are written in openpyxl's write-only mode, row by row, so a 2,000-line export
  never holds a cell model of the whole sheet in memory.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from sitebill.billing.selectors import Figures, PayAppListRow

MONEY_FORMAT = "#,##0.00"
PERCENT_FORMAT = '0.00"%"'

G703_HEADER = (
    "Item No. (A)",
    "Description of Work (B)",
    "Cost Code",
    "Scheduled Value (C)",
    "Work Completed From Previous Application (D)",
    "Work Completed This Period (E)",
    "Materials Presently Stored (F)",
    "Total Completed and Stored to Date (G)",
    "% (G / C)",
    "Balance to Finish (H)",
    "Retainage (I)",
    "Review",
    "Review Reason",
)
G703_TEXT_COLUMNS = (0, 1, 2, 11, 12)
G703_PERCENT_COLUMN = 8
G703_WIDTHS = (10, 48, 12, 16, 18, 16, 16, 18, 10, 16, 14, 12, 40)
GRAND_TOTAL = "GRAND TOTAL"

LIST_HEADER = (
    "Commitment",
    "Title",
    "Vendor",
    "Pay App #",
    "Period",
    "Period End",
    "Status",
    "Submitted",
    "Work This Period",
    "Current Payment Due",
)
LIST_TEXT_COLUMNS = (0, 1, 2, 4, 5, 6, 7)
LIST_WIDTHS = (14, 32, 28, 10, 10, 14, 24, 14, 18, 20)

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


# --- G703 rows --------------------------------------------------------------------------------


def g703_rows(figures: Figures) -> list[list[Any]]:
    """Header, one row per G703 line, GRAND TOTAL: strings and `Decimal`s, never floats."""
    rows: list[list[Any]] = [list(G703_HEADER)]
    for row in figures.rows:
        line, result = row.line, row.result
        rows.append(
            [
                line.item_number,
                line.description,
                line.cost_code,
                result.scheduled_value,
                result.work_completed_previous,
                result.work_completed_this_period,
                result.materials_presently_stored,
                result.total_completed_and_stored,
                result.percent_complete,
                result.balance_to_finish,
                result.retainage_held,
                line.get_review_status_display(),
                line.review_reason,
            ]
        )
    totals = figures.totals
    rows.append(
        [
            "",
            GRAND_TOTAL,
            "",
            totals.scheduled_value,
            totals.work_completed_previous,
            totals.work_completed_this_period,
            totals.materials_presently_stored,
            totals.total_completed_and_stored,
            totals.percent_complete,
            totals.balance_to_finish,
            totals.retainage_held,
            "",
            "",
        ]
    )
    return rows


def pay_app_csv(figures: Figures) -> str:
    """The G703 rows as CSV (RFC 4180, CRLF line ends)."""
    return _csv(g703_rows(figures))


def pay_app_xlsx(figures: Figures) -> bytes:
    """A workbook with the G703 sheet (header, lines, GRAND TOTAL) and the G702 summary."""
    workbook = Workbook(write_only=True)
    g703 = _sheet(workbook, "G703", G703_WIDTHS)
    rows = g703_rows(figures)
    for index, values in enumerate(rows):
        if index == 0:
            g703.append(_header_cells(g703, values))
            continue
        g703.append(
            _cells(g703, values, percent_column=G703_PERCENT_COLUMN, bold=index == len(rows) - 1)
        )
    g702_sheet = _sheet(workbook, "G702", (70, 18))
    g702_sheet.append(_header_cells(g702_sheet, ["Application and Certificate for Payment", ""]))
    for label, amount in g702_lines(figures):
        g702_sheet.append(_cells(g702_sheet, [label, amount]))
    return _saved(workbook)


def g702_lines(figures: Figures) -> list[tuple[str, Decimal]]:
    """G702 lines 1-9 and the change order summary, as (label, amount)."""
    g702 = figures.g702
    return [
        ("1. Original contract sum", g702.original_contract_sum),
        ("2. Net change by change orders", g702.net_change_by_change_orders),
        ("3. Contract sum to date (line 1 ± 2)", g702.contract_sum_to_date),
        ("4. Total completed & stored to date (column G)", g702.total_completed_and_stored_to_date),
        ("5a. Retainage on completed work (columns D + E)", g702.retainage_on_completed_work),
        ("5b. Retainage on stored material (column F)", g702.retainage_on_stored_materials),
        ("5. Total retainage", g702.total_retainage),
        ("6. Total earned less retainage (line 4 less line 5)", g702.total_earned_less_retainage),
        ("7. Less previous certificates for payment", g702.less_previous_certificates),
        ("8. Current payment due", g702.current_payment_due),
        (
            "9. Balance to finish, including retainage (line 3 less line 6)",
            g702.balance_to_finish_including_retainage,
        ),
        ("Change orders: additions approved in previous months", g702.co_additions_previous),
        ("Change orders: deductions approved in previous months", g702.co_deductions_previous),
        ("Change orders: additions approved this month", g702.co_additions_this_period),
        ("Change orders: deductions approved this month", g702.co_deductions_this_period),
    ]


# --- The pay app list ---------------------------------------------------------------------------


def pay_app_list_rows(rows: Iterable[PayAppListRow]) -> list[list[Any]]:
    """Header and one row per pay app, as the list page shows them."""
    out: list[list[Any]] = [list(LIST_HEADER)]
    for row in rows:
        pay_app = row.pay_app
        contract = pay_app.contract
        period = pay_app.billing_period
        out.append(
            [
                contract.number,
                contract.title,
                contract.counterparty.name,
                pay_app.number,
                f"Period {period.number}",
                period.end_date.isoformat(),
                pay_app.get_status_display(),
                pay_app.submitted_at.date().isoformat() if pay_app.submitted_at else "",
                row.work_this_period,
                row.current_payment_due,
            ]
        )
    return out


def pay_app_list_csv(rows: Iterable[PayAppListRow]) -> str:
    return _csv(pay_app_list_rows(rows))


def pay_app_list_xlsx(rows: Iterable[PayAppListRow]) -> bytes:
    workbook = Workbook(write_only=True)
    sheet = _sheet(workbook, "Pay Apps", LIST_WIDTHS)
    for index, values in enumerate(pay_app_list_rows(rows)):
        sheet.append(_header_cells(sheet, values) if index == 0 else _cells(sheet, values))
    return _saved(workbook)


# --- Writing ------------------------------------------------------------------------------------


def safe_text(value: str) -> str:
    """Text a spreadsheet will not run as a formula: a leading apostrophe when it would."""
    return f"'{value}" if value.startswith(_FORMULA_STARTS) else value


def _csv(rows: Sequence[Sequence[Any]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for row in rows:
        writer.writerow(
            [safe_text(value) if isinstance(value, str) else _plain(value) for value in row]
        )
    return buffer.getvalue()


def _plain(value: Any) -> Any:
    if isinstance(value, float):  # a float here is a bug upstream: refuse to print it
        raise TypeError("an exported amount must be a Decimal, not a float")
    return value


def _sheet(workbook: Workbook, title: str, widths: Sequence[int]) -> WriteOnlyWorksheet:
    sheet = workbook.create_sheet(title)
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "A2"
    return sheet


_BOLD = Font(bold=True)
_WRAP = Alignment(wrap_text=True, vertical="top")


def _header_cells(sheet: WriteOnlyWorksheet, values: Sequence[Any]) -> list[WriteOnlyCell]:
    cells = []
    for value in values:
        cell = WriteOnlyCell(sheet, value=value)
        cell.font = _BOLD
        cell.alignment = _WRAP
        cells.append(cell)
    return cells


def _cells(
    sheet: WriteOnlyWorksheet,
    values: Sequence[Any],
    *,
    percent_column: int | None = None,
    bold: bool = False,
) -> list[WriteOnlyCell]:
    cells = []
    for column, value in enumerate(values):
        cell = WriteOnlyCell(sheet, value=_plain(value))
        if isinstance(value, str):
            cell.data_type = "s"  # never a formula, whatever the text starts with
        elif isinstance(value, Decimal):
            cell.number_format = PERCENT_FORMAT if column == percent_column else MONEY_FORMAT
        if bold:
            cell.font = _BOLD
        cells.append(cell)
    return cells


def _saved(workbook: Workbook) -> bytes:
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
