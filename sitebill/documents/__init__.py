"""Pay app documents: the G702/G703 PDF (`pdf`) and the CSV/XLSX exports (`spreadsheets`).

Renderers are pure functions of selector output (`sitebill.billing.selectors.Figures` and the
pay app list's rows): they compute no money (every figure comes from
`sitebill.billing.calculations` through the selectors), write nothing, and read nothing but the
objects handed to them (the PDF follows one foreign key more: the project's contractor).
Amounts are printed as on the AIA forms, "1,250.00" and "(1,250.00)" when negative; spreadsheet
cells hold the `Decimal` itself, never a float built by us.

Shared here: how an amount, a percentage and a date are written, the download file names
(DOMAIN.md §6: `<project>-<commitment>-pay-app-<n>.pdf`), and `pay_app_download` /
`pay_app_list_download`, which the page and API views both serve (`Download.as_attachment`):
one place decides a document's bytes, content type and file name.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.http import HttpResponse
from django.utils.http import content_disposition_header
from django.utils.text import slugify


def money_text(value: Decimal) -> str:
    """ "1,250.00", negatives in parentheses "(1,250.00)", as accountants print them."""
    if not isinstance(value, Decimal):
        raise TypeError(f"an amount must be a Decimal, not {type(value).__name__}")
    text = f"{abs(value):,.2f}"
    return f"({text})" if value < 0 else text


def percent_text(value: Decimal) -> str:
    """ "45.00%": a G703 percent complete, or a retainage rate (up to four places kept)."""
    if not isinstance(value, Decimal):
        raise TypeError(f"a percentage must be a Decimal, not {type(value).__name__}")
    exponent = value.normalize().as_tuple().exponent
    places = min(4, max(2, -exponent)) if isinstance(exponent, int) else 2
    return f"{value:,.{places}f}%"


def date_text(value: dt.date | None) -> str:
    """ "Nov 30, 2026"; "" for no date."""
    return f"{value:%b} {value.day}, {value.year}" if value else ""


def document_filename(*, project: Any, contract: Any, number: int, extension: str) -> str:
    """`<project number>-<commitment number>-pay-app-<n>.<extension>`, slugified."""
    stem = "-".join(part for part in (slugify(project.number), slugify(contract.number)) if part)
    return f"{stem}-pay-app-{number}.{extension}" if stem else f"pay-app-{number}.{extension}"


def list_filename(*, project: Any, extension: str) -> str:
    """`<project number>-pay-apps.<extension>`, slugified."""
    stem = slugify(project.number)
    return f"{stem}-pay-apps.{extension}" if stem else f"pay-apps.{extension}"


# --- Downloads (what the page and the API views serve) ----------------------------------------

CONTENT_TYPES = {
    "pdf": "application/pdf",
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


@dataclass(frozen=True)
class Download:
    content: bytes
    content_type: str
    filename: str

    def as_attachment(self) -> HttpResponse:
        """The file as a download the browser saves, never renders or sniffs; not cached
        by shared caches (it holds money figures)."""
        response = HttpResponse(self.content, content_type=self.content_type)
        response["Content-Disposition"] = (
            content_disposition_header(True, self.filename) or "attachment"
        )
        response["X-Content-Type-Options"] = "nosniff"
        response["Cache-Control"] = "private, no-store"
        return response


def pay_app_download(pay_app: Any, fmt: str) -> Download:
    """A pay app's PDF, CSV or XLSX. `pay_app` was loaded through `access_pay_app` (its
    contract, project, vendor and period come with it); its lines are read here, once."""
    from sitebill.billing.selectors import pay_app_figures
    from sitebill.documents import pdf, spreadsheets

    contract = pay_app.contract
    project = contract.project
    figures = pay_app_figures(pay_app)
    filename = document_filename(
        project=project, contract=contract, number=pay_app.number, extension=fmt
    )
    content: bytes
    if fmt == "pdf":
        content = pdf.render_pay_app_pdf(
            figures, project=project, contract=contract, period=pay_app.billing_period
        )
    elif fmt == "csv":
        content = spreadsheets.pay_app_csv(figures).encode("utf-8")
    elif fmt == "xlsx":
        content = spreadsheets.pay_app_xlsx(figures)
    else:
        raise ValueError(f"unknown document format {fmt!r}")
    return Download(content=content, content_type=CONTENT_TYPES[fmt], filename=filename)


def pay_app_list_download(rows: Iterable[Any], *, project: Any, fmt: str) -> Download:
    """The pay app list (`selectors.PayAppListRow`s, consumed once) as CSV or XLSX."""
    from sitebill.documents import spreadsheets

    content: bytes
    if fmt == "csv":
        content = spreadsheets.pay_app_list_csv(rows).encode("utf-8")
    elif fmt == "xlsx":
        content = spreadsheets.pay_app_list_xlsx(rows)
    else:
        raise ValueError(f"unknown list export format {fmt!r}")
    return Download(
        content=content,
        content_type=CONTENT_TYPES[fmt],
        filename=list_filename(project=project, extension=fmt),
    )
