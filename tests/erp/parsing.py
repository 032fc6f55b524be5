"""Reading the ERP files back, the way QuickBooks and Sage would split them."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from decimal import Decimal


@dataclass
class IifTransaction:
    trns: dict[str, str]
    splits: list[dict[str, str]] = field(default_factory=list)

    @property
    def total(self) -> Decimal:
        return Decimal(self.trns["AMOUNT"]) + sum(
            (Decimal(split["AMOUNT"]) for split in self.splits), Decimal("0.00")
        )


def parse_iif(text: str) -> list[IifTransaction]:
    """The TRNS blocks of an IIF file, each row as {column: value} after its `!` header."""
    assert text.endswith("\r\n")
    rows = [line.split("\t") for line in text.split("\r\n")[:-1]]
    assert all("\n" not in "".join(row) and "\r" not in "".join(row) for row in rows)
    columns: dict[str, list[str]] = {}
    transactions: list[IifTransaction] = []
    current: IifTransaction | None = None
    for row in rows:
        keyword = row[0]
        if keyword.startswith("!"):
            columns[keyword[1:]] = row
            continue
        named = dict(zip(columns[keyword][1:], row[1:], strict=True))
        if keyword == "TRNS":
            assert current is None, "a TRNS inside an open transaction"
            current = IifTransaction(trns=named)
        elif keyword == "SPL":
            assert current is not None, "an SPL outside a transaction"
            current.splits.append(named)
        else:
            assert keyword == "ENDTRNS" and current is not None
            transactions.append(current)
            current = None
    assert current is None, "a transaction without ENDTRNS"
    return transactions


@dataclass
class SageInvoice:
    header: list[str]
    distributions: list[list[str]] = field(default_factory=list)


def parse_sage300(text: str) -> list[SageInvoice]:
    """The API records of a Sage 300 CRE import, each with its APD records."""
    assert text.endswith("\r\n")
    invoices: list[SageInvoice] = []
    for record in csv.reader(io.StringIO(text, newline="")):
        if record[0] == "API":
            invoices.append(SageInvoice(header=record))
        else:
            assert record[0] == "APD" and invoices, record
            invoices[-1].distributions.append(record)
    return invoices
