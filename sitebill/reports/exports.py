"""The dashboard's downloads: its rows as CSV and XLSX, its chart as an SVG file.

Pure functions of the selector's `Dashboard`. The same rules as the pay app exports
(`sitebill.documents.spreadsheets`): amounts are the selector's `Decimal`s, written as "1250.00"
in CSV and as numbers formatted `#,##0.00` in XLSX, never floats; text that a spreadsheet would
run as a formula is kept text (`safe_text`, and string cells in XLSX).

Rows, in the page's order: one per commitment, "Commitments total", then one per client
contract and "Client contracts total" (when there is a client contract). The XLSX has a second
sheet, "Billed by Period", with the chart's figures.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django.utils.text import slugify
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from sitebill.documents import CONTENT_TYPES, Download
from sitebill.documents.spreadsheets import MONEY_FORMAT, safe_text
from sitebill.reports.selectors import ContractFigures, Dashboard, Totals
from sitebill.reports.svg import as_document, billed_chart

HEADER = (
    "Side",
    "Number",
    "Title",
    "Vendor / Client",
    "Kind",
    "Status",
    "Contract Value",
    "Billed to Date",
    "Latest Pay App",
    "Latest Pay App Status",
    "Approved to Date",
    "Retainage Held",
    "Paid",
    "Balance to Finish",
)
WIDTHS = (12, 12, 32, 28, 16, 14, 18, 18, 10, 22, 18, 16, 16, 18)
PERIOD_HEADER = (
    "Period",
    "Start",
    "End",
    "Commitments Billed to Date (approved)",
    "Client Billed to Date (approved)",
)
PERIOD_WIDTHS = (10, 12, 12, 22, 22)
COMMITMENTS_TOTAL = "Commitments total"
CLIENT_TOTAL = "Client contracts total"

SVG_CONTENT_TYPE = "image/svg+xml"


def dashboard_rows(dashboard: Dashboard) -> list[list[Any]]:
    """Header, the commitment rows, their total, the client rows, their total."""
    rows: list[list[Any]] = [list(HEADER)]
    rows += [_row("Payable", figures) for figures in dashboard.commitments]
    rows.append(_total_row("Payable", COMMITMENTS_TOTAL, dashboard.commitments_total))
    if dashboard.client_contracts:
        rows += [_row("Receivable", figures) for figures in dashboard.client_contracts]
        rows.append(_total_row("Receivable", CLIENT_TOTAL, dashboard.client_total))
    return rows


def period_rows(dashboard: Dashboard) -> list[list[Any]]:
    rows: list[list[Any]] = [list(PERIOD_HEADER)]
    for point in dashboard.periods:
        period = point.period
        rows.append(
            [
                period.number,
                period.start_date.isoformat(),
                period.end_date.isoformat(),
                point.commitments,
                point.client if dashboard.client_contracts else "",
            ]
        )
    return rows


def dashboard_csv(dashboard: Dashboard) -> str:
    """The rows as CSV (RFC 4180, CRLF line ends)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for row in dashboard_rows(dashboard):
        writer.writerow([safe_text(v) if isinstance(v, str) else _plain(v) for v in row])
    return buffer.getvalue()


def dashboard_xlsx(dashboard: Dashboard) -> bytes:
    """Sheet "Dashboard" (the rows, totals in bold) and sheet "Billed by Period"."""
    workbook = Workbook(write_only=True)
    sheet = _sheet(workbook, "Dashboard", WIDTHS)
    for index, values in enumerate(dashboard_rows(dashboard)):
        total = values[1] in (COMMITMENTS_TOTAL, CLIENT_TOTAL)
        sheet.append(_cells(sheet, values, bold=index == 0 or total, wrap=index == 0))
    periods = _sheet(workbook, "Billed by Period", PERIOD_WIDTHS)
    for index, values in enumerate(period_rows(dashboard)):
        periods.append(_cells(periods, values, bold=index == 0, wrap=index == 0))
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def dashboard_download(dashboard: Dashboard, fmt: str) -> Download:
    """`<project number>-dashboard.csv|xlsx|svg`, what the page and the API serve."""
    content: bytes
    if fmt == "csv":
        content, content_type = dashboard_csv(dashboard).encode("utf-8"), CONTENT_TYPES["csv"]
    elif fmt == "xlsx":
        content, content_type = dashboard_xlsx(dashboard), CONTENT_TYPES["xlsx"]
    elif fmt == "svg":
        chart = billed_chart(dashboard, heading=f"{dashboard.project.name}: billed to date")
        content, content_type = as_document(chart), SVG_CONTENT_TYPE
    else:
        raise ValueError(f"unknown dashboard format {fmt!r}")
    stem = slugify(dashboard.project.number)
    filename = f"{stem}-dashboard.{fmt}" if stem else f"dashboard.{fmt}"
    return Download(content=content, content_type=content_type, filename=filename)


def _row(side: str, figures: ContractFigures) -> list[Any]:
    contract = figures.contract
    latest = figures.latest_pay_app
    return [
        side,
        contract.number,
        contract.title,
        contract.counterparty.name,
        contract.get_kind_display(),
        contract.get_status_display(),
        figures.contract_value,
        figures.billed_to_date,
        latest.number if latest else "",
        latest.get_status_display() if latest else "",
        figures.approved_to_date,
        figures.retainage_held,
        figures.paid,
        figures.balance_to_finish,
    ]


def _total_row(side: str, label: str, totals: Totals) -> list[Any]:
    return [
        side,
        label,
        "",
        "",
        "",
        "",
        totals.contract_value,
        totals.billed_to_date,
        "",
        "",
        totals.approved_to_date,
        totals.retainage_held,
        totals.paid,
        totals.balance_to_finish,
    ]


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


def _cells(
    sheet: WriteOnlyWorksheet, values: Sequence[Any], *, bold: bool, wrap: bool
) -> list[WriteOnlyCell]:
    cells = []
    for value in values:
        cell = WriteOnlyCell(sheet, value=_plain(value))
        if isinstance(value, str):
            cell.data_type = "s"  # never a formula, whatever the text starts with
        elif isinstance(value, Decimal):
            cell.number_format = MONEY_FORMAT
        if bold:
            cell.font = _BOLD
        if wrap:
            cell.alignment = _WRAP
        cells.append(cell)
    return cells
