"""The two ERP writers as pure functions of bills: exact layout, balance, and awkward text."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from sitebill.erp.bills import Bill, BillDoesNotTie, BillLine, check_ties
from sitebill.erp.quickbooks_iif import write_iif
from sitebill.erp.sage300 import write_sage300
from tests.erp.parsing import parse_iif, parse_sage300

D = Decimal


def line(code, work, stored="0.00", retainage="0.00", item="1", description="Footings"):
    return BillLine(
        item_number=item,
        description=description,
        cost_code=code,
        work_this_period=D(work),
        new_stored_materials=D(stored),
        retainage_this_period=D(retainage),
    )


def bill(*lines, due=None, vendor="Acme Concrete", invoice="INV-7", kind="subcontract"):
    gross = sum((x.amount for x in lines), D("0.00"))
    retainage = sum((x.retainage_this_period for x in lines), D("0.00"))
    return Bill(
        pay_app_id=41,
        pay_app_number=2,
        vendor=vendor,
        invoice_number=invoice,
        billing_date=dt.date(2026, 12, 3),
        accounting_date=dt.date(2026, 11, 30),
        project_number="P-100",
        commitment_number="SC-001",
        commitment_kind=kind,
        period_number=3,
        current_payment_due=D(due) if due is not None else gross - retainage,
        lines=tuple(lines),
    )


THREE_LINES = bill(
    line("03-300", "10000.00", retainage="1000.00", item="1"),
    line("03-350", "4000.00", stored="1000.00", retainage="500.00", item="2", description="Slab"),
    line("03-300", "2000.00", retainage="200.00", item="3", description="Walls"),
)


# --- QuickBooks Desktop IIF ----------------------------------------------------------------------


def test_the_iif_file_is_the_header_rows_then_one_bill_per_pay_app():
    # when
    text = write_iif([THREE_LINES])
    # then: tab-separated, CRLF, gross split by cost code, retainage as a negative split
    assert text.split("\r\n") == [
        "!TRNS\tTRNSID\tTRNSTYPE\tDATE\tACCNT\tNAME\tAMOUNT\tDOCNUM\tMEMO",
        "!SPL\tSPLID\tTRNSTYPE\tDATE\tACCNT\tNAME\tAMOUNT\tDOCNUM\tMEMO",
        "!ENDTRNS",
        "TRNS\t\tBILL\t12/03/2026\tAccounts Payable\tAcme Concrete\t-15300.00\tINV-7"
        "\tP-100 SC-001 pay app #2, period 3",
        "SPL\t\tBILL\t12/03/2026\tJob Costs:03-300\t\t12000.00\tINV-7"
        "\tP-100 SC-001 pay app #2, period 3",
        "SPL\t\tBILL\t12/03/2026\tJob Costs:03-350\t\t5000.00\tINV-7"
        "\tP-100 SC-001 pay app #2, period 3",
        "SPL\t\tBILL\t12/03/2026\tRetainage Payable\t\t-1700.00\tINV-7"
        "\tP-100 SC-001 pay app #2, period 3",
        "ENDTRNS",
        "",
    ]


def test_every_iif_transaction_sums_to_zero_and_credits_payables_with_the_payment_due():
    # given two bills, one of them releasing retainage (a positive split to Retainage Payable)
    release = bill(
        line("03-300", "0.00", retainage="-750.00"),
        line("03-350", "300.00", retainage="30.00"),
    )
    # when
    transactions = parse_iif(write_iif([THREE_LINES, release]))
    # then
    assert [t.total for t in transactions] == [D("0.00"), D("0.00")]
    assert [t.trns["AMOUNT"] for t in transactions] == ["-15300.00", "-1020.00"]
    assert [(s["ACCNT"], s["AMOUNT"]) for s in transactions[1].splits] == [
        ("Job Costs:03-350", "300.00"),
        ("Retainage Payable", "720.00"),
    ]


def test_a_bill_with_nothing_this_period_still_has_one_split():
    transactions = parse_iif(write_iif([bill(line("03-300", "0.00"))]))
    assert transactions[0].trns["AMOUNT"] == "0.00"
    assert [(s["ACCNT"], s["AMOUNT"]) for s in transactions[0].splits] == [("Job Costs", "0.00")]


def test_iif_text_never_breaks_a_field_or_a_row():
    # given a vendor and an invoice number with a tab, a line break and quotes
    awkward = bill(
        line("", "100.00"), vendor='Acme\t"Best"\r\nConcrete', invoice="INV\t9", due="100.00"
    )
    # when
    (transaction,) = parse_iif(write_iif([awkward]))
    # then
    assert transaction.trns["NAME"] == "Acme 'Best' Concrete"
    assert transaction.trns["DOCNUM"] == "INV 9"
    assert transaction.splits[0]["ACCNT"] == "Job Costs"


# --- Sage 300 CRE -------------------------------------------------------------------------------


def test_the_sage_file_is_an_api_record_then_one_apd_record_per_line():
    # when
    text = write_sage300([THREE_LINES])
    # then
    assert text.split("\r\n") == [
        '"API","Acme Concrete","INV-7","SC-001 pay app #2","17000.00","","","",'
        '"12/03/2026","11/30/2026","1700.00"',
        '"APD","SC-001","1","P-100","","03-300","S","Footings","10000.00","1000.00"',
        '"APD","SC-001","2","P-100","","03-350","S","Slab","5000.00","500.00"',
        '"APD","SC-001","3","P-100","","03-300","S","Walls","2000.00","200.00"',
        "",
    ]


def test_the_sage_header_amount_is_the_sum_of_its_distributions():
    # given two invoices, a purchase order among them
    second = bill(line("05-100", "250.50", retainage="25.05"), kind="purchase_order")
    # when
    invoices = parse_sage300(write_sage300([THREE_LINES, second]))
    # then
    for invoice in invoices:
        assert D(invoice.header[4]) == sum((D(d[8]) for d in invoice.distributions), D("0"))
        assert D(invoice.header[10]) == sum((D(d[9]) for d in invoice.distributions), D("0"))
    assert D(invoices[1].header[4]) == second.current_payment_due + D("25.05")
    assert invoices[1].distributions[0][6] == "M"


def test_sage_leaves_out_lines_with_nothing_this_period_and_cuts_long_descriptions():
    # given
    long = "Cast-in-place concrete, elevated slabs, level 3, east wing"
    text = write_sage300(
        [bill(line("03-300", "0.00"), line("03-350", "100.00", description=long, item="2"))]
    )
    # when
    (invoice,) = parse_sage300(text)
    # then
    assert [d[2] for d in invoice.distributions] == ["2"]
    assert invoice.distributions[0][7] == "Cast-in-place concrete, elevat"


def test_sage_quotes_commas_and_quotes_in_text():
    text = write_sage300([bill(line("03-300", "1.00"), vendor='Acme, "The" Co', due="1.00")])
    (invoice,) = parse_sage300(text)
    assert invoice.header[1] == 'Acme, "The" Co'
    assert text.startswith('"API","Acme, ""The"" Co",')


# --- Tying a bill to its pay app ------------------------------------------------------------------


def test_a_bill_whose_lines_disagree_with_the_payment_due_does_not_tie():
    check_ties(THREE_LINES)
    expected = r"= 15000.00 this period, but its current payment due is 14000.00"
    with pytest.raises(BillDoesNotTie, match=expected):
        check_ties(bill(line("03-300", "16700.00", retainage="1700.00"), due="14000.00"))
