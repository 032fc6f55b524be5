"""What an ERP file says about one approved progress billing: plain data, no Django.

`Bill` is the one input of both writers (`quickbooks_iif.write_iif`, `sage300.write_sage300`);
`sitebill.erp.selectors.erp_bills` builds it from a pay app's figures. Keeping the writers pure
functions of this data means a test can build a `Bill` by hand and parse the file back.

The amounts of a bill (DOMAIN.md §6, research/domain.md §4.3, Procore's Sage 300 CRE mapping):
- per line, the **gross billed this period** = E (work completed this period) + the **new stored
  materials** (F at the end of this period less the F carried in from the previous pay app). It
  is the line's G less its G on the previous pay app: materials installed this period move from F
  into E and are not billed twice.
- per line, the **retainage this period** (`LineResult.retainage_this_period`): held to date less
  held on the previous pay app; negative when retainage is released.
- the bill's gross is Σ line gross, its retainage Σ line retainage, and it **ties** to the pay
  app: gross − retainage = G702 line 8 (current payment due), because line 7 is line 6 of the
  previous pay app. `check_ties` refuses a bill that does not tie rather than export an amount
  that disagrees with the pay app.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

ZERO = Decimal("0.00")


@dataclass(frozen=True)
class BillLine:
    """One G703 line as an ERP distribution."""

    item_number: str
    description: str
    cost_code: str
    work_this_period: Decimal  # E
    new_stored_materials: Decimal  # F − F carried in
    retainage_this_period: Decimal

    @property
    def amount(self) -> Decimal:
        """Gross billed on this line this period: E + new stored materials."""
        return self.work_this_period + self.new_stored_materials


@dataclass(frozen=True)
class Bill:
    """One approved progress billing as a vendor bill / AP invoice."""

    pay_app_id: int
    pay_app_number: int
    vendor: str
    invoice_number: str
    billing_date: dt.date
    accounting_date: dt.date
    project_number: str
    commitment_number: str
    commitment_kind: str  # "subcontract" or "purchase_order"
    period_number: int
    current_payment_due: Decimal  # G702 line 8
    lines: tuple[BillLine, ...]

    @property
    def gross(self) -> Decimal:
        """Σ line gross: the cost of the work billed this period."""
        return sum((line.amount for line in self.lines), ZERO)

    @property
    def retainage_this_period(self) -> Decimal:
        return sum((line.retainage_this_period for line in self.lines), ZERO)

    @property
    def memo(self) -> str:
        return (
            f"{self.project_number} {self.commitment_number} pay app #{self.pay_app_number}, "
            f"period {self.period_number}"
        )


class BillDoesNotTie(ValueError):
    """A bill whose lines disagree with its pay app's current payment due."""


def check_ties(bill: Bill) -> None:
    """Raise `BillDoesNotTie` unless gross − retainage this period = G702 line 8."""
    net = bill.gross - bill.retainage_this_period
    if net != bill.current_payment_due:
        raise BillDoesNotTie(
            f"pay app #{bill.pay_app_number} of {bill.commitment_number}: its lines bill "
            f"{bill.gross} less {bill.retainage_this_period} retainage = {net} this period, but "
            f"its current payment due is {bill.current_payment_due}"
        )
