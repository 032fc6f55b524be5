"""The PDF of a pay app: AIA G702 "Application and Certificate for Payment", G703 "Continuation
Sheet" and, when lines were rejected, "Reasons for Difference" (DOMAIN.md §6).

Drawn with ReportLab on landscape Letter (research/perf_reliability.md: ReportLab renders a
2,000-row G703 in about a second, WeasyPrint twenty times slower). A pure function of the
selector's `Figures` and the objects they came from (one foreign key is followed: the project's
contractor), with no arithmetic: every figure is one that `sitebill.billing.calculations`
worked out, printed with `money_text`.

Layout
- Page 1 (G702): who bills whom, the project, the contract, application number, period and
  billing date; lines 1-9 with the AIA labels; the change order summary; the applicant's
  certification and the "ARCHITECT'S/OWNER'S CERTIFICATE FOR PAYMENT", both with blank
  signature and date lines. The page is shrunk to fit if names or addresses run long, so the
  G702 is always one page.
- G703 pages: one row per line in the AIA column letters A-I; the two header rows repeat on
  every page (`LongTable(repeatRows=2)`) under a page header naming the sheet, the application
  number and dates; the GRAND TOTAL row comes once, at the end.
- "REASONS FOR DIFFERENCE": every rejected line with what the vendor claimed and the reason.
- Every page: a footer with the application number and date and "Page n of N"; a light grey
  "DRAFT" across pay apps that are not approved (Approved or Approved as Noted).

Speed (bench/pdf_2000.py: a 2,000-line pay app, 60 pages, in under a second of CPU, faster
than a bare `LongTable` of the same cells): G703 cells are plain strings; a description becomes
a wrapping `Paragraph` only when it is wider than its column; every row height and every cell
style is worked out up front, so the table neither measures rows nor visits 20,000 cells per
style command; the headings repeated on each page are plain text; "Page n of N" is drawn when
the document is saved (`_NumberedCanvas`), so the story is laid out once.

Choices where the spec is silent
- Parties: a progress billing goes from the vendor ("FROM SUBCONTRACTOR" or "FROM VENDOR") to
  the contractor ("TO CONTRACTOR"); an MC/Client payment application from the contractor to the
  client ("TO OWNER/CLIENT").
- Line 5a/5b print the rate when every line carries the same one, "__%" when rates vary by line
  or a sliding scale sets them (AIA: use column I for variable retainage).
- Column I is the retainage held to date on the line, after releases; % is G ÷ C as computed.
- Amounts carry no currency sign; the page header says which currency the project uses.
- Reasons for Difference shows what the vendor claimed for the line when it submitted (E and F
  as claimed) beside the reviewer's reason, and the reviewer's comment when there is one.
- One-line page headers and footers are cut short with "…" when names run long; table cells
  wrap instead. The PDF uses the standard Helvetica fonts (no font files to ship): text outside
  Latin-1/Windows-1252, such as CJK, prints as blank boxes.
"""

from __future__ import annotations

import functools
import io
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from xml.sax.saxutils import escape

from reportlab import rl_config
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import landscape, letter
from reportlab.lib.styles import ParagraphStyle
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    BaseDocTemplate,
    CellStyle,
    Flowable,
    Frame,
    KeepInFrame,
    LongTable,
    NextPageTemplate,
    PageBreak,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

from sitebill.billing.models import PayApp, PayAppLine
from sitebill.billing.selectors import Figures
from sitebill.documents import date_text, document_filename, money_text, percent_text

# Compressed page streams stay binary: ASCII85 on top makes the file a quarter larger and costs
# a tenth of the render (bench/pdf_2000.py). Process-wide, and nothing else here draws PDFs.
rl_config.useA85 = 0

PAGE_WIDTH, PAGE_HEIGHT = landscape(letter)
MARGIN = 30.0
FOOTER_Y = 20.0
FRAME_BOTTOM = 40.0
G703_HEADER_HEIGHT = 46.0
CONTENT_WIDTH = PAGE_WIDTH - 2 * MARGIN

FONT = "Helvetica"
BOLD = "Helvetica-Bold"
OBLIQUE = "Helvetica-Oblique"

INK = colors.black
RULE = colors.Color(0.55, 0.55, 0.55)
HAIRLINE = colors.Color(0.8, 0.8, 0.8)
SHADE = colors.Color(0.9, 0.9, 0.9)
STRIPE = colors.Color(0.965, 0.965, 0.965)
WATERMARK = colors.Color(0.91, 0.91, 0.91)

# AIA G702 lines 1-9 (research/domain.md §1.2), exactly as printed.
LINE_1 = "1. ORIGINAL CONTRACT SUM"
LINE_2 = "2. Net change by Change Orders"
LINE_3 = "3. CONTRACT SUM TO DATE (Line 1 ± 2)"
LINE_4 = "4. TOTAL COMPLETED & STORED TO DATE (Column G on G703)"
LINE_5 = "5. RETAINAGE:"
LINE_5A = "a. {rate} of Completed Work (Column D + E on G703)"
LINE_5B = "b. {rate} of Stored Material (Column F on G703)"
LINE_5_TOTAL = "Total Retainage (Lines 5a + 5b or Total in Column I of G703)"
LINE_6 = "6. TOTAL EARNED LESS RETAINAGE (Line 4 Less Line 5 Total)"
LINE_7 = "7. LESS PREVIOUS CERTIFICATES FOR PAYMENT (Line 6 from prior Certificate)"
LINE_8 = "8. CURRENT PAYMENT DUE"
LINE_9 = "9. BALANCE TO FINISH, INCLUDING RETAINAGE (Line 3 less Line 6)"

# AIA G703 columns (research/domain.md §1.1): letters, then headings.
G703_LETTERS = ("A", "B", "C", "D", "E", "F", "G", "", "H", "I")
G703_HEADINGS = (
    "ITEM\u00a0NO.",
    "DESCRIPTION OF WORK",
    "SCHEDULED VALUE",
    "WORK COMPLETED FROM PREVIOUS APPLICATION (D\u00a0+\u00a0E)",
    "WORK COMPLETED THIS PERIOD",
    "MATERIALS PRESENTLY STORED (NOT IN D\u00a0OR\u00a0E)",
    "TOTAL COMPLETED AND STORED TO DATE (D+E+F)",
    "% (G\u00a0÷\u00a0C)",
    "BALANCE TO FINISH (C\u00a0-\u00a0G)",
    "RETAINAGE",
)
GRAND_TOTAL = "GRAND TOTAL"

_HEADING = ParagraphStyle(
    "g703-heading", fontName=BOLD, fontSize=6.3, leading=7.4, alignment=TA_CENTER
)
_TEXT = ParagraphStyle("text", fontName=FONT, fontSize=7.5, leading=9.2)
_SMALL = ParagraphStyle("small", fontName=FONT, fontSize=7, leading=8.6)
_TITLE = ParagraphStyle("title", fontName=BOLD, fontSize=14, leading=17)
_SECTION = ParagraphStyle("section", fontName=BOLD, fontSize=8.5, leading=11, spaceAfter=2)


def pdf_filename(*, project: Any, contract: Any, number: int) -> str:
    """`<project number>-<commitment number>-pay-app-<n>.pdf` (DOMAIN.md §6), slugified."""
    return document_filename(project=project, contract=contract, number=number, extension="pdf")


def render_pay_app_pdf(figures: Figures, *, project: Any, contract: Any, period: Any) -> bytes:
    """The G702 page, the G703 continuation sheets and, when lines were rejected, the Reasons
    for Difference page, as PDF bytes."""
    pay_app = figures.pay_app
    sheet = _Sheet.of(pay_app, project=project, contract=contract, period=period)
    rejected = [
        row.line
        for row in figures.rows
        if row.line.review_status == PayAppLine.ReviewStatus.REJECTED
    ]
    story: list[Flowable] = [
        *_g702_page(figures, sheet, project=project, contract=contract),
        NextPageTemplate("g703"),
        PageBreak(),
        _g703_table(figures),
    ]
    if rejected:
        story += [
            NextPageTemplate("reasons"),
            PageBreak(),
            *_reasons_page(rejected, comment=pay_app.review_comment),
        ]
    buffer = io.BytesIO()
    full = Frame(
        MARGIN,
        FRAME_BOTTOM,
        CONTENT_WIDTH,
        PAGE_HEIGHT - MARGIN - FRAME_BOTTOM,
        leftPadding=0,
        rightPadding=0,
        topPadding=0,
        bottomPadding=0,
    )
    below_header = Frame(
        MARGIN,
        FRAME_BOTTOM,
        CONTENT_WIDTH,
        PAGE_HEIGHT - MARGIN - G703_HEADER_HEIGHT - FRAME_BOTTOM,
        leftPadding=0,
        rightPadding=0,
        topPadding=0,
        bottomPadding=0,
    )
    document = BaseDocTemplate(
        buffer,
        pagesize=(PAGE_WIDTH, PAGE_HEIGHT),
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN,
        bottomMargin=FRAME_BOTTOM,
        title=f"Application and Certificate for Payment No. {pay_app.number}",
        subject=f"{project.number} {project.name}: {contract.number} {contract.title}",
        author="sitebill",
        creator="sitebill",
        invariant=1,
        pageTemplates=[
            PageTemplate("g702", frames=[full], onPage=sheet.draw_plain_page),
            PageTemplate("g703", frames=[below_header], onPage=sheet.draw_g703_page),
            PageTemplate("reasons", frames=[full], onPage=sheet.draw_plain_page),
        ],
    )
    document.build(story, canvasmaker=functools.partial(_NumberedCanvas, footer=sheet.footer))
    return buffer.getvalue()


# --- What every page shows --------------------------------------------------------------------


@dataclass(frozen=True)
class _Sheet:
    """The facts printed around the tables: headers, footer, watermark."""

    application: str  # "APPLICATION NO.: 3"
    application_date: str
    period_to: str
    project: str
    contract: str
    to_party: tuple[str, str]  # ("TO CONTRACTOR:", "Summit Builders")
    from_party: tuple[str, str]  # ("FROM SUBCONTRACTOR:", "Acme Concrete")
    currency: str
    draft: bool

    @classmethod
    def of(cls, pay_app: PayApp, *, project: Any, contract: Any, period: Any) -> _Sheet:
        to_party, from_party = _parties(project, contract)
        return cls(
            application=str(pay_app.number),
            application_date=date_text(pay_app.billing_date),
            period_to=date_text(period.end_date),
            project=f"{project.number} {project.name}",
            contract=f"{contract.number} {contract.title}",
            to_party=to_party,
            from_party=from_party,
            currency=str(project.currency),
            draft=pay_app.status not in PayApp.APPROVED_STATUSES,
        )

    @property
    def footer(self) -> str:
        parts = [f"Application No. {self.application}"]
        if self.application_date:
            parts.append(f"Application date {self.application_date}")
        parts.append(f"Period to {self.period_to}")
        parts.append(f"{self.contract} · {self.project}")
        return "  ·  ".join(parts)

    def draw_plain_page(self, canvas: Canvas, document: Any) -> None:
        self._watermark(canvas)

    def draw_g703_page(self, canvas: Canvas, document: Any) -> None:
        self._watermark(canvas)
        top = PAGE_HEIGHT - MARGIN
        canvas.saveState()
        canvas.setFillColor(INK)
        canvas.setFont(BOLD, 13)
        canvas.drawString(MARGIN, top - 11, "CONTINUATION SHEET")
        canvas.setFont(FONT, 7)
        canvas.drawString(
            MARGIN,
            top - 22,
            "The Application and Certificate for Payment (page 1), with the signed "
            f"certification, is attached. Amounts in {self.currency}.",
        )
        room = CONTENT_WIDTH - 170  # left of the application number block
        canvas.drawString(MARGIN, top - 32, _fit(f"PROJECT: {self.project}", FONT, 7, room))
        canvas.drawString(
            MARGIN,
            top - 42,
            _fit(
                f"CONTRACT: {self.contract}    {self.from_party[0]} {self.from_party[1]}",
                FONT,
                7,
                room,
            ),
        )
        right = PAGE_WIDTH - MARGIN
        for offset, (label, value) in enumerate(
            [
                ("APPLICATION NO.:", self.application),
                ("APPLICATION DATE:", self.application_date),
                ("PERIOD TO:", self.period_to),
            ]
        ):
            y = top - 9 - offset * 10
            canvas.setFont(BOLD, 7.5)
            canvas.drawRightString(right - 64, y, label)
            canvas.setFont(FONT, 7.5)
            canvas.drawString(right - 58, y, value)
        canvas.restoreState()

    def _watermark(self, canvas: Canvas) -> None:
        if not self.draft:
            return
        canvas.saveState()
        canvas.setFillColor(WATERMARK)
        canvas.setFont(BOLD, 150)
        canvas.translate(PAGE_WIDTH / 2, PAGE_HEIGHT / 2)
        canvas.rotate(28)
        canvas.drawCentredString(0, -50, "DRAFT")
        canvas.restoreState()


class _NumberedCanvas(Canvas):
    """Holds each page until the document is saved, so every footer can say "Page n of N"."""

    def __init__(self, *args: Any, footer: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._footer = footer
        self._pages: list[dict[str, Any]] = []

    def showPage(self) -> None:  # ReportLab calls it by this name
        self._pages.append(dict(self.__dict__))
        self._startPage()

    def save(self) -> None:
        total = len(self._pages)
        for state in self._pages:
            self.__dict__.update(state)
            self._draw_footer(total)
            super().showPage()
        super().save()

    def _draw_footer(self, total: int) -> None:
        self.saveState()
        self.setStrokeColor(RULE)
        self.setLineWidth(0.5)
        self.line(MARGIN, FOOTER_Y + 9, PAGE_WIDTH - MARGIN, FOOTER_Y + 9)
        self.setFillColor(INK)
        page = f"Page {self.getPageNumber()} of {total}"
        self.setFont(BOLD, 7.5)
        self.drawRightString(PAGE_WIDTH - MARGIN, FOOTER_Y, page)
        room = CONTENT_WIDTH - stringWidth(page, BOLD, 7.5) - 16
        self.setFont(FONT, 7)
        self.drawString(MARGIN, FOOTER_Y, _fit(self._footer, FONT, 7, room))
        self.restoreState()


def _fit(text: str, font: str, size: float, width: float) -> str:
    """`text`, cut short with an ellipsis if it is wider than `width` (one-line headers)."""
    if stringWidth(text, font, size) <= width:
        return text
    while text and stringWidth(text + "…", font, size) > width:
        text = text[: max(0, min(len(text) - 1, int(len(text) * 0.95)))]
    return text.rstrip() + "…"


# --- Page 1: G702 ----------------------------------------------------------------------------


def _parties(project: Any, contract: Any) -> tuple[tuple[str, str], tuple[str, str]]:
    """(("TO ...:", name), ("FROM ...:", name)): who is billed and who bills."""
    contractor = project.contractor.name
    if contract.is_commitment:
        sender = "FROM VENDOR:" if contract.kind == "purchase_order" else "FROM SUBCONTRACTOR:"
        return ("TO CONTRACTOR:", contractor), (sender, contract.counterparty.name)
    return ("TO OWNER/CLIENT:", contract.counterparty.name), ("FROM CONTRACTOR:", contractor)


def _applicant_word(contract: Any) -> str:
    if not contract.is_commitment:
        return "CONTRACTOR"
    return "VENDOR" if contract.kind == "purchase_order" else "SUBCONTRACTOR"


def _p(text: str, style: ParagraphStyle = _TEXT) -> Paragraph:
    return Paragraph(text, style)


def _field(label: str, *values: str) -> Paragraph:
    lines = "<br/>".join(escape(value) for value in values if value) or "&nbsp;"
    return _p(f"<font name='{BOLD}' size='7'>{escape(label)}</font><br/>{lines}")


def _g702_page(figures: Figures, sheet: _Sheet, *, project: Any, contract: Any) -> list[Flowable]:
    pay_app = figures.pay_app
    (to_label, to_name), (from_label, from_name) = sheet.to_party, sheet.from_party
    kind = (
        "MC/Client payment application"
        if not contract.is_commitment
        else f"Progress billing · {contract.get_kind_display()}"
    )
    facts = Table(
        [
            [_p(f"<b>{label}</b>", _SMALL), _p(escape(value), _SMALL)]
            for label, value in [
                ("APPLICATION NO.:", sheet.application),
                ("PERIOD TO:", sheet.period_to),
                ("BILLING DATE:", sheet.application_date or "-"),
                ("INVOICE NO.:", pay_app.invoice_number or "-"),
                ("STATUS:", pay_app.get_status_display()),
                ("CURRENCY:", sheet.currency),
            ]
        ],
        colWidths=[78, 150],
        style=TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("TOPPADDING", (0, 0), (-1, -1), 0.5),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 0.5),
            ]
        ),
    )
    header = Table(
        [
            [
                [_field(to_label, to_name), Spacer(0, 5), _field(from_label, from_name)],
                [
                    _field("PROJECT:", project.name, f"No. {project.number}", project.address),
                    Spacer(0, 5),
                    _field("CONTRACT FOR:", f"{contract.number} {contract.title}"),
                ],
                facts,
            ]
        ],
        colWidths=[240, 262, CONTENT_WIDTH - 502],
        style=TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (-1, -1), 10),
                ("LINEBELOW", (0, 0), (-1, 0), 1, INK),
                ("BOTTOMPADDING", (0, 0), (-1, 0), 7),
            ]
        ),
    )
    left_width = 452.0
    body = Table(
        [
            [
                _application_column(figures, contract, left_width),
                _certificates_column(contract, from_name),
            ]
        ],
        colWidths=[left_width, CONTENT_WIDTH - left_width],
        style=TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (0, 0), 0),
                ("RIGHTPADDING", (0, 0), (0, 0), 14),
                ("LEFTPADDING", (1, 0), (1, 0), 14),
                ("RIGHTPADDING", (1, 0), (1, 0), 0),
                ("LINEBEFORE", (1, 0), (1, 0), 0.75, RULE),
            ]
        ),
    )
    content: list[Flowable] = [
        Table(
            [
                [
                    _p("APPLICATION AND CERTIFICATE FOR PAYMENT", _TITLE),
                    _p(f"<para alignment='right'>{escape(kind)}</para>", _SMALL),
                ]
            ],
            colWidths=[CONTENT_WIDTH - 200, 200],
            style=TableStyle(
                [
                    ("VALIGN", (0, 0), (-1, -1), "BOTTOM"),
                    ("LEFTPADDING", (0, 0), (-1, -1), 0),
                    ("RIGHTPADDING", (0, 0), (-1, -1), 0),
                ]
            ),
        ),
        Spacer(0, 6),
        header,
        Spacer(0, 8),
        body,
    ]
    height = PAGE_HEIGHT - MARGIN - FRAME_BOTTOM
    return [KeepInFrame(CONTENT_WIDTH, height, content, mode="shrink")]


def _rate_text(rates: set[Decimal], sliding_scale: bool) -> str:
    if sliding_scale or len(rates) != 1:
        return "__%"
    return percent_text(next(iter(rates)))


def _application_column(figures: Figures, contract: Any, width: float) -> list[Flowable]:
    g702 = figures.g702
    sliding_scale = bool(contract.retainage_rules)
    work_rate = _rate_text({row.line.retainage_work_percent for row in figures.rows}, sliding_scale)
    stored_rate = _rate_text(
        {row.line.retainage_stored_percent for row in figures.rows}, sliding_scale
    )
    m = money_text
    lines = [
        [LINE_1, "", m(g702.original_contract_sum)],
        [LINE_2, "", m(g702.net_change_by_change_orders)],
        [LINE_3, "", m(g702.contract_sum_to_date)],
        [LINE_4, "", m(g702.total_completed_and_stored_to_date)],
        [LINE_5, "", ""],
        ["    " + LINE_5A.format(rate=work_rate), m(g702.retainage_on_completed_work), ""],
        ["    " + LINE_5B.format(rate=stored_rate), m(g702.retainage_on_stored_materials), ""],
        ["    " + LINE_5_TOTAL, "", m(g702.total_retainage)],
        [LINE_6, "", m(g702.total_earned_less_retainage)],
        [LINE_7, "", m(g702.less_previous_certificates)],
        [LINE_8, "", m(g702.current_payment_due)],
        [LINE_9, "", m(g702.balance_to_finish_including_retainage)],
    ]
    due = 10
    lines_table = Table(
        lines,
        colWidths=[width - 160, 76, 84],
        style=TableStyle(
            [
                ("FONT", (0, 0), (-1, -1), FONT, 7.5),
                ("FONT", (1, 0), (-1, -1), FONT, 8),
                ("ALIGN", (1, 0), (-1, -1), "RIGHT"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (-1, -1), 2),
                ("TOPPADDING", (0, 0), (-1, -1), 2.2),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 2.2),
                ("LINEBELOW", (1, 5), (1, 6), 0.5, RULE),
                ("LINEBELOW", (2, 0), (2, -1), 0.5, RULE),
                ("LINEBELOW", (2, 4), (2, 4), 0, colors.white),
                ("FONT", (0, due), (-1, due), BOLD, 8.5),
                ("BOX", (2, due), (2, due), 1, INK),
                ("BACKGROUND", (2, due), (2, due), SHADE),
            ]
        ),
    )
    co = Table(
        [
            ["CHANGE ORDER SUMMARY", "ADDITIONS", "DEDUCTIONS"],
            [
                "Total changes approved in previous months",
                m(g702.co_additions_previous),
                m(g702.co_deductions_previous),
            ],
            [
                "Total approved this month",
                m(g702.co_additions_this_period),
                m(g702.co_deductions_this_period),
            ],
            ["TOTALS", m(g702.co_additions_total), m(g702.co_deductions_total)],
            ["NET CHANGES by Change Order", m(g702.net_change_by_change_orders), ""],
        ],
        colWidths=[width - 180, 90, 90],
        style=TableStyle(
            [
                ("FONT", (0, 0), (-1, -1), FONT, 7.5),
                ("FONT", (0, 0), (-1, 0), BOLD, 7),
                ("FONT", (0, 3), (-1, 3), BOLD, 7.5),
                ("ALIGN", (1, 0), (-1, -1), "RIGHT"),
                ("SPAN", (1, 4), (2, 4)),
                ("GRID", (0, 0), (-1, -1), 0.5, RULE),
                ("BACKGROUND", (0, 0), (-1, 0), SHADE),
                ("TOPPADDING", (0, 0), (-1, -1), 2),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 2.5),
            ]
        ),
    )
    applicant = _applicant_word(contract)
    return [
        _p(f"{applicant}'S APPLICATION FOR PAYMENT", _SECTION),
        _p(
            "Application is made for payment, as shown below, in connection with the contract. "
            "The Continuation Sheet is attached.",
            _SMALL,
        ),
        Spacer(0, 4),
        lines_table,
        Spacer(0, 10),
        co,
    ]


def _signature_block(party: str) -> Table:
    return Table(
        [
            [_p(f"<b>{escape(party)}</b>", _SMALL), ""],
            ["By:", "Date:"],
        ],
        colWidths=[170, 96],
        rowHeights=[None, 22],
        style=TableStyle(
            [
                ("SPAN", (0, 0), (1, 0)),
                ("FONT", (0, 1), (-1, 1), FONT, 7.5),
                ("VALIGN", (0, 1), (-1, 1), "BOTTOM"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("LINEBELOW", (0, 1), (0, 1), 0.6, INK),
                ("LINEBELOW", (1, 1), (1, 1), 0.6, INK),
                ("RIGHTPADDING", (0, 1), (0, 1), 10),
            ]
        ),
    )


def _certificates_column(contract: Any, applicant_name: str) -> list[Flowable]:
    applicant = _applicant_word(contract)
    amount_certified = Table(
        [["AMOUNT CERTIFIED", "$"]],
        colWidths=[120, 146],
        rowHeights=[18],
        style=TableStyle(
            [
                ("FONT", (0, 0), (0, 0), BOLD, 8.5),
                ("FONT", (1, 0), (1, 0), FONT, 8.5),
                ("VALIGN", (0, 0), (-1, -1), "BOTTOM"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("LINEBELOW", (1, 0), (1, 0), 0.6, INK),
            ]
        ),
    )
    return [
        _p(f"{applicant}'S CERTIFICATION", _SECTION),
        _p(
            f"The undersigned {applicant.lower()} certifies that, to the best of its knowledge, "
            "information and belief, the work covered by this application for payment has been "
            "completed in accordance with the contract documents, that all amounts have been "
            "paid for work for which previous certificates for payment were issued and "
            "payments received, and that the current payment shown herein is now due.",
            _SMALL,
        ),
        Spacer(0, 6),
        _signature_block(f"{applicant}: {applicant_name}"),
        Spacer(0, 16),
        _p("ARCHITECT'S/OWNER'S CERTIFICATE FOR PAYMENT", _SECTION),
        _p(
            "Based on evaluation of the work and the data in this application, the undersigned "
            "certifies that, to the best of its knowledge, information and belief, the work has "
            "progressed as indicated, its quality is in accordance with the contract documents, "
            "and the applicant is entitled to payment of the AMOUNT CERTIFIED.",
            _SMALL,
        ),
        Spacer(0, 8),
        amount_certified,
        Spacer(0, 3),
        _p(
            "<i>(Explain any difference between the amount certified and the amount applied "
            "for, and initial the figures changed on this application and the Continuation "
            "Sheet.)</i>",
            _SMALL,
        ),
        Spacer(0, 6),
        _signature_block("ARCHITECT/OWNER:"),
        Spacer(0, 8),
        _p(
            "This certificate is not negotiable. The amount certified is payable only to the "
            "applicant named herein, without prejudice to any rights of the owner or the "
            "applicant under the contract.",
            _SMALL,
        ),
    ]


# --- G703 continuation sheet ------------------------------------------------------------------

_MONEY_COLUMNS = 7  # C, D, E, F, G, H, I
_PADDING = 3.0
_TOP_PADDING = 1.0
_BOTTOM_PADDING = 1.6
_HEADING_SIZE = 6.3
_HEADING_LEADING = 7.4
_LETTER_SIZE = 7.5


@dataclass(frozen=True)
class _G703Layout:
    font_size: float
    widths: list[float]

    @property
    def leading(self) -> float:
        return self.font_size + 1.6


def _widest(texts: Sequence[str], font: str, size: float) -> float:
    """The width of the widest text. Amounts are digits (all one width in Helvetica) and a few
    marks, so only the longest few strings can be the widest: measure those."""
    longest = max((len(text) for text in texts), default=0)
    return max(
        (stringWidth(text, font, size) for text in texts if len(text) >= longest - 1),
        default=0.0,
    )


def _g703_layout(
    item_numbers: Sequence[str], amounts: Sequence[str], percents: Sequence[str]
) -> _G703Layout:
    """Column widths that fit the widest item number, amount and percentage; the description
    takes the rest. If it would get too narrow, the font shrinks instead (huge amounts)."""
    for size in (7.5, 7.0, 6.5, 6.0, 5.5, 5.0):
        item = min(max(_widest(item_numbers, FONT, size) + 2 * _PADDING, 34.0), 80.0)
        money = max(_widest(amounts, BOLD, size) + 2 * _PADDING, 60.0)
        percent = max(_widest(percents, BOLD, size) + 2 * _PADDING, 36.0)
        description = CONTENT_WIDTH - item - percent - _MONEY_COLUMNS * money
        if description >= 150:
            break
    return _G703Layout(
        font_size=size,
        widths=[item, description, *[money] * 5, percent, money, money],
    )


def _heading_lines(text: str, width: float) -> str:
    """A heading broken into centred lines that fit `width` (no-break spaces hold "D + E"
    together). Plain text, not a Paragraph: the headings are drawn again on every page."""
    lines: list[str] = []
    for word in text.split(" "):
        candidate = f"{lines[-1]} {word}" if lines else word
        if lines and stringWidth(candidate, BOLD, _HEADING_SIZE) <= width:
            lines[-1] = candidate
        else:
            lines.append(word)
    return "\n".join(lines).replace("\u00a0", " ")


def _cell_styles(layout: _G703Layout, rows: int) -> list[list[CellStyle]]:
    """Every cell's style made up front (left text, right-aligned figures), so the table
    style only has to touch the header and total rows: a style command applied to the whole
    table costs a visit to each of its 20,000 cells."""
    common = {
        "fontname": FONT,
        "fontsize": layout.font_size,
        "leading": layout.leading,
        "leftPadding": _PADDING,
        "rightPadding": _PADDING,
        "topPadding": _TOP_PADDING,
        "bottomPadding": _BOTTOM_PADDING,
        "valign": "TOP",
    }
    text = type("G703Text", (CellStyle,), {**common, "alignment": "LEFT"})
    figure = type("G703Figure", (CellStyle,), {**common, "alignment": "RIGHT"})
    figures = len(layout.widths) - 2
    return [[text(""), text(""), *[figure("") for _ in range(figures)]] for _ in range(rows)]


def _g703_table(figures: Figures) -> LongTable:
    m = money_text
    totals = figures.totals
    body: list[list[Any]] = []
    for row in figures.rows:
        result = row.result
        body.append(
            [
                row.line.item_number,
                " ".join(row.line.description.split()),
                m(result.scheduled_value),
                m(result.work_completed_previous),
                m(result.work_completed_this_period),
                m(result.materials_presently_stored),
                m(result.total_completed_and_stored),
                percent_text(result.percent_complete),
                m(result.balance_to_finish),
                m(result.retainage_held),
            ]
        )
    total_row: list[Any] = [
        "",
        GRAND_TOTAL,
        m(totals.scheduled_value),
        m(totals.work_completed_previous),
        m(totals.work_completed_this_period),
        m(totals.materials_presently_stored),
        m(totals.total_completed_and_stored),
        percent_text(totals.percent_complete),
        m(totals.balance_to_finish),
        m(totals.retainage_held),
    ]
    layout = _g703_layout(
        [row[0] for row in body],
        [text for row in (*body, total_row) for text in (*row[2:7], *row[8:])],
        [row[7] for row in (*body, total_row)],
    )
    size, leading = layout.font_size, layout.leading
    text_style = ParagraphStyle("g703-text", fontName=FONT, fontSize=size, leading=leading)
    padding = _TOP_PADDING + _BOTTOM_PADDING
    headings = [
        _heading_lines(heading, width - 2 * _PADDING)
        for heading, width in zip(G703_HEADINGS, layout.widths, strict=True)
    ]
    # Every row's height is worked out here, so the table never measures a row itself: a
    # one-line row is one leading; only a cell too wide for its column becomes a wrapping
    # Paragraph, measured once.
    heights: list[float] = [
        _LETTER_SIZE * 1.2 + padding,
        max(heading.count("\n") + 1 for heading in headings) * _HEADING_LEADING + padding,
    ]
    for cells in body:
        height = leading
        for column in (0, 1):
            available = layout.widths[column] - 2 * _PADDING
            if stringWidth(cells[column], FONT, size) > available:
                cells[column] = Paragraph(escape(cells[column]), text_style)
                height = max(height, cells[column].wrap(available, PAGE_HEIGHT)[1])
        heights.append(height + padding)
    heights.append(leading + padding)
    data = [list(G703_LETTERS), headings, *body, total_row]
    last = len(data) - 1
    style = [
        ("FONT", (0, 0), (-1, 0), BOLD, _LETTER_SIZE),
        ("FONT", (0, 1), (-1, 1), BOLD, _HEADING_SIZE, _HEADING_LEADING),
        ("ALIGN", (0, 0), (-1, 1), "CENTER"),
        ("VALIGN", (0, 1), (-1, 1), "MIDDLE"),
        ("FONT", (0, last), (-1, last), BOLD, size, leading),
        ("BACKGROUND", (0, 0), (-1, 1), SHADE),
        ("LINEBELOW", (0, 1), (-1, 1), 0.8, INK),
        ("LINEBELOW", (0, 2), (-1, last - 1), 0.25, HAIRLINE),
        ("LINEAFTER", (0, 0), (-2, -1), 0.4, RULE),
        ("BOX", (0, 0), (-1, -1), 0.8, INK),
        ("LINEBELOW", (0, "splitlast"), (-1, "splitlast"), 0.8, INK),  # close each page's box
        ("LINEABOVE", (0, last), (-1, last), 1, INK),
        ("BACKGROUND", (0, last), (-1, last), SHADE),
    ]
    return LongTable(
        data,
        colWidths=layout.widths,
        rowHeights=heights,
        repeatRows=2,
        cellStyles=_cell_styles(layout, len(data)),
        style=TableStyle(style),
    )


# --- Reasons for difference ------------------------------------------------------------------

REASONS_TITLE = "REASONS FOR DIFFERENCE"
REASONS_HEADINGS = (
    "ITEM\u00a0NO.",
    "DESCRIPTION OF WORK",
    "AMOUNT CLAIMED THIS PERIOD (E)",
    "MATERIALS STORED CLAIMED (F)",
    "REASON",
)


def _reasons_page(rejected: Sequence[PayAppLine], *, comment: str) -> list[Flowable]:
    m = money_text
    rows: list[list[Any]] = [[Paragraph(heading, _HEADING) for heading in REASONS_HEADINGS]]
    for line in rejected:
        claimed_work = line.claimed_work_this_period
        claimed_stored = line.claimed_materials_presently_stored
        rows.append(
            [
                _p(escape(line.item_number)),
                _p(escape(line.description)),
                m(line.work_completed_this_period if claimed_work is None else claimed_work),
                m(line.materials_presently_stored if claimed_stored is None else claimed_stored),
                _p(escape(line.review_reason or "-")),
            ]
        )
    table = LongTable(
        rows,
        colWidths=[50, 230, 80, 80, CONTENT_WIDTH - 440],
        repeatRows=1,
        style=TableStyle(
            [
                ("FONT", (0, 0), (-1, -1), FONT, 7.5),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("VALIGN", (0, 0), (-1, 0), "MIDDLE"),
                ("ALIGN", (2, 1), (3, -1), "RIGHT"),
                ("BACKGROUND", (0, 0), (-1, 0), SHADE),
                ("GRID", (0, 0), (-1, -1), 0.4, RULE),
                ("BOX", (0, 0), (-1, -1), 0.8, INK),
                ("TOPPADDING", (0, 0), (-1, -1), 2),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
            ]
        ),
    )
    content: list[Flowable] = [
        _p(REASONS_TITLE, _TITLE),
        Spacer(0, 4),
        _p(
            "The reviewer rejected these lines. The amounts are what the applicant claimed for "
            "them; the reason says what must change before they can be approved.",
            _SMALL,
        ),
        Spacer(0, 8),
    ]
    if comment.strip():
        content += [
            _p("<b>Reviewer's comment:</b> " + escape(comment.strip()).replace("\n", "<br/>")),
            Spacer(0, 8),
        ]
    content.append(table)
    return content
