"""The G702/G703 PDF, read back with pypdf: the AIA labels with the pay app's exact figures,
continuation sheets that repeat their headers on every page, the reasons for difference."""

from __future__ import annotations

import io
import re
from decimal import Decimal
from types import SimpleNamespace

import pytest
from pypdf import PdfReader

from sitebill.accounts.models import Company
from sitebill.billing.models import PayApp
from sitebill.billing.services.pay_apps import LineChange, pay_app_create, pay_app_lines_update
from sitebill.documents import money_text, percent_text
from sitebill.documents.pdf import pdf_filename
from tests import factories
from tests.documents.conftest import (
    after,
    big_commitment,
    bill,
    figures_of,
    g703_body,
    pages_of,
    pdf_of,
    review,
    submit,
    words,
)

LETTERS = ["A", "B", "C", "D", "E", "F", "G", "H", "I"]
HEADINGS = [
    "ITEM NO.",
    "DESCRIPTION OF WORK",
    "SCHEDULED VALUE",
    "WORK COMPLETED FROM PREVIOUS APPLICATION (D + E)",
    "WORK COMPLETED THIS PERIOD",
    "MATERIALS PRESENTLY STORED (NOT IN D OR E)",
    "TOTAL COMPLETED AND STORED TO DATE (D+E+F)",
    "% (G ÷ C)",
    "BALANCE TO FINISH (C - G)",
    "RETAINAGE",
]


def test_page_one_is_the_g702_with_the_aia_labels_and_the_pay_apps_figures(world, approved):
    # given: E 10,000 on line 1; E 3,000 and F 2,000 on line 2; 10% retainage on both
    # when
    page = pages_of(pdf_of(approved))[0]
    # then: lines 1-9 exactly as AIA prints them, each with its figure
    assert "APPLICATION AND CERTIFICATE FOR PAYMENT" in page
    assert after(page, "1. ORIGINAL CONTRACT SUM") == ["100,000.00"]
    assert after(page, "2. Net change by Change Orders") == ["0.00"]
    assert after(page, "3. CONTRACT SUM TO DATE (Line 1 ± 2)") == ["100,000.00"]
    assert after(page, "4. TOTAL COMPLETED & STORED TO DATE (Column G on G703)") == ["15,000.00"]
    assert "5. RETAINAGE:" in page
    assert after(page, "a. 10.00% of Completed Work (Column D + E on G703)") == ["1,300.00"]
    assert after(page, "b. 10.00% of Stored Material (Column F on G703)") == ["200.00"]
    assert after(page, "Total Retainage (Lines 5a + 5b or Total in Column I of G703)") == [
        "1,500.00"
    ]
    assert after(page, "6. TOTAL EARNED LESS RETAINAGE (Line 4 Less Line 5 Total)") == ["13,500.00"]
    assert after(
        page, "7. LESS PREVIOUS CERTIFICATES FOR PAYMENT (Line 6 from prior Certificate)"
    ) == ["0.00"]
    assert after(page, "8. CURRENT PAYMENT DUE") == ["13,500.00"]
    assert after(page, "9. BALANCE TO FINISH, INCLUDING RETAINAGE (Line 3 less Line 6)") == [
        "86,500.00"
    ]


def test_the_g702_figures_are_the_selectors_figures(world, approved):
    # given
    g702 = figures_of(approved).g702
    # when
    page = pages_of(pdf_of(approved))[0]
    # then
    for label, amount in [
        ("1. ORIGINAL CONTRACT SUM", g702.original_contract_sum),
        (
            "4. TOTAL COMPLETED & STORED TO DATE (Column G on G703)",
            g702.total_completed_and_stored_to_date,
        ),
        ("8. CURRENT PAYMENT DUE", g702.current_payment_due),
        (
            "9. BALANCE TO FINISH, INCLUDING RETAINAGE (Line 3 less Line 6)",
            g702.balance_to_finish_including_retainage,
        ),
    ]:
        assert after(page, label) == [money_text(amount)]


def test_page_one_names_who_bills_whom_the_project_contract_and_application(world, approved):
    # given
    world.project.address = "1200 River Road, Springfield"
    world.project.save(update_fields=["address"])
    # when
    page = pages_of(pdf_of(approved))[0]
    # then: a progress billing goes from the vendor to the contractor
    assert after(page, "TO CONTRACTOR:") == ["Summit Builders"]
    assert after(page, "FROM SUBCONTRACTOR:") == ["Acme Concrete"]
    assert after(page, "PROJECT:", 3) == [
        "Riverside Clinic",
        f"No. {world.project.number}",
        "1200 River Road, Springfield",
    ]
    assert after(page, "CONTRACT FOR:") == ["SC-001 Concrete"]
    assert after(page, "APPLICATION NO.:") == ["1"]
    assert after(page, "PERIOD TO:") == ["Nov 30, 2026"]
    assert after(page, "INVOICE NO.:") == ["INV-1042"]
    assert after(page, "STATUS:") == ["Approved"]


def test_page_one_has_the_signature_blocks(world, approved):
    page = pages_of(pdf_of(approved))[0]
    assert "SUBCONTRACTOR'S CERTIFICATION" in page
    assert "ARCHITECT'S/OWNER'S CERTIFICATE FOR PAYMENT" in page
    assert after(page, "AMOUNT CERTIFIED") == ["$"]  # a blank line to write on
    assert page.count("By:") == 2
    assert page.count("Date:") == 2


def test_the_change_order_summary_splits_additions_and_deductions(world):
    # given: two change orders approved before this pay app was created: +5,000 and -1,000
    for number, amount in [("001", "5000.00"), ("002", "-1000.00")]:
        change_order = factories.ChangeOrderFactory(contract=world.commitment, number=number)
        factories.ChangeOrderLineFactory(
            change_order=change_order,
            item_number=f"CO-{number}",
            description="Changed scope",
            amount=Decimal(amount),
        )
    pay_app = bill(world, work={0: "10000.00"})
    # when
    pages = pages_of(pdf_of(pay_app))
    # then: the change orders are this month's (the pay app carries them first)
    page = pages[0]
    assert after(page, "2. Net change by Change Orders") == ["4,000.00"]
    assert after(page, "3. CONTRACT SUM TO DATE (Line 1 ± 2)") == ["104,000.00"]
    assert after(page, "CHANGE ORDER SUMMARY", 2) == ["ADDITIONS", "DEDUCTIONS"]
    assert after(page, "Total changes approved in previous months", 2) == ["0.00", "0.00"]
    assert after(page, "Total approved this month", 2) == ["5,000.00", "1,000.00"]
    assert after(page, "TOTALS", 2) == ["5,000.00", "1,000.00"]
    assert after(page, "NET CHANGES by Change Order") == ["4,000.00"]
    # and the deductive line prints its negatives in parentheses on the G703
    assert after(pages[1], "CO-002", 9) == [
        "CO 002: Changed scope",
        "(1,000.00)",
        "0.00",
        "0.00",
        "0.00",
        "0.00",
        "0.00%",
        "(1,000.00)",
        "0.00",
    ]


def test_the_continuation_sheet_has_one_row_per_line_and_the_grand_total(world, approved):
    # given
    figures = figures_of(approved)
    # when
    page = pages_of(pdf_of(approved))[1]
    # then
    assert "CONTINUATION SHEET" in page
    body = g703_body(page)
    assert after(body, "1", 9) == [
        figures.rows[0].line.description,
        "50,000.00",
        "0.00",
        "10,000.00",
        "0.00",
        "10,000.00",
        "20.00%",
        "40,000.00",
        "1,000.00",
    ]
    assert after(body, "2", 9)[1:] == [
        "30,000.00",
        "0.00",
        "3,000.00",
        "2,000.00",
        "5,000.00",
        "16.67%",
        "25,000.00",
        "500.00",
    ]
    assert after(page, "GRAND TOTAL", 8) == [
        "100,000.00",
        "0.00",
        "13,000.00",
        "2,000.00",
        "15,000.00",
        "15.00%",
        "85,000.00",
        "1,500.00",
    ]
    totals = figures.totals
    assert after(page, "GRAND TOTAL", 8) == [
        money_text(totals.scheduled_value),
        money_text(totals.work_completed_previous),
        money_text(totals.work_completed_this_period),
        money_text(totals.materials_presently_stored),
        money_text(totals.total_completed_and_stored),
        percent_text(totals.percent_complete),
        money_text(totals.balance_to_finish),
        money_text(totals.retainage_held),
    ]


def test_a_500_line_pay_app_repeats_the_headers_on_every_continuation_page(world):
    # given: 500 lines, every one billed
    contract = big_commitment(world, 500)
    pay_app = bill(world, contract, work=dict.fromkeys(range(500), "100.00"))
    # when
    pages = pages_of(pdf_of(pay_app))
    # then: the G702, then continuation sheets (the layout fits 38 one-line rows a page)
    assert len(pages) == 15
    sheets = pages[1:]
    for number, page in enumerate(pages, start=1):
        assert f"Page {number} of 15" in page
        assert "Application No. 1 · Application date" in words(page)
    for page in sheets:
        assert "CONTINUATION SHEET" in page
        assert after(page, "PERIOD TO:") == ["Nov 30, 2026"]
        letters = page.index("A")
        assert page[letters : letters + 9] == LETTERS
        text = words(page)
        for heading in HEADINGS:
            assert heading in text
    # and the GRAND TOTAL row comes once, on the last page
    assert ["GRAND TOTAL" in page for page in sheets] == [False] * 13 + [True]
    assert after(sheets[-1], "GRAND TOTAL") == ["624,750.00"]  # 500 × 1,000 + (0 + ... + 499)
    # and every line is printed once: none lost or doubled at a page break
    items = [
        line
        for page in sheets
        for index, line in enumerate(page)
        if index + 1 < len(page) and page[index + 1] == f"Concrete work, area {line}"
    ]
    assert items == [str(n) for n in range(1, 501)]


def test_the_application_number_and_date_are_in_every_footer(world, approved):
    pages = pages_of(pdf_of(approved))
    for page in pages:
        footer = words(page)
        assert "Application No. 1" in footer
        assert re.search(r"Application date \w{3} \d+, \d{4}", footer)
        assert "Period to Nov 30, 2026" in footer


def test_a_long_description_wraps_inside_its_column(world):
    # given: a 300-character description on line 1
    description = (
        "Cast-in-place concrete for the level 2 elevated deck, including formwork, shoring, "
        "reinforcing, embeds and sleeves, placing, finishing, curing and sealing, per drawings "
        "S-201 to S-214, specification sections 03 10 00, 03 20 00 and 03 30 00, and RFI 112 "
        "answers; testing by the owner's agency"
    )[:300]
    line = world.commitment.lines.order_by("position").first()
    line.description = description
    line.save(update_fields=["description"])
    pay_app = bill(world, work={0: "10000.00"})
    # when
    pdf = pdf_of(pay_app)
    # then: every word is printed, over several lines, and the row's amounts follow it
    body = g703_body(pages_of(pdf)[1])
    wrapped = body[1 : body.index("50,000.00")]
    assert len(wrapped) > 1
    assert " ".join(wrapped) == description
    # and no piece of it runs into column C: all of it lies left of the scheduled value
    spans = _text_spans(pdf, page_number=1)
    right_edge = max(x + width for text, x, width in spans if text in wrapped)
    amount_left = min(x for text, x, width in spans if text == "50,000.00")
    assert 100 < right_edge < amount_left


def test_descriptions_print_as_typed_even_with_markup_characters(world):
    line = world.commitment.lines.order_by("position").first()
    line.description = 'Slab <b>edge</b> & curb: 5" thick'
    line.save(update_fields=["description"])
    pay_app = bill(world, work={0: "100.00"})
    body = g703_body(pages_of(pdf_of(pay_app))[1])
    assert after(body, "1") == ['Slab <b>edge</b> & curb: 5" thick']


def test_a_pay_app_that_is_not_approved_says_draft_on_every_page(world, rejected):
    pages = pages_of(pdf_of(rejected))
    assert all("DRAFT" in page for page in pages)


def test_an_approved_pay_app_has_no_draft_watermark(world, approved):
    pages = pages_of(pdf_of(approved))
    assert not any("DRAFT" in page for page in pages)


def test_rejected_lines_get_a_reasons_for_difference_page(world, rejected):
    # given
    first, second = (row.line.description for row in figures_of(rejected).rows[:2])
    # when
    pages = pages_of(pdf_of(rejected))
    # then: the last page lists the rejected line, what was claimed and why
    page = pages[-1]
    assert "REASONS FOR DIFFERENCE" in page
    assert "Reviewer's comment: Line 2 is ahead of the work." in words(page)
    assert after(page, "2", 4) == [
        second,
        "3,000.00",
        "2,000.00",
        "Stored rebar not on site at the Nov 28 walk; bill it when delivered.",
    ]
    assert first not in page


def test_no_reasons_page_without_rejected_lines(world, approved):
    pages = pages_of(pdf_of(approved))
    assert len(pages) == 2
    assert not any("REASONS FOR DIFFERENCE" in page for page in pages)


def test_a_client_pay_app_is_billed_to_the_client_from_the_contractor(world):
    # given: the contractor's own pay app on its client contract
    client = factories.CompanyFactory(name="Riverside Health", kind=Company.Kind.CLIENT)
    contract = factories.ContractFactory(
        project=world.project,
        kind="client",
        number="PC-1",
        title="Clinic prime contract",
        counterparty=client,
    )
    factories.SOVLineFactory(contract=contract, item_number="1", scheduled_value=Decimal("1000"))
    pay_app = pay_app_create(actor=world.admin, contract=contract, billing_period=world.period)
    # when
    page = pages_of(pdf_of(pay_app))[0]
    # then
    assert after(page, "TO OWNER/CLIENT:") == ["Riverside Health"]
    assert after(page, "FROM CONTRACTOR:") == ["Summit Builders"]
    assert "CONTRACTOR'S APPLICATION FOR PAYMENT" in page


def test_varying_retainage_rates_leave_the_g702_rate_blank(world):
    # given: line 1 at 5% on work, the others at 10%
    pay_app = bill(world, work={0: "10000.00"})
    line = pay_app.lines.order_by("position").first()
    pay_app_lines_update(
        actor=world.admin,
        pay_app=pay_app,
        version=None,
        changes=[LineChange(line_id=line.pk, retainage_work_percent=Decimal("5"))],
    )
    # when
    page = pages_of(pdf_of(pay_app))[0]
    # then: AIA: with variable rates the retainage is in column I
    assert after(page, "a. __% of Completed Work (Column D + E on G703)") == ["500.00"]


def test_the_file_is_named_after_project_commitment_and_number():
    project = SimpleNamespace(number="RC 2026/01")
    contract = SimpleNamespace(number="SC-001")
    assert pdf_filename(project=project, contract=contract, number=3) == (
        "rc-202601-sc-001-pay-app-3.pdf"
    )


@pytest.mark.parametrize(
    ("amount", "text"),
    [
        ("1250.00", "1,250.00"),
        ("-1250.00", "(1,250.00)"),
        ("0.00", "0.00"),
        ("999999999999.99", "999,999,999,999.99"),
    ],
)
def test_amounts_print_like_the_aia_forms(amount, text):
    assert money_text(Decimal(amount)) == text


def test_the_pdf_says_what_it_is(world, approved):
    reader = PdfReader(io.BytesIO(pdf_of(approved)))
    assert reader.metadata.title == "Application and Certificate for Payment No. 1"
    assert approved.status == PayApp.Status.APPROVED


# --- Reading where text was drawn ------------------------------------------------------------


def _text_spans(pdf: bytes, *, page_number: int) -> list[tuple[str, float, float]]:
    """(text, x, width) of every piece of text drawn on the page, in points."""
    from reportlab.pdfbase.pdfmetrics import stringWidth

    spans: list[tuple[str, float, float]] = []

    def visit(text, cm, tm, font_dict, font_size):
        text = text.strip()
        if not text:
            return
        x = tm[4] * cm[0] + cm[4]
        size = font_size * (tm[0] or 1)
        font = (font_dict or {}).get("/BaseFont", "/Helvetica")[1:]
        spans.append((text, x, stringWidth(text, font, size)))

    PdfReader(io.BytesIO(pdf)).pages[page_number].extract_text(visitor_text=visit)
    return spans


def test_review_helper_keeps_the_status(world):
    # a sanity check of the builders the tests above rely on
    pay_app = submit(world, bill(world, work={0: "1.00"}))
    assert review(world, pay_app, PayApp.Status.APPROVED).status == PayApp.Status.APPROVED


def test_a_pay_app_without_lines_still_renders(world):
    # given: a commitment with an empty schedule of values
    contract = factories.ContractFactory(
        project=world.project, number="PO-9", kind="purchase_order", counterparty=world.vendor
    )
    contract.contacts.add(world.contact)
    pay_app = pay_app_create(actor=world.admin, contract=contract, billing_period=world.period)
    # when
    pages = pages_of(pdf_of(pay_app))
    # then
    assert len(pages) == 2
    assert after(pages[0], "FROM VENDOR:") == ["Acme Concrete"]
    assert after(g703_body(pages[1]), "GRAND TOTAL", 2) == ["0.00", "0.00"]


def test_long_names_and_huge_amounts_keep_the_g702_on_one_page(world):
    # given: names and an address at their longest, an amount at the database's largest
    world.project.name = ("Riverside Regional Medical Clinic Expansion, Phase II " * 4)[:200]
    world.project.address = ("1200 River Road, Building 7, Springfield, IL 62701 " * 6)[:300]
    world.project.save(update_fields=["name", "address"])
    world.vendor.name = ("Acme Concrete and Masonry Contractors of Springfield " * 4)[:200]
    world.vendor.save(update_fields=["name"])
    line = world.commitment.lines.order_by("position").first()
    line.item_number = "03-30-00.0101-A-LEVEL-2-DECK-X"
    line.description = "X" * 300
    line.scheduled_value = Decimal("999999999999.99")
    line.save(update_fields=["item_number", "description", "scheduled_value"])
    pay_app = bill(world, work={0: "999999999999.99"})
    # when
    pages = pages_of(pdf_of(pay_app))
    # then: one G702 page, then the continuation sheet; every figure printed whole
    assert len(pages) == 2
    assert "Page 1 of 2" in pages[0]
    assert after(pages[0], "1. ORIGINAL CONTRACT SUM") == ["1,000,000,049,999.99"]
    assert after(g703_body(pages[1]), "GRAND TOTAL") == ["1,000,000,049,999.99"]
