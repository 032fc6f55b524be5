"""Importing an SOV from CSV and XLSX: preview saves nothing, apply is all or nothing."""

from __future__ import annotations

import io
import zipfile
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

import sitebill.contracts.sov_import as sov_import_module
from sitebill.billing.models import PayApp
from sitebill.contracts.models import Contract, SOVLine
from sitebill.contracts.sov_import import (
    EMPTY_FILE,
    NEGATIVE_VALUE,
    NO_ROWS,
    NOT_A_SPREADSHEET,
    NOT_UTF8,
    TEMPLATE_NAME,
    TOO_MANY_ROWS,
    ImportPreview,
    ImportRow,
    RowError,
    sov_import_apply,
    sov_import_preview,
)
from sitebill.core.exceptions import NotFound, PermissionDenied, ValidationFailed
from sitebill.core.models import Event
from tests import factories

FIXTURES = Path(__file__).parent / "fixtures"
HEADER = "Item,Description,Cost Code,Scheduled Value\n"


def csv_file(text: str) -> io.BytesIO:
    return io.BytesIO(text.encode("utf-8"))


def xlsx_file(rows: dict[int, list[Any]]) -> io.BytesIO:
    """A workbook whose first sheet has `rows` (spreadsheet row number -> cell values)."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row_number, values in rows.items():
        for column, value in enumerate(values, start=1):
            sheet.cell(row=row_number, column=column, value=value)
    buffer = io.BytesIO()
    workbook.save(buffer)
    buffer.seek(0)
    return buffer


def preview_csv(contract: Contract, text: str, filename: str = "sov.csv") -> ImportPreview:
    return sov_import_preview(contract=contract, file=csv_file(text), filename=filename)


def row(number: int, item: str, description: str, code: str, value: str, **unit: Any) -> ImportRow:
    return ImportRow(
        row_number=number,
        item_number=item,
        description=description,
        cost_code=code,
        scheduled_value=Decimal(value),
        quantity=unit.get("quantity"),
        unit=unit.get("unit", ""),
        unit_price=unit.get("unit_price"),
    )


@pytest.fixture
def empty_contract(world: Any) -> Contract:
    return factories.ContractFactory(
        project=world.project, number="SC-003", title="Masonry", counterparty=world.vendor
    )


@pytest.fixture
def unit_contract(world: Any) -> Contract:
    return factories.ContractFactory(
        project=world.project,
        number="PO-001",
        kind=Contract.Kind.PURCHASE_ORDER,
        title="Aggregates",
        counterparty=world.vendor,
        accounting_method=Contract.AccountingMethod.UNIT,
    )


# --- parsing ---------------------------------------------------------------------------------


def test_a_csv_is_read_exactly(empty_contract):
    # given
    text = (
        "Item Number,Description,Cost Code,Scheduled Value,Quantity,Unit,Unit Price\n"
        '1,General conditions,01-000,"12,500.00",,,\n'
        '2,"Slab on grade, level 1",03-300,"$45,000.00",1500,SF,30.00\n'
        "3,Allowance,,0,,,\n"
        "2A,  Sealer  ,09-900,1250,,,\n"
    )
    # when
    preview = preview_csv(empty_contract, text)
    # then
    assert preview.ok
    assert preview.errors == []
    assert preview.rows == [
        row(2, "1", "General conditions", "01-000", "12500.00"),
        row(
            3,
            "2",
            "Slab on grade, level 1",
            "03-300",
            "45000.00",
            quantity=Decimal("1500"),
            unit="SF",
            unit_price=Decimal("30.00"),
        ),
        row(4, "3", "Allowance", "", "0.00"),
        row(5, "2A", "Sealer", "09-900", "1250.00"),
    ]
    assert preview.total == Decimal("58750.00")
    assert str(preview.rows[0].scheduled_value) == "12500.00"


def test_the_sample_file_with_a_bom_an_extra_column_and_a_blank_line(empty_contract):
    # given Excel's "CSV UTF-8": a byte-order mark, "Item No." / "Amount" headers, a Notes column
    with open(FIXTURES / "sov_sample.csv", "rb") as file:
        # when
        preview = sov_import_preview(contract=empty_contract, file=file, filename="sov_sample.csv")
    # then the blank line is skipped and the rows keep their spreadsheet numbers
    assert preview.errors == []
    assert preview.rows == [
        row(2, "10", "Mobilization", "01-500", "2500.00"),
        row(3, "11", "Footings", "03-100", "18250.50"),
        row(5, "12", "Slab on grade, level 1", "03-300", "40000.00"),
    ]
    assert preview.total == Decimal("60750.50")


def test_a_semicolon_separated_csv_is_sniffed(empty_contract):
    # given
    text = "Item;Description;Code;Amount\n1;Rebar, #5 bars;03-200;1,250.00\n2;Mesh;03-210;75\n"
    # when
    preview = preview_csv(empty_contract, text)
    # then
    assert preview.errors == []
    assert preview.rows == [
        row(2, "1", "Rebar, #5 bars", "03-200", "1250.00"),
        row(3, "2", "Mesh", "03-210", "75.00"),
    ]


def test_an_xlsx_is_read_exactly_without_float_arithmetic(empty_contract):
    # given number cells as openpyxl gives them (int, float, Decimal) and text cells
    file = xlsx_file(
        {
            1: ["Item No.", "Description of Work", "Cost Code", "Scheduled Value", "Notes"],
            2: [1, "Mobilization", "01-500", 2500, "deposit"],
            3: [1.1, "Footings", "03-100", 18250.1, None],
            # row 4 left empty
            5: ["2", "Slab", 3300, "$40,000.00", None],
            6: [3, "Pumping", None, Decimal("1999.99"), None],
        }
    )
    # when
    preview = sov_import_preview(contract=empty_contract, file=file, filename="sov.xlsx")
    # then
    assert preview.errors == []
    assert preview.rows == [
        row(2, "1", "Mobilization", "01-500", "2500.00"),
        row(3, "1.1", "Footings", "03-100", "18250.10"),
        row(5, "2", "Slab", "3300", "40000.00"),
        row(6, "3", "Pumping", "", "1999.99"),
    ]
    assert preview.total == Decimal("62750.09")


def excel_style(file: io.BytesIO, cell_xml: dict[str, str]) -> io.BytesIO:
    """The workbook with some <v> values rewritten as Excel stores them (17 significant digits,
    where openpyxl writes 15): `{"<v>0.3</v>": "<v>0.30000000000000004</v>"}`."""
    patched = io.BytesIO()
    with zipfile.ZipFile(file) as source, zipfile.ZipFile(patched, "w") as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                for old, new in cell_xml.items():
                    data = data.replace(old.encode(), new.encode())
            target.writestr(item, data)
    patched.seek(0)
    return patched


def test_an_xlsx_amount_with_more_than_two_places_is_refused_not_rounded(empty_contract):
    # given a formula result stored with float noise, a sub-cent amount and a boolean
    file = excel_style(
        xlsx_file(
            {
                1: ["Item", "Description", "Amount"],
                2: [1, "Footings", 0.3],
                3: [2, "Walls", 1250.125],
                4: [3, "Slab", True],
            }
        ),
        {"<v>0.3</v>": "<v>0.30000000000000004</v>"},
    )
    # when
    preview = sov_import_preview(contract=empty_contract, file=file, filename="sov.xlsx")
    # then
    assert preview.rows == []
    assert preview.errors == [
        RowError(2, "scheduled_value", '"0.30000000000000004" has more than 2 decimal places'),
        RowError(3, "scheduled_value", '"1250.125" has more than 2 decimal places'),
        RowError(4, "scheduled_value", '"TRUE" is not a number'),
    ]


def test_an_xlsx_named_csv_is_still_read_as_a_workbook(empty_contract):
    # given
    file = xlsx_file({1: ["Item", "Description", "Amount"], 2: [1, "Footings", 100]})
    # when
    preview = sov_import_preview(contract=empty_contract, file=file, filename="export.csv")
    # then
    assert preview.rows == [row(2, "1", "Footings", "", "100.00")]


@pytest.mark.parametrize(
    "header",
    [
        "Item,Description,Cost Code,Scheduled Value",
        "item number,DESCRIPTION OF WORK,code,amount",
        "Item No.,Description,Cost Code,Value",
        "item_number,description,cost_code,scheduled_value",
        "Item #, Description , Cost-Code ,Scheduled Value*",
    ],
)
def test_column_names_are_matched_case_insensitively_with_aliases(empty_contract, header):
    # when
    preview = preview_csv(empty_contract, f"{header}\n7,Doors,08-100,950.00\n")
    # then
    assert preview.errors == []
    assert preview.rows == [row(2, "7", "Doors", "08-100", "950.00")]


def test_unit_columns_have_aliases_too(empty_contract):
    # when
    preview = preview_csv(
        empty_contract, "Item,Description,Amount,Qty,UOM,Rate\n1,Gravel,450.00,30,TON,15.00\n"
    )
    # then
    assert preview.rows == [
        row(
            2,
            "1",
            "Gravel",
            "",
            "450.00",
            quantity=Decimal("30"),
            unit="TON",
            unit_price=Decimal("15.00"),
        )
    ]


def test_the_downloadable_template_imports_cleanly(empty_contract):
    # given
    template = Path(sov_import_module.__file__).parent / "templates" / TEMPLATE_NAME
    # when
    with open(template, "rb") as file:
        preview = sov_import_preview(contract=empty_contract, file=file, filename=template.name)
    # then
    assert preview.errors == []
    assert [r.item_number for r in preview.rows] == ["1", "2"]
    assert preview.total == Decimal("57500.00")


# --- unit-based contracts --------------------------------------------------------------------


def test_a_unit_contract_computes_the_value_rounded_half_up_to_the_cent(unit_contract):
    # given 3 × 0.335 = 1.005 and 1200.5 × 12.25 = 14706.125: both exactly half a cent
    text = (
        "Item,Description,Qty,Unit,Unit Price\n"
        "1,Excavation,3,CY,0.335\n"
        "2,Backfill,1200.5,CY,12.25\n"
    )
    # when
    preview = preview_csv(unit_contract, text)
    # then
    assert preview.errors == []
    assert preview.rows == [
        row(
            2,
            "1",
            "Excavation",
            "",
            "1.01",
            quantity=Decimal("3"),
            unit="CY",
            unit_price=Decimal("0.335"),
        ),
        row(
            3,
            "2",
            "Backfill",
            "",
            "14706.13",
            quantity=Decimal("1200.5"),
            unit="CY",
            unit_price=Decimal("12.25"),
        ),
    ]
    assert preview.total == Decimal("14707.14")


def test_a_unit_contract_refuses_a_scheduled_value_that_disagrees(unit_contract):
    # given
    text = (
        "Item,Description,Qty,Unit,Unit Price,Scheduled Value\n"
        "1,Gravel,10,TON,12.50,125.00\n"
        "2,Sand,10,TON,12.50,125.01\n"
    )
    # when
    preview = preview_csv(unit_contract, text)
    # then
    assert [r.item_number for r in preview.rows] == ["1"]
    assert preview.errors == [
        RowError(3, "scheduled_value", "125.01 does not equal quantity × unit_price (125.00)")
    ]


def test_a_unit_contract_requires_quantity_and_unit_price(unit_contract):
    # when a cell is blank
    preview = preview_csv(unit_contract, "Item,Description,Qty,Unit Price\n1,Gravel,,12.50\n")
    # then
    assert preview.errors == [RowError(2, "quantity", "must not be blank")]
    # when the columns are missing (an amount is not enough on a unit contract)
    preview = preview_csv(unit_contract, "Item,Description,Amount\n1,Gravel,125.00\n")
    # then
    assert preview.errors == [
        RowError(
            None,
            "quantity",
            'required column is missing: add a column headed "Quantity" (or "Qty")',
        ),
        RowError(
            None,
            "unit_price",
            'required column is missing: add a column headed "Unit Price" (or "Rate", "Unit Cost")',
        ),
    ]


# --- bad input -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (
            "4,Rebar,03-200,abc",
            RowError(
                2, "scheduled_value", '"abc" is not a number (write it like 1250.00 or 1,250.00)'
            ),
        ),
        (
            '4,Rebar,03-200,"1250,00"',
            RowError(
                2,
                "scheduled_value",
                '"1250,00" is not a number (write it like 1250.00 or 1,250.00)',
            ),
        ),
        (
            "4,Rebar,03-200,12.345",
            RowError(2, "scheduled_value", '"12.345" has more than 2 decimal places'),
        ),
        ("4,Rebar,03-200,-100.00", RowError(2, "scheduled_value", NEGATIVE_VALUE)),
        ('4,Rebar,03-200,"($1,000.00)"', RowError(2, "scheduled_value", NEGATIVE_VALUE)),
        ("4,Rebar,03-200,", RowError(2, "scheduled_value", "must not be blank")),
        ("4,,03-200,100", RowError(2, "description", "must not be blank")),
        (" ,Rebar,03-200,100", RowError(2, "item_number", "must not be blank")),
        (
            f"{'9' * 31},Rebar,03-200,100",
            RowError(2, "item_number", "is longer than 30 characters"),
        ),
        (
            '4,Rebar,03-200,"1,000,000,000,000.00"',
            RowError(2, "scheduled_value", '"1,000,000,000,000.00" is too large'),
        ),
    ],
)
def test_a_bad_cell_is_named_by_row_and_column(empty_contract, line, expected):
    # when
    preview = preview_csv(empty_contract, f"{HEADER}{line}\n")
    # then
    assert preview.errors == [expected]
    assert preview.rows == []
    assert not preview.ok
    assert preview.total == Decimal("0.00")


def test_errors_are_listed_for_every_bad_row_and_good_rows_still_preview(empty_contract):
    # given
    text = f"{HEADER}1,Footings,03-100,100.00\n2,,03-200,-5\n3,Walls,03-300,200.00\n"
    # when
    preview = preview_csv(empty_contract, text)
    # then
    assert preview.errors == [
        RowError(3, "description", "must not be blank"),
        RowError(3, "scheduled_value", NEGATIVE_VALUE),
    ]
    assert [r.item_number for r in preview.rows] == ["1", "3"]
    assert preview.total == Decimal("300.00")
    assert [str(e) for e in preview.errors] == [
        "Row 3, column description: must not be blank",
        "Row 3, column scheduled_value: original SOV lines cannot be negative: "
        "use a deductive change order",
    ]


def test_a_duplicate_item_number_in_the_file_is_an_error_on_the_later_row(empty_contract):
    # when
    preview = preview_csv(
        empty_contract, f"{HEADER}7,Doors,,1.00\n8,Frames,,2.00\n7,Hardware,,3.00\n"
    )
    # then
    assert preview.errors == [
        RowError(
            4, "item_number", "item_number 7 appears more than once in the file (first on row 2)"
        )
    ]
    assert [r.item_number for r in preview.rows] == ["7", "8"]


def test_an_item_number_already_on_the_contract_is_an_error(world):
    # given the commitment already has items 1, 2 and 3
    # when
    preview = preview_csv(world.commitment, f"{HEADER}3,Curing,03-300,10.00\n4,Sealing,,20.00\n")
    # then
    assert preview.errors == [
        RowError(2, "item_number", "item_number 3 already exists on this contract")
    ]
    assert [r.item_number for r in preview.rows] == ["4"]


def test_a_missing_required_column_is_named_without_a_row(empty_contract):
    # when
    preview = preview_csv(empty_contract, "Item,Cost Code,Notes\n1,03-100,x\n")
    # then
    assert preview.rows == []
    assert preview.errors == [
        RowError(
            None,
            "description",
            'required column is missing: add a column headed "Description" '
            '(or "Description Of Work", "Desc")',
        ),
        RowError(
            None,
            "scheduled_value",
            'required column is missing: add a column headed "Scheduled Value" '
            '(or "Amount", "Value")',
        ),
    ]
    assert str(preview.errors[1]).startswith("Column scheduled_value: required column is missing")


def test_two_columns_meaning_the_same_field_are_refused(empty_contract):
    # when
    preview = preview_csv(empty_contract, "Item,Description,Amount,Value\n1,Doors,1,1\n")
    # then
    assert preview.errors == [
        RowError(
            1,
            "scheduled_value",
            'two columns ("Amount" and "Value") both mean scheduled_value: keep one',
        )
    ]


@pytest.mark.parametrize(
    ("content", "filename"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01", "sov.xlsx"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01", "sov.csv"),
        (b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n", "sov.xlsx"),
        (b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n", "sov.csv"),
        (bytes(range(256)) * 4, "sov.csv"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64, "sov.xls"),
    ],
    ids=["png-as-xlsx", "png-as-csv", "pdf-as-xlsx", "pdf-as-csv", "random-bytes", "legacy-xls"],
)
def test_a_file_that_is_not_a_spreadsheet_gets_one_clear_error(empty_contract, content, filename):
    # when
    preview = sov_import_preview(
        contract=empty_contract, file=io.BytesIO(content), filename=filename
    )
    # then
    assert preview.errors == [RowError(None, None, "The file is not a CSV or XLSX spreadsheet.")]
    assert preview.errors[0].message == NOT_A_SPREADSHEET
    assert preview.rows == []


def test_a_zip_that_is_not_a_workbook_is_not_a_spreadsheet(empty_contract):
    # given
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("readme.txt", "hello")
    buffer.seek(0)
    # when
    preview = sov_import_preview(contract=empty_contract, file=buffer, filename="sov.xlsx")
    # then
    assert preview.errors == [RowError(None, None, NOT_A_SPREADSHEET)]


def test_a_csv_in_a_windows_code_page_is_told_to_save_as_utf8(empty_contract):
    # given
    content = "Item,Description,Amount\n1,Café fit-out,100\n".encode("cp1252")
    # when
    preview = sov_import_preview(
        contract=empty_contract, file=io.BytesIO(content), filename="s.csv"
    )
    # then
    assert preview.errors == [RowError(None, None, NOT_UTF8)]


@pytest.mark.parametrize("content", [b"", b"\n\n  \n", b",,,\n,,\n"])
def test_an_empty_csv_is_refused(empty_contract, content):
    # when
    preview = sov_import_preview(
        contract=empty_contract, file=io.BytesIO(content), filename="s.csv"
    )
    # then
    assert preview.errors == [RowError(None, None, "The file is empty.")]
    assert EMPTY_FILE == "The file is empty."


def test_an_empty_xlsx_is_refused(empty_contract):
    # when
    preview = sov_import_preview(contract=empty_contract, file=xlsx_file({}), filename="s.xlsx")
    # then
    assert preview.errors == [RowError(None, None, EMPTY_FILE)]


def test_a_header_without_rows_is_refused(empty_contract):
    # when
    preview = preview_csv(empty_contract, f"{HEADER}\n,,,\n")
    # then
    assert preview.errors == [RowError(None, None, "The file has no rows below its header row.")]
    assert NO_ROWS == "The file has no rows below its header row."


def test_at_most_5000_rows_are_imported_at_once(empty_contract):
    # given
    lines = "".join(f"{n},Item {n},,1.00\n" for n in range(1, 5001))
    # when exactly at the limit
    preview = preview_csv(empty_contract, HEADER + lines)
    # then
    assert preview.ok
    assert len(preview.rows) == 5000
    assert preview.total == Decimal("5000.00")
    # when one over it
    preview = preview_csv(empty_contract, HEADER + lines + "5001,One too many,,1.00\n")
    # then
    assert preview.rows == []
    assert preview.errors == [
        RowError(None, None, "The file has more than 5,000 rows: import at most 5,000.")
    ]
    assert TOO_MANY_ROWS == "The file has more than 5,000 rows: import at most 5,000."


def test_preview_saves_nothing_and_warns_when_the_sov_is_locked(world):
    # given
    PayApp.objects.create(
        contract=world.commitment, billing_period=world.period, number=1, created_by=world.admin
    )
    # when
    preview = preview_csv(world.commitment, f"{HEADER}4,Sealing,,20.00\n")
    # then
    assert preview.errors == [
        RowError(
            None,
            None,
            "SC-001 already has pay apps. Its SOV is locked: add a change order instead.",
        )
    ]
    assert SOVLine.objects.filter(contract=world.commitment).count() == 3
    assert not Event.objects.exists()


# --- apply -----------------------------------------------------------------------------------


def test_apply_appends_the_lines_after_the_existing_ones_and_records_an_event(world):
    # given the commitment has items 1-3 at positions 0-2
    text = f'{HEADER}4,Curing,03-500,"1,500.00"\n5,Sealing,03-600,$250.25\n'
    # when
    lines = sov_import_apply(
        actor=world.admin, contract=world.commitment, file=csv_file(text), filename="sov.csv"
    )
    # then
    assert [(line.position, line.item_number) for line in lines] == [(3, "4"), (4, "5")]
    saved = list(
        SOVLine.objects.filter(contract=world.commitment).values_list(
            "position", "item_number", "description", "cost_code", "scheduled_value"
        )
    )
    assert [line[:2] for line in saved[:3]] == [(0, "1"), (1, "2"), (2, "3")]
    assert saved[3:] == [
        (3, "4", "Curing", "03-500", Decimal("1500.00")),
        (4, "5", "Sealing", "03-600", Decimal("250.25")),
    ]
    event = Event.objects.get()
    assert event.action == "sov_imported"
    assert event.actor == world.admin
    assert event.project == world.project
    assert (event.target_type, event.target_id) == ("contract", world.commitment.pk)
    assert event.changes == {"lines": [3, 5]}


def test_apply_of_an_xlsx_on_a_unit_contract_saves_quantities(world, unit_contract):
    # given
    file = xlsx_file(
        {
            1: ["Item", "Description", "Cost Code", "Quantity", "Unit", "Unit Price"],
            2: ["A1", "Gravel", "31-200", 120.5, "TON", 18.75],
        }
    )
    # when
    sov_import_apply(actor=world.admin, contract=unit_contract, file=file, filename="po.xlsx")
    # then
    line = SOVLine.objects.get(contract=unit_contract)
    assert (line.position, line.item_number, line.unit) == (0, "A1", "TON")
    assert line.quantity == Decimal("120.5")
    assert line.unit_price == Decimal("18.75")
    assert line.scheduled_value == Decimal("2259.38")  # 2259.375 rounded half-up


def test_apply_with_one_bad_row_among_good_ones_saves_nothing(world):
    # given
    text = f"{HEADER}4,Curing,03-500,100.00\n5,Sealing,03-600,12.345\n6,Cleanup,,50.00\n"
    # when
    with pytest.raises(ValidationFailed) as refused:
        sov_import_apply(
            actor=world.admin, contract=world.commitment, file=csv_file(text), filename="s.csv"
        )
    # then
    assert refused.value.code == "sov_import_invalid"
    assert refused.value.message == "The file has 1 error; nothing was imported."
    assert refused.value.fields == {
        "file": ['Row 3, column scheduled_value: "12.345" has more than 2 decimal places']
    }
    assert SOVLine.objects.filter(contract=world.commitment).count() == 3
    assert not Event.objects.exists()


def test_apply_lists_at_most_100_errors_and_counts_them_all(world):
    # given 102 rows with a blank description
    text = HEADER + "".join(f"{n},,,1.00\n" for n in range(10, 112))
    # when
    with pytest.raises(ValidationFailed) as refused:
        sov_import_apply(
            actor=world.admin, contract=world.commitment, file=csv_file(text), filename="s.csv"
        )
    # then
    assert refused.value.message == "The file has 102 errors; nothing was imported."
    messages = refused.value.fields["file"]
    assert len(messages) == 101
    assert messages[0] == "Row 2, column description: must not be blank"
    assert messages[-1] == "... and 2 more."


def test_apply_refuses_an_item_number_already_on_the_contract(world):
    # when
    with pytest.raises(ValidationFailed) as refused:
        sov_import_apply(
            actor=world.admin,
            contract=world.commitment,
            file=csv_file(f"{HEADER}2,Again,,1.00\n"),
            filename="s.csv",
        )
    # then
    assert refused.value.fields == {
        "file": ["Row 2, column item_number: item_number 2 already exists on this contract"]
    }
    assert SOVLine.objects.filter(contract=world.commitment).count() == 3


def test_apply_of_a_non_spreadsheet_names_the_file(world):
    # when
    with pytest.raises(ValidationFailed) as refused:
        sov_import_apply(
            actor=world.admin,
            contract=world.commitment,
            file=io.BytesIO(b"%PDF-1.7\n"),
            filename="sov.xlsx",
        )
    # then
    assert refused.value.message == "The file has 1 error; nothing was imported."
    assert refused.value.fields == {"file": [NOT_A_SPREADSHEET]}


@pytest.mark.parametrize(
    ("role", "error"),
    [
        ("standard", PermissionDenied),
        ("read_only", PermissionDenied),
        ("contact", PermissionDenied),
        ("other_contact", NotFound),
        ("stranger", NotFound),
    ],
)
def test_only_an_admin_may_import(world, role, error):
    # when
    with pytest.raises(error):
        sov_import_apply(
            actor=world.role(role),
            contract=world.commitment,
            file=csv_file(f"{HEADER}4,Curing,,1.00\n"),
            filename="s.csv",
        )
    # then
    assert SOVLine.objects.filter(contract=world.commitment).count() == 3
    assert not Event.objects.exists()


def test_apply_is_refused_once_the_contract_has_pay_apps(world):
    # given
    PayApp.objects.create(
        contract=world.commitment, billing_period=world.period, number=1, created_by=world.admin
    )
    # when
    with pytest.raises(ValidationFailed) as refused:
        sov_import_apply(
            actor=world.admin,
            contract=world.commitment,
            file=csv_file(f"{HEADER}4,Curing,,1.00\n"),
            filename="s.csv",
        )
    # then
    assert refused.value.code == "sov_locked"
    assert refused.value.message == (
        "SC-001 already has pay apps. Its SOV is locked: add a change order instead."
    )
    assert SOVLine.objects.filter(contract=world.commitment).count() == 3
    assert not Event.objects.exists()


def test_the_same_upload_can_be_previewed_then_applied(world, empty_contract):
    # given one uploaded file, as a view holds it within a request
    file = SimpleUploadedFile("s.csv", f"{HEADER}1,Footings,03-100,100.00\n".encode())
    # when
    preview = sov_import_preview(contract=empty_contract, file=file, filename="s.csv")
    lines = sov_import_apply(
        actor=world.admin, contract=empty_contract, file=file, filename="s.csv"
    )
    # then
    assert preview.ok
    assert [(line.position, line.item_number, line.scheduled_value) for line in lines] == [
        (0, "1", Decimal("100.00"))
    ]
