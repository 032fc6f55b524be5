"""Sage 300 CRE (Timberline) Accounts Payable invoice import: one invoice per progress billing.

Sources (research/domain.md §4.3):
- Sage KB "Import invoices, variable format": a file of comma-separated records, each starting
  with its record ID; an invoice record `API` is followed by its distribution records `APD`.
  API fields 1-9 are Record ID, Vendor (≤ 10), Invoice (≤ 15), Description (≤ 30), Amount
  (-9.2, required when the distributions do not sum to zero), Tax, Discount Offered, Misc
  Deduction, Invoice Date. The rest of the variable layout (and all of APD) depends on the AP
  Settings of the company file: Sage says to check AP > Tools > Import Invoices > Import Format.
- Procore's "Which fields in a Procore subcontractor invoice sync with Sage 300 CRE" gives what
  goes where, and DOMAIN.md §6 adopts it: header = vendor, invoice number, billing date,
  amount = current payment due + retainage held this period, retainage; distributions per line
  = commitment, job (project number), cost code, category, description, amount = work this
  period + new stored materials, retainage this period. Tax is not exported (as in Procore).

Why this layout: the *variable* format (record-type prefixes, comma-separated) rather than the
fixed one (APIF/APDF), because the fixed layouts of the distribution records were not available
to us and a fixed-width file that is off by one column imports garbage, whereas a variable file
is matched field by field by the Import Format set up in Sage. Fields 1-9 of `API` follow the
Sage KB exactly; the fields after them and the `APD` fields are the Procore mapping, in the
order below. Set Sage's import format to this order once (or map the file) before importing.

The file sitebill writes: CSV (RFC 4180 quoting, every field quoted like Sage's samples), CRLF
line endings, no header row, dates MM/DD/YYYY, amounts with two places and a leading "-" when
negative; per pay app one `API` record, then one `APD` record per G703 line billed or retained
this period (lines with a zero amount and zero retainage are left out):

    API record                                      APD record
    1  "API"                                        1  "APD"
    2  Vendor: the vendor's name                    2  Commitment: commitment number
    3  Invoice: the vendor's invoice number,        3  Commitment line item: G703 item number
       or SB-<pay app id>                           4  Job: project number
    4  Description: "<commitment> pay app #<n>"     5  Extra: blank (sitebill has no sub jobs)
    5  Amount: line 8 + retainage this period       6  Cost code
       (= Σ APD amounts)                            7  Category: "S" (subcontract) or
    6  Tax: blank                                      "M" (purchase order)
    7  Discount offered: blank                      8  Description: the line's (≤ 30)
    8  Misc deduction: blank                        9  Amount: E + new stored materials
    9  Invoice date: the billing date               10 Retainage: retainage this period
    10 Accounting date: the period's end date
    11 Retainage: retainage held this period (= Σ APD retainage)

Texts longer than Sage's field lengths (descriptions 30) are cut to fit; the vendor and the
invoice number are never cut (a cut one could name another vendor or invoice): Sage refuses a
too-long one on import, which is the safe failure. A negative retainage is retainage released
on this pay app.

`write_sage300` is a pure function of `Bill`s: no query, no Django.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from decimal import Decimal

from sitebill.core.money import quantize
from sitebill.erp.bills import Bill, BillLine

ZERO = Decimal("0.00")
DESCRIPTION_LENGTH = 30
CATEGORIES = {"subcontract": "S", "purchase_order": "M"}


def write_sage300(invoices: Sequence[Bill]) -> str:
    """The AP invoice import file of `invoices`: an API record, then its APD records, each."""
    out = io.StringIO()
    writer = csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    for bill in invoices:
        writer.writerow(_invoice(bill))
        for line in bill.lines:
            if line.amount != ZERO or line.retainage_this_period != ZERO:
                writer.writerow(_distribution(bill, line))
    return out.getvalue()


def _invoice(bill: Bill) -> list[str]:
    return [
        "API",
        bill.vendor,
        bill.invoice_number,
        _cut(f"{bill.commitment_number} pay app #{bill.pay_app_number}"),
        _amount(bill.current_payment_due + bill.retainage_this_period),
        "",
        "",
        "",
        f"{bill.billing_date:%m/%d/%Y}",
        f"{bill.accounting_date:%m/%d/%Y}",
        _amount(bill.retainage_this_period),
    ]


def _distribution(bill: Bill, line: BillLine) -> list[str]:
    return [
        "APD",
        bill.commitment_number,
        line.item_number,
        bill.project_number,
        "",
        line.cost_code,
        CATEGORIES.get(bill.commitment_kind, "S"),
        _cut(line.description),
        _amount(line.amount),
        _amount(line.retainage_this_period),
    ]


def _amount(value: Decimal) -> str:
    return str(quantize(value))


def _cut(text: str) -> str:
    return " ".join(text.split())[:DESCRIPTION_LENGTH]
