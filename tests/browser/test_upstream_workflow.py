"""The demo's Open period billed upstream and sent to the ERP, clicked through in chromium.

Issue: "The demo project's Open period can be billed upstream in the browser: prefill, review,
approve, PDF downloaded and readable, ERP files produced and accepted; all covered by tests
that read the output files back."

Both tests start from the same state, built through the services (`approved_progress_billings`):
the Admin created SC-001's and SC-002's pay apps for the Open period on behalf of their contacts,
billed a few lines, submitted and approved them. Then, as the Admin:

1. Progress Billings -> Client tab -> "Create MC/Client payment application" for PC-001 with
   "Prefill from progress billings" ticked; the client pay app's G702 and its Concrete and
   Electrical lines are what the progress billings add up to by cost code (computed here from
   the database with `prefill_plan`), the Sources card lists SC-001 and SC-002; submit, approve,
   download the PDF and read the G702 figures back with pypdf.
2. SC-001's approved pay app -> "Send to ERP" (QuickBooks IIF) -> ERP Exports tab -> Accept ->
   download the file and parse it back: every TRNS block sums to 0.00 and the Accounts Payable
   line is minus the pay app's current payment due.

Two tests rather than one so that each stays well under a minute on a busy machine.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest
from playwright.sync_api import Locator, Page, expect

from sitebill.billing.models import BillingPeriod, PayApp
from sitebill.billing.selectors import Figures, pay_app_figures, pay_app_with_lines
from sitebill.contracts.models import Contract
from sitebill.upstream.selectors import prefill_plan
from tests.browser.conftest import Site, log_in
from tests.documents.conftest import after, pages_of, words
from tests.erp.parsing import parse_iif

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ADMIN = "admin@example.com"
PROJECT = "Riverside Medical Office Building"
CLIENT_CONTRACT = "PC-001"
CENT = Decimal("0.01")
# What each vendor bills this period, by cost code of its SOV lines ("work completed this period").
BILLED = {
    "SC-001": {"03-100": "5000.00", "03-110": "4000.00", "03-200": "2345.60"},
    "SC-002": {"26-050": "3000.00", "26-051": "1500.50", "27-100": "812.25"},
}
CONTACTS = {"SC-001": "billing@acme.example", "SC-002": "billing@bolt.example"}


def money(value: Decimal) -> str:
    """As the pages show money: "$10,211.04"."""
    return f"${value.quantize(CENT):,.2f}"


def plain(value: Decimal) -> str:
    """As the PDF and the grid inputs show money: "10,211.04"."""
    return f"{value.quantize(CENT):,.2f}"


def figures(pay_app: PayApp) -> Figures:
    return pay_app_figures(pay_app_with_lines(pay_app.pk))


@dataclass
class Approved:
    """The Open period and its approved progress billings, by commitment number."""

    period: BillingPeriod
    pay_apps: dict[str, PayApp]


@pytest.fixture
def approved_progress_billings(site: Site) -> Approved:
    """SC-001 and SC-002 billed for the Open period and approved, through the services."""
    from sitebill.accounts.models import User
    from sitebill.billing.services.pay_apps import (
        LineChange,
        pay_app_create,
        pay_app_lines_update,
        pay_app_review,
        pay_app_submit,
    )

    admin = User.objects.get(email=ADMIN)
    period = BillingPeriod.objects.get(project=site.project, status=BillingPeriod.Status.OPEN)
    pay_apps: dict[str, PayApp] = {}
    for number, amounts in BILLED.items():
        contract = Contract.objects.get(project=site.project, number=number)
        pay_app = pay_app_create(
            actor=admin,
            contract=contract,
            billing_period=period,
            on_behalf_of=User.objects.get(email=CONTACTS[number]),
            invoice_number=f"{number}-P{period.number}",
        )
        lines = {line.cost_code: line for line in pay_app.lines.all()}
        pay_app_lines_update(
            actor=admin,
            pay_app=pay_app,
            version=pay_app.version,
            changes=[
                LineChange(line_id=lines[code].pk, work_completed_this_period=Decimal(amount))
                for code, amount in amounts.items()
            ],
        )
        pay_app.refresh_from_db()
        pay_app_submit(actor=admin, pay_app=pay_app, version=pay_app.version)
        pay_app.refresh_from_db()
        pay_app_review(actor=admin, pay_app=pay_app, version=pay_app.version, status="approved")
        pay_app.refresh_from_db()
        assert pay_app.status == PayApp.Status.APPROVED
        pay_apps[number] = pay_app
    return Approved(period=period, pay_apps=pay_apps)


# ------------------------------------------------------------------------------------------
# Locators in the page's own words


def fact(page: Page, term: str) -> Locator:
    """The value of one term of the page's facts list (Status, Invoice type, ...)."""
    return page.locator("dl.facts dt", has_text=re.compile(rf"^{re.escape(term)}$")).locator(
        "xpath=following-sibling::dd[1]"
    )


def g702_value(page: Page, row: str) -> Locator:
    summary = page.get_by_role("region", name=re.compile(r"^Application summary \(G702\)"))
    return summary.get_by_role("row", name=re.compile(re.escape(row))).get_by_role("cell")


def success(page: Page, text: str) -> None:
    expect(page.get_by_role("status").filter(has_text=text)).to_be_visible()


def open_project_tool(page: Page, tool: str) -> None:
    """Projects -> the project -> one of its tabs, by clicking."""
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Projects").click()
    page.get_by_role("link", name=PROJECT).click()
    expect(page.get_by_role("heading", level=1, name=PROJECT)).to_be_visible()
    page.get_by_role("navigation", name="Project").get_by_role("link", name=tool).click()


def download(page: Page, link: Locator) -> tuple[str, bytes]:
    """Click a download link; the file's suggested name and its bytes."""
    with page.expect_download() as info:
        link.click()
    file = info.value
    path = file.path()
    assert path is not None, file.failure()
    return file.suggested_filename, Path(path).read_bytes()


# ------------------------------------------------------------------------------------------
# The steps


def admin_creates_the_prefilled_client_pay_app(page: Page, period: BillingPeriod) -> None:
    """Progress Billings -> Client tab -> Create MC/Client payment application, prefilled."""
    log_in(page, ADMIN)
    open_project_tool(page, "Progress Billings")
    page.get_by_role("navigation", name="Progress Billings").get_by_role(
        "link", name="Client"
    ).click()
    expect(page.get_by_role("heading", name="Client", exact=True)).to_be_visible()
    block = page.get_by_role("region", name=re.compile(rf"^{CLIENT_CONTRACT}\b"))
    expect(block).to_contain_text("No MC/Client payment application yet.")
    block.locator("summary", has_text="Create MC/Client payment application").click()
    block.get_by_label("Billing period").select_option(value=str(period.pk))
    prefill = block.get_by_label("Prefill from progress billings")
    prefill.check()
    expect(prefill).to_be_checked()
    block.get_by_role("button", name="Create MC/Client payment application").click()

    success(
        page,
        "MC/Client payment application #1 created as a Draft and prefilled from progress billings.",
    )
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Pay app #1 · PC-001 Prime contract: Riverside MOB"
    )
    expect(fact(page, "Status")).to_have_text("Draft")


def the_client_pay_app_adds_up(page: Page, client: PayApp, period: BillingPeriod) -> Decimal:
    """The G702 and the prefilled lines are the progress billings summed by cost code."""
    plan = prefill_plan(contract=client.contract, billing_period=period)
    by_code = {line.client.cost_code: line for line in plan.lines}
    # Summed here from the sub lines by cost-code prefix, independently of the plan.
    concrete = sum((Decimal(a) for a in BILLED["SC-001"].values()), Decimal("0"))
    electrical = sum(
        (Decimal(a) for code, a in BILLED["SC-002"].items() if code.startswith("26")),
        Decimal("0"),
    )
    communications = Decimal(BILLED["SC-002"]["27-100"])
    assert by_code["03"].work_completed_this_period == concrete
    assert by_code["26"].work_completed_this_period == electrical
    assert by_code["27"].work_completed_this_period == communications
    assert {source.contract.number for source in plan.sources} == {"SC-001", "SC-002"}
    assert plan.unmatched == ()

    g702 = figures(client).g702
    work = concrete + electrical + communications
    assert figures(client).totals.work_completed_this_period == work
    # PC-001 holds 5% on completed work, rounded half up per line; nothing billed before.
    retainage = sum(
        (
            (amount * Decimal("0.05")).quantize(CENT, rounding=ROUND_HALF_UP)
            for amount in (concrete, electrical, communications)
        ),
        Decimal("0"),
    )
    expected_due = work - retainage
    assert g702.current_payment_due == expected_due

    expect(g702_value(page, "Current payment due")).to_have_text(money(expected_due))
    expect(g702_value(page, "Total completed & stored to date")).to_have_text(money(work))
    for code, amount in (("03", concrete), ("26", electrical), ("27", communications)):
        line = by_code[code].client
        cell = page.get_by_label(
            f"Line {line.item_number} {line.description}: work completed this period",
            exact=True,
        )
        expect(cell).to_have_value(plain(amount))

    sources = page.get_by_role("region", name="Sources")
    expect(sources).to_contain_text("Prefilled from 2 progress billings")
    used = sources.get_by_role("table").last
    for number in ("SC-001", "SC-002"):
        expect(used.get_by_role("link", name=re.compile(rf"^{number} "))).to_be_visible()
    concrete_row = sources.get_by_role("row").filter(has_text=re.compile(r"^\s*2 Concrete"))
    expect(concrete_row).to_contain_text(money(concrete))
    return expected_due


def admin_submits_and_approves(page: Page) -> None:
    page.get_by_role("button", name="Save and submit…").click()
    expect(page.get_by_role("heading", name="Submit pay app #1 for review?")).to_be_visible()
    page.get_by_role("button", name="Submit for review").click()
    success(page, "Pay app #1 submitted for review.")
    expect(fact(page, "Status")).to_have_text("Under Review")

    page.get_by_role("button", name="Approve all lines").click()
    page.get_by_label("Outcome").select_option(label="Approved")
    page.get_by_role("button", name="Record review").click()
    success(page, "Review recorded: Approved.")
    expect(fact(page, "Status")).to_have_text("Approved")


def the_pdf_reads_back(page: Page, client: PayApp, due: Decimal) -> None:
    downloads = page.get_by_role("group", name="Download")
    name, pdf = download(page, downloads.get_by_role("link", name="PDF", exact=True))
    assert name.endswith(".pdf"), name
    assert pdf.startswith(b"%PDF"), pdf[:20]
    pages = pages_of(pdf)
    g702 = figures(client).g702
    first = pages[0]
    assert "APPLICATION AND CERTIFICATE FOR PAYMENT" in first
    assert after(first, "8. CURRENT PAYMENT DUE") == [plain(due)]
    assert after(first, "4. TOTAL COMPLETED & STORED TO DATE (Column G on G703)") == [
        plain(g702.total_completed_and_stored_to_date)
    ]
    assert after(first, "1. ORIGINAL CONTRACT SUM") == [plain(g702.original_contract_sum)]
    assert any("CONTINUATION SHEET" in words(lines) for lines in pages[1:])


def admin_sends_sc001_to_the_erp(page: Page, pay_app: PayApp) -> None:
    """SC-001's approved pay app -> ERP card -> Send to ERP (QuickBooks IIF)."""
    log_in(page, ADMIN)
    open_project_tool(page, "Pay Apps")
    row = (
        page.get_by_role("row")
        .filter(has=page.get_by_role("link", name="SC-001"))
        .filter(has=page.get_by_role("link", name=f"#{pay_app.number}", exact=True))
    )
    expect(row).to_contain_text("Approved")
    row.get_by_role("link", name=f"#{pay_app.number}", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        f"Pay app #{pay_app.number} · SC-001 Concrete"
    )
    erp = page.get_by_role("region", name="ERP")
    expect(fact(page, "ERP status")).to_have_text("Not sent")
    send = erp.get_by_role("form", name="Send to ERP")
    send.get_by_label("Format").select_option(label="QuickBooks Desktop (IIF)")
    send.get_by_role("button", name="Send to ERP").click()
    success(page, "1 pay app sent to the ERP queue as export")


def admin_accepts_and_reads_the_file(page: Page, pay_app: PayApp) -> None:
    """ERP Exports tab -> Accept -> download the IIF and parse it back."""
    page.get_by_role("navigation", name="Project").get_by_role("link", name="ERP Exports").click()
    expect(page.get_by_role("heading", name="ERP Exports", exact=True)).to_be_visible()
    due = figures(pay_app).g702.current_payment_due
    assert due > 0
    sendable = page.get_by_role("region", name="Send to ERP")
    sent_row = (
        sendable.get_by_role("row")
        .filter(has=page.get_by_role("link", name=f"#{pay_app.number}", exact=True))
        .filter(has_text="SC-001")
    )
    expect(sent_row).to_contain_text(money(due))
    exports = page.get_by_role("region", name="ERP Exports")
    row = exports.get_by_role("row").filter(has_text="QuickBooks Desktop (IIF)")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Ready to Export")
    expect(row).to_contain_text(f"SC-001 #{pay_app.number} Acme Concrete")
    row.get_by_role("button", name="Accept").click()
    success(page, "accepted:")
    expect(row).to_contain_text("Exported")

    link = row.get_by_role("link", name=re.compile(r"^Download .+\.iif$"))
    name, content = download(page, link)
    assert name.endswith(".iif"), name
    text = content.decode("windows-1252")
    rows = text.split("\r\n")[:-1]
    assert all("\t" in row for row in rows if row not in ("!ENDTRNS", "ENDTRNS")), rows
    transactions = parse_iif(text)
    assert len(transactions) == 1
    for transaction in transactions:
        assert transaction.total == Decimal("0.00")
    bill = transactions[0]
    assert bill.trns["TRNSTYPE"] == "BILL"
    assert bill.trns["ACCNT"] == "Accounts Payable"
    assert bill.trns["NAME"] == "Acme Concrete"
    assert Decimal(bill.trns["AMOUNT"]) == -due
    gross = sum((Decimal(amount) for amount in BILLED["SC-001"].values()), Decimal("0"))
    costs = [split for split in bill.splits if split["ACCNT"].startswith("Job Costs:")]
    assert sum((Decimal(split["AMOUNT"]) for split in costs), Decimal("0")) == gross
    assert {split["ACCNT"] for split in costs} == {f"Job Costs:{code}" for code in BILLED["SC-001"]}
    pay_app.refresh_from_db()
    assert pay_app.erp_status == PayApp.ErpStatus.EXPORTED


# ------------------------------------------------------------------------------------------
# The tests


def test_the_open_period_is_billed_upstream_and_its_pdf_reads_back(
    approved_progress_billings: Approved, page: Page
) -> None:
    # given SC-001 and SC-002 approved for the Open period
    period = approved_progress_billings.period
    # when the Admin creates PC-001's pay app prefilled from them
    admin_creates_the_prefilled_client_pay_app(page, period)
    client = PayApp.objects.get(contract__number=CLIENT_CONTRACT, billing_period=period)
    # then its lines and G702 are the progress billings summed by cost code
    due = the_client_pay_app_adds_up(page, client, period)
    # and once submitted and approved, its PDF carries the same figures
    admin_submits_and_approves(page)
    client.refresh_from_db()
    assert client.status == PayApp.Status.APPROVED
    the_pdf_reads_back(page, client, due)


def test_an_approved_progress_billing_is_exported_to_quickbooks(
    approved_progress_billings: Approved, page: Page
) -> None:
    # given SC-001's pay app approved for the Open period
    pay_app = approved_progress_billings.pay_apps["SC-001"]
    # when the Admin sends it to the ERP and accepts the export
    admin_sends_sc001_to_the_erp(page, pay_app)
    # then the IIF file balances and bills what the pay app says is due
    admin_accepts_and_reads_the_file(page, pay_app)
