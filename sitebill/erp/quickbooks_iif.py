"""QuickBooks Desktop IIF: one vendor bill (`BILL`) per approved progress billing.

Source: Intuit's IIF reference for transactions (research/domain.md §4.1): a transaction is one
`TRNS` row, one `SPL` row per distribution, then `ENDTRNS`; the header rows `!TRNS`, `!SPL` and
`!ENDTRNS` name the columns of each row type; fields are tab-delimited and the first column
holds the keyword; TRNSTYPE, ACCNT and AMOUNT are required; `BILL` is "Bills from vendors";
NAME is the vendor; "debit amounts are always positive and credit amounts are always
negative", so the rows of a transaction sum to zero. QuickBooks has no retainage field on a
Desktop bill; DOMAIN.md §6 settles it: the bill is gross, with the retainage as a negative
split to a "Retainage Payable" liability.

The file sitebill writes (every value below is one tab-separated field; lines end in CRLF):

    !TRNS    TRNSID  TRNSTYPE  DATE  ACCNT  NAME  AMOUNT  DOCNUM  MEMO
    !SPL     SPLID   TRNSTYPE  DATE  ACCNT  NAME  AMOUNT  DOCNUM  MEMO
    !ENDTRNS
    then, per pay app:
    TRNS     (blank) BILL  <billing date>  Accounts Payable     <vendor>  -<line 8>    <doc>  <memo>
    SPL      (blank) BILL  <billing date>  Job Costs:<code>     (blank)   <gross>      <doc>  <memo>
      ... one SPL per cost code, in the order the codes first appear on the G703 ...
    SPL      (blank) BILL  <billing date>  Retainage Payable    (blank)   -<retainage> <doc>  <memo>
    ENDTRNS

- DATE is MM/DD/YYYY (DOMAIN.md §6; QuickBooks reads four-digit years) and is the pay app's
  billing date. TRNSID and SPLID are left blank: QuickBooks numbers the transactions itself.
- DOCNUM is the vendor's invoice number, or `SB-<pay app id>` when the vendor gave none.
- Each cost-code SPL debits (positive) the gross billed this period on that cost code's lines,
  E + new stored materials (`sitebill.erp.bills`), to the account `Job Costs:<cost code>` (a
  subaccount of "Job Costs"; lines without a cost code go to "Job Costs" itself).
- The retainage SPL credits (negative) "Retainage Payable" with the retainage held this period;
  a release this period makes it a debit (positive). It is left out when the retainage is zero.
- The TRNS row credits "Accounts Payable" with −(Σ SPL) = −(gross − retainage) = −(G702 line 8):
  the bill is owed the current payment due now; the retainage sits in Retainage Payable until
  it is released. So every TRNS block sums to exactly 0.00.
- A cost code whose lines net to zero gets no SPL; a pay app with nothing billed and nothing
  retained this period still gets one `Job Costs` SPL of 0.00, so that no TRNS stands alone.
- Text fields lose tabs, line breaks and double quotes (a tab or newline would start a new field
  or row; QuickBooks reads a leading quote as a quoted field): they become spaces and
  apostrophes.

`write_iif` is a pure function of `Bill`s: no query, no Django.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import Decimal

from sitebill.core.money import quantize
from sitebill.erp.bills import Bill

ZERO = Decimal("0.00")
NEWLINE = "\r\n"
ACCOUNTS_PAYABLE = "Accounts Payable"
RETAINAGE_PAYABLE = "Retainage Payable"
JOB_COSTS = "Job Costs"
COLUMNS = ("TRNSTYPE", "DATE", "ACCNT", "NAME", "AMOUNT", "DOCNUM", "MEMO")
HEADER = (
    ("!TRNS", "TRNSID", *COLUMNS),
    ("!SPL", "SPLID", *COLUMNS),
    ("!ENDTRNS",),
)


def write_iif(bills: Sequence[Bill]) -> str:
    """The IIF file of `bills`: the header rows, then one BILL transaction per bill."""
    rows: list[tuple[str, ...]] = list(HEADER)
    for bill in bills:
        rows.extend(_transaction(bill))
    return "".join("\t".join(_field(value) for value in row) + NEWLINE for row in rows)


def cost_account(cost_code: str) -> str:
    """The cost account a cost code's lines are debited to."""
    code = _field(cost_code.strip()).replace(":", "-")
    return f"{JOB_COSTS}:{code}" if code else JOB_COSTS


def _transaction(bill: Bill) -> list[tuple[str, ...]]:
    date = f"{bill.billing_date:%m/%d/%Y}"
    splits: list[tuple[str, Decimal]] = [
        (account, amount) for account, amount in _by_account(bill) if amount != ZERO
    ]
    if bill.retainage_this_period != ZERO:
        splits.append((RETAINAGE_PAYABLE, -bill.retainage_this_period))
    if not splits:
        splits.append((JOB_COSTS, ZERO))
    total = sum((amount for _account, amount in splits), ZERO)

    def fields(account: str, name: str, amount: Decimal) -> tuple[str, ...]:
        return ("BILL", date, account, name, _amount(amount), bill.invoice_number, bill.memo)

    return [
        ("TRNS", "", *fields(ACCOUNTS_PAYABLE, bill.vendor, -total)),
        *(("SPL", "", *fields(account, "", amount)) for account, amount in splits),
        ("ENDTRNS",),
    ]


def _by_account(bill: Bill) -> Iterable[tuple[str, Decimal]]:
    """Σ gross per cost account, in the order the cost codes first appear."""
    totals: dict[str, Decimal] = {}
    for line in bill.lines:
        account = cost_account(line.cost_code)
        totals[account] = totals.get(account, ZERO) + line.amount
    return totals.items()


def _amount(value: Decimal) -> str:
    return str(quantize(value))


def _field(value: str) -> str:
    for bad in ("\t", "\r\n", "\r", "\n"):
        value = value.replace(bad, " ")
    return value.replace('"', "'")
