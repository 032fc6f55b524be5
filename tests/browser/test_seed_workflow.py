"""The seeds' workflow, clicked through in chromium as the people in it would.

First half (one test): an Admin sends an 'Invite to Bill' from the Subcontractor tab of the
Progress Billings tool; the payment application contact reads the email in the outbox, accepts,
creates the pay app, fills the G703 grid with the keyboard while the G702 summary follows, saves
and submits. Second half (one test, starting from exactly that state, built by the services in
the `submitted_pay_app` fixture): the Admin rejects a line and asks for Revise & Resubmit; the
contact corrects the line and resubmits; the Admin approves and the history tells it all.
Two tests rather than one so that each stays well under a minute on a busy machine.

The demo project (`load_demo`): SC-001 Concrete (Acme Concrete, 10% retainage, pay apps #1 and #2
approved in the two closed periods), SC-002 Electrical (Bolt Electric), PO-001 (Northside Steel),
SC-003 (no payment application contact); period 3 is Open and nobody has been invited yet.
"""

from __future__ import annotations

import io
import re
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Locator, Page, expect
from pypdf import PdfReader

from sitebill.billing.models import PayAppLine
from tests.browser.conftest import TYPED_AMOUNTS, Site, log_in, log_out, shot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ADMIN = "admin@example.com"
CONTACT = "billing@acme.example"
PROJECT = "Riverside Medical Office Building"
RETAINAGE = Decimal("0.10")
CENT = Decimal("0.01")
# Lines 1-3 of SC-001 and what the contact types into "work completed this period".
LINES = ["Line 1 Mobilization", "Line 2 Layout and survey", "Line 3 Concrete testing allowance"]
TYPED = TYPED_AMOUNTS
REVISED_LINE_2 = "3000"


def money(value: Decimal) -> str:
    return f"${value.quantize(CENT):,.2f}"


def payment_due(amounts: list[str]) -> Decimal:
    """G702 line 8 when only column E changes: the work billed less its 10% retainage."""
    work = sum((Decimal(amount) for amount in amounts), Decimal("0"))
    return work - (work * RETAINAGE).quantize(CENT)


# ------------------------------------------------------------------------------------------
# Locators in the page's own words


def chip_count(page: Page, label: str) -> int:
    """The number on a status chip of the Subcontractor tab ("Not Invited 3")."""
    chips = page.get_by_role("navigation", name="Filter by invite status")
    chip = chips.get_by_role("link", name=re.compile(rf"^{re.escape(label)} \d+$"))
    text = chip.inner_text()
    return int(text.rsplit(maxsplit=1)[-1])


def work_cell(page: Page, line: str) -> Locator:
    return page.get_by_label(f"{line}: work completed this period", exact=True)


def percent_cell(page: Page, line: str) -> Locator:
    return page.get_by_label(f"{line}: work % complete to date", exact=True)


def g702_value(page: Page, row: str) -> Locator:
    summary = page.get_by_role("region", name=re.compile(r"^Application summary \(G702\)"))
    return summary.get_by_role("row", name=re.compile(re.escape(row))).get_by_role("cell")


def fact(page: Page, term: str) -> Locator:
    """The value of one term of the page's facts list (Status, Invoice type, ...)."""
    return page.locator("dl.facts dt", has_text=re.compile(rf"^{re.escape(term)}$")).locator(
        "xpath=following-sibling::dd[1]"
    )


def grid_row(page: Page, line: str) -> Locator:
    """The G703 row of `line` (the edit grid: found by its work cell)."""
    return page.get_by_role("row").filter(has=work_cell(page, line))


def assert_grid_fits(page: Page) -> None:
    """At 1440 px every G703 column is on screen: no sideways scrolling, nothing cut off."""
    grid = page.get_by_role("table", name=re.compile(r"^G703 continuation sheet"))
    box = grid.bounding_box()
    assert box is not None
    assert box["x"] >= 0 and box["x"] + box["width"] <= 1440, box
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"the page scrolls sideways by {overflow}px"


def success(page: Page, text: str) -> None:
    expect(page.get_by_role("status").filter(has_text=text)).to_be_visible()


def history_entries(page: Page) -> list[str]:
    history = page.get_by_role("region", name="History")
    return [
        text.strip()
        for text in history.get_by_role("list")
        .first.locator(":scope > li > p strong")
        .all_inner_texts()
    ]


def open_project_tool(page: Page, tool: str) -> None:
    """Projects -> the project -> one of its tabs, by clicking."""
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Projects").click()
    page.get_by_role("link", name=PROJECT).click()
    expect(page.get_by_role("heading", level=1, name=PROJECT)).to_be_visible()
    page.get_by_role("navigation", name="Project").get_by_role("link", name=tool).click()


def type_amount(page: Page, cell: Locator, amount: str) -> None:
    """Replace a focused-or-not cell's value by typing, as with the keyboard."""
    if not cell.evaluate("el => el === document.activeElement"):
        cell.click()
    page.keyboard.press("ControlOrMeta+a")
    page.keyboard.type(amount)


def percent_to_date(line: str, amount: str) -> str:
    """(D + E) / C of a line of Acme's pay app #3 after typing `amount`, as the input shows it."""
    saved = PayAppLine.objects.get(
        pay_app__contract__number="SC-001",
        pay_app__number=3,
        item_number=line.split()[1],
    )
    done = saved.work_completed_previous + Decimal(amount)
    return f"{(done * 100 / saved.scheduled_value).quantize(CENT, rounding=ROUND_HALF_UP)}"


def set_marker(page: Page) -> None:
    page.evaluate("window.__marker = 1")


def marker_survived(page: Page) -> bool:
    return bool(page.evaluate("window.__marker === 1"))


# ------------------------------------------------------------------------------------------
# The steps


def admin_sends_invites(page: Page) -> None:
    """Seeds: Progress Billings -> Subcontractor tab -> mark the checkboxes -> Send Invites."""
    log_in(page, ADMIN)
    open_project_tool(page, "Progress Billings")
    page.get_by_role("navigation", name="Progress Billings").get_by_role(
        "link", name="Subcontractor"
    ).click()
    expect(page.get_by_role("heading", name="Subcontractor")).to_be_visible()
    not_invited, invited = chip_count(page, "Not Invited"), chip_count(page, "Invited")
    assert (not_invited, invited) == (3, 0)
    assert chip_count(page, "No Payment Application Contacts") == 1

    page.get_by_role("checkbox", name="Select SC-001 Concrete").check()
    page.get_by_role("checkbox", name="Select SC-002 Electrical").check()
    page.get_by_label("Invoice type").select_option(label="Work & Materials")
    set_marker(page)
    url = page.url
    page.get_by_role("button", name="Send Invites").click()

    banner = page.get_by_role("status").filter(has_text="2 invites sent.")
    expect(banner).to_be_visible()
    expect(banner).to_be_focused()  # the clicked button went with the old panel
    assert marker_survived(page), "Send Invites reloaded the whole page"
    assert page.url == url
    assert chip_count(page, "Not Invited") == not_invited - 2
    assert chip_count(page, "Invited") == invited + 2
    for commitment in ("SC-001", "SC-002"):
        row = page.get_by_role("row").filter(has=page.get_by_role("link", name=commitment))
        expect(row).to_contain_text("Invited")
        expect(row.get_by_role("checkbox")).to_have_count(0)  # invited: nothing left to tick
    shot(page, "subcontractor-tab.png")


def contact_accepts_from_the_email(page: Page, site: Site) -> None:
    """The contact opens the Invite to Bill in the outbox, follows Accept, creates the pay app."""
    log_out(page)
    log_in(page, CONTACT)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Outbox").click()
    expect(page.get_by_role("heading", name="Outbox")).to_be_visible()
    invite_mail = page.get_by_role("link", name=f"{PROJECT}: Avery Admin has invited you to bill.")
    expect(invite_mail).to_have_count(1)  # SC-002's invite went to Bolt, not here
    invite_mail.click()
    body = page.locator("pre.email-body")
    expect(body).to_contain_text("Commitment:     SC-001 Concrete")
    expect(body).to_contain_text("Invoice type:   Work & Materials")
    shot(page, "invite-email.png")

    accept = page.get_by_role("link", name=re.compile(r"\/invites\/accept\/"))
    href = accept.get_attribute("href")
    assert href and href.startswith(f"{site.url}/invites/accept/"), href
    accept.click()
    expect(page).to_have_url(href)
    expect(page.get_by_role("heading", name="Accept this Invite to Bill?")).to_be_visible()
    page.get_by_role("button", name="Accept").click()

    expect(page.get_by_role("heading", name="New pay app")).to_be_visible()
    success(page, "You accepted the Invite to Bill for SC-001 Concrete, Period 3.")
    expect(page.get_by_label("Invoice type")).to_have_value("work_and_materials")
    invoice_number = page.get_by_label("Invoice number")
    invoice_number.click()
    invoice_number.press_sequentially("ACME-0003")
    page.get_by_role("button", name="Create pay app").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Pay app #3 · SC-001 Concrete")
    success(page, "Pay app #3 created as a Draft.")
    expect(fact(page, "Status")).to_have_text("Draft")


def contact_fills_the_grid_with_the_keyboard(page: Page) -> None:
    """Type amounts, Enter down the column (never submitting), watch the G702 follow, save."""
    due_before = g702_value(page, "Current payment due").inner_text()
    assert due_before == "$0.00"
    set_marker(page)
    url = page.url

    first = work_cell(page, LINES[0])
    first.focus()
    expect(first).to_be_focused()
    for index, amount in enumerate(TYPED):
        type_amount(page, work_cell(page, LINES[index]), amount)
        if index + 1 < len(TYPED):
            page.keyboard.press("Enter")
            # Enter moves down the same column and submits nothing.
            expect(work_cell(page, LINES[index + 1])).to_be_focused()
            assert marker_survived(page) and page.url == url, "Enter submitted the grid"
    page.keyboard.press("Tab")  # Tab moves right along the row
    expect(percent_cell(page, LINES[2])).to_be_focused()

    due = payment_due(TYPED)
    work = sum((Decimal(amount) for amount in TYPED), Decimal("0"))
    expect(g702_value(page, "Current payment due")).to_have_text(money(due))
    expect(
        page.get_by_role("region", name=re.compile(r"G702")).get_by_text("Not saved")
    ).to_be_visible()
    grand_total = page.get_by_role("row", name=re.compile(r"^Grand total"))
    expect(grand_total).to_contain_text(money(work))  # column E of the G703
    # Each typed line's "% complete to date" input followed its amount (synced back).
    for line, amount in zip(LINES, TYPED, strict=True):
        expect(percent_cell(page, line)).to_have_value(percent_to_date(line, amount))
    assert marker_survived(page), "the live totals reloaded the page"
    assert_grid_fits(page)
    # The G702 summary at the top of the screen, the typed rows below it.
    page.get_by_role("region", name=re.compile(r"^Application summary")).evaluate(
        "card => card.scrollIntoView({block: 'start'})"
    )
    page.evaluate("window.scrollBy(0, -12)")
    expect(grid_row(page, LINES[2])).to_be_in_viewport(ratio=1)
    shot(page, "pay-app-form.png")

    page.get_by_role("button", name="Save", exact=True).click()
    success(page, "Pay app #3 saved.")
    expect(work_cell(page, LINES[0])).to_have_value("5,000.00")
    expect(work_cell(page, LINES[2])).to_have_value("2,345.60")
    expect(g702_value(page, "Current payment due")).to_have_text(money(due))

    page.get_by_role("button", name="Save and submit…").click()
    expect(page.get_by_role("heading", name="Submit pay app #3 for review?")).to_be_visible()
    expect(page.get_by_role("main")).to_contain_text(money(due))
    page.get_by_role("button", name="Submit for review").click()
    success(page, "Pay app #3 submitted for review.")
    expect(fact(page, "Status")).to_have_text("Under Review")


def admin_asks_for_revise_and_resubmit(page: Page) -> None:
    """The Admin opens the pay app from the Subcontractor tab, rejects line 2 with a reason."""
    log_in(page, ADMIN)
    open_project_tool(page, "Progress Billings")
    row = page.get_by_role("row").filter(has=page.get_by_role("link", name="SC-001"))
    expect(row).to_contain_text("Accepted")
    row.get_by_role("link", name="Under Review #3").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Pay app #3 · SC-001 Concrete")
    expect(page.get_by_text("Approve or reject each line")).to_be_visible()

    page.get_by_role("button", name="Approve all lines").click()
    line_2 = page.get_by_role("group", name=f"{LINES[1]}: review")
    expect(line_2.get_by_role("radio", name="Approve")).to_be_checked()
    line_2.get_by_role("radio", name="Reject").check()
    reason = page.get_by_label(f"{LINES[1]}: reason", exact=True)
    reason.click()
    reason.press_sequentially("Layout is 75% done: bill $3,000.00.")
    comment = page.get_by_label("Overall comment")
    comment.click()
    comment.press_sequentially("Line 2 is ahead of the work on site; the rest is fine.")
    page.get_by_label("Outcome").select_option(label="Revise & Resubmit")
    assert_grid_fits(page)
    reason.scroll_into_view_if_needed()
    page.evaluate("window.scrollBy(0, -250)")
    shot(page, "review.png")
    page.get_by_role("button", name="Record review").click()

    success(page, "Review recorded: Revise & Resubmit.")
    expect(fact(page, "Status")).to_have_text("Revise & Resubmit")


def contact_corrects_and_resubmits(page: Page) -> None:
    """The contact sees the reason next to the rejected line, edits it and resubmits."""
    log_out(page)
    log_in(page, CONTACT)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="My billing").click()
    page.get_by_role("link", name="Pay app #3").click()
    expect(fact(page, "Status")).to_have_text("Revise & Resubmit")
    expect(page.get_by_role("note")).to_contain_text("Line 2 is ahead of the work on site")
    rejected = grid_row(page, LINES[1])
    expect(rejected).to_contain_text("Rejected")
    expect(rejected).to_contain_text("Layout is 75% done: bill $3,000.00.")
    expect(grid_row(page, LINES[0])).not_to_contain_text("Rejected")

    type_amount(page, work_cell(page, LINES[1]), REVISED_LINE_2)
    page.keyboard.press("Tab")
    revised = [TYPED[0], REVISED_LINE_2, TYPED[2]]
    expect(g702_value(page, "Current payment due")).to_have_text(money(payment_due(revised)))
    page.get_by_role("button", name="Save", exact=True).click()
    success(page, "Pay app #3 saved.")
    expect(work_cell(page, LINES[1])).to_have_value("3,000.00")
    page.get_by_role("button", name="Save and submit…").click()
    page.get_by_role("button", name="Submit for review").click()
    success(page, "Pay app #3 submitted for review.")
    expect(fact(page, "Status")).to_have_text("Under Review")


def admin_approves(page: Page) -> None:
    """The Admin opens the pay app from the Pay Apps list and approves every line."""
    log_out(page)
    log_in(page, ADMIN)
    open_project_tool(page, "Pay Apps")
    row = (
        page.get_by_role("row")
        .filter(has=page.get_by_role("link", name="SC-001"))
        .filter(has=page.get_by_role("link", name="#3", exact=True))
    )
    expect(row).to_contain_text("Under Review")
    expect(row).to_contain_text(money(payment_due([TYPED[0], REVISED_LINE_2, TYPED[2]])))
    row.get_by_role("link", name="#3", exact=True).click()

    page.get_by_role("button", name="Approve all lines").click()
    expect(
        page.get_by_role("group", name=f"{LINES[1]}: review").get_by_role("radio", name="Approve")
    ).to_be_checked()
    page.get_by_label("Outcome").select_option(label="Approved")
    page.get_by_role("button", name="Record review").click()

    success(page, "Review recorded: Approved.")
    expect(fact(page, "Status")).to_have_text("Approved")
    assert history_entries(page) == [
        "Created",
        "Amounts edited",
        "Submitted",
        "Reviewed",
        "Amounts edited",
        "Resubmitted",
        "Reviewed",
    ]
    page.evaluate("window.scrollTo(0, 0)")
    shot(page, "pay-app-approved.png")
    # and the approved pay app's G702/G703 PDF downloads and reads back with the same figure
    with page.expect_download() as info:
        page.get_by_role("group", name="Download").get_by_role(
            "link", name="PDF", exact=True
        ).click()
    path = info.value.path()
    assert path is not None
    pdf = Path(path).read_bytes()
    text = "\n".join(page_.extract_text() for page_ in PdfReader(io.BytesIO(pdf)).pages)
    assert "APPLICATION AND CERTIFICATE FOR PAYMENT" in text
    assert "CONTINUATION SHEET" in text
    due = money(payment_due([TYPED[0], REVISED_LINE_2, TYPED[2]])).lstrip("$")
    assert due in text, (due, text[:800])


def test_an_invite_to_bill_becomes_a_submitted_pay_app(page: Page, site: Site) -> None:
    # given the demo project, period 3 Open, nobody invited
    # when the Admin invites SC-001 and SC-002 and Acme's contact answers from the email
    admin_sends_invites(page)
    contact_accepts_from_the_email(page, site)
    # then the contact bills with the keyboard and submits pay app #3
    contact_fills_the_grid_with_the_keyboard(page)


def test_a_rejected_line_is_revised_resubmitted_and_approved(
    submitted_pay_app: Any, page: Page
) -> None:
    # given Acme's pay app #3 as the first half leaves it: Under Review
    # when the Admin returns it with line 2 rejected and the contact corrects that line
    admin_asks_for_revise_and_resubmit(page)
    contact_corrects_and_resubmits(page)
    # then the Admin approves it and its history tells the whole story
    admin_approves(page)
