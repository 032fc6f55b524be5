"""Importing a schedule of values from a CSV or XLSX file (preview first, then apply).

Invariants:

- `sov_import_preview` reads and validates and saves nothing; `sov_import_apply` re-reads the same
  file, and either appends every row as an `SOVLine` (one transaction, one `sov_imported` Event) or
  raises and saves nothing. There is no partial import.
- Every error names where it is: a spreadsheet row (the header is row 1, blank rows keep their
  numbers) and a column by its field name (`scheduled_value`), or neither for a file-level problem.
- Amounts are parsed from text ("1,250.00", "$1,250.00", "1250") or from the number openpyxl gives
  for a cell; a float cell goes through `repr` into a `Decimal` and is never used in arithmetic.
  Nothing is rounded silently: an amount with more than two places is an error. The one computed
  value, quantity × unit price on a unit-based contract, is rounded once, half-up to the cent.
- Original SOV lines are never negative (DOMAIN.md §2: deductions are change orders), and once a
  contract has pay apps its SOV is locked: new scope comes in through change orders.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import io
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import PurePath
from typing import IO, Any, Final, Literal

import openpyxl
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Count, Max

from sitebill.accounts.access import Role, require_role
from sitebill.contracts.models import Contract, SOVLine
from sitebill.core.events import record_event
from sitebill.core.exceptions import ValidationFailed
from sitebill.core.money import multiply, quantize

MAX_ROWS: Final = 5_000
MAX_FILE_BYTES: Final = 10 * 1024 * 1024
# Listed in full in the ValidationFailed that apply raises; the preview always has all of them.
MAX_REPORTED_ERRORS: Final = 100
TEMPLATE_NAME: Final = "contracts/sov_import_template.csv"

NOT_A_SPREADSHEET: Final = "The file is not a CSV or XLSX spreadsheet."
NOT_UTF8: Final = (
    'The file is not UTF-8 text: in Excel, save it as "CSV UTF-8 (Comma delimited)" or as .xlsx.'
)
EMPTY_FILE: Final = "The file is empty."
NO_ROWS: Final = "The file has no rows below its header row."
TOO_MANY_ROWS: Final = f"The file has more than {MAX_ROWS:,} rows: import at most {MAX_ROWS:,}."
TOO_LARGE: Final = f"The file is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB."
SOV_LOCKED: Final = "Its SOV is locked: add a change order instead."
NEGATIVE_VALUE: Final = "original SOV lines cannot be negative: use a deductive change order"

Field = Literal[
    "item_number", "description", "cost_code", "scheduled_value", "quantity", "unit", "unit_price"
]
FIELDS: Final[tuple[Field, ...]] = (
    "item_number",
    "description",
    "cost_code",
    "scheduled_value",
    "quantity",
    "unit",
    "unit_price",
)

# Header names as people write them, compared after `_normalise_header` (lower case, "_" and "-"
# as spaces, no ".", ":" or "*"). The first alias is the one error messages suggest.
ALIASES: Final[dict[Field, tuple[str, ...]]] = {
    "item_number": ("item number", "item", "item no", "item #", "item num", "line item"),
    "description": ("description", "description of work", "desc", "work description"),
    "cost_code": ("cost code", "code", "costcode"),
    "scheduled_value": ("scheduled value", "amount", "value", "scheduled amount"),
    "quantity": ("quantity", "qty"),
    "unit": ("unit", "uom", "units", "unit of measure"),
    "unit_price": ("unit price", "rate", "unit cost"),
}
_HEADER_TO_FIELD: Final[dict[str, Field]] = {
    alias: field for field, aliases in ALIASES.items() for alias in aliases
}
_MAX_LENGTH: Final[dict[Field, int]] = {
    "item_number": 30,
    "description": 300,
    "cost_code": 40,
    "unit": 20,
}
# Money fields hold 14 digits with 2 places, quantity and unit price 14 with 4.
_MONEY_LIMIT: Final = Decimal("1E12")
_QUANTITY_LIMIT: Final = Decimal("1E10")

# A number as text: digits with optional thousands commas in the right places, and a point for
# decimals. "1250,00" (a decimal comma) is refused, never read as 125000.
_NUMBER = re.compile(r"(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?|\.\d+")
_ZIP_MAGIC: Final = b"PK\x03\x04"
# Files that are certainly not text, whatever their name says.
_BINARY_MAGIC: Final = (
    b"%PDF",
    b"\x89PNG",
    b"\xff\xd8\xff",  # JPEG
    b"GIF8",
    b"\xd0\xcf\x11\xe0",  # OLE2: legacy .xls, password-protected .xlsx
    b"PK\x05\x06",  # empty zip
)
_XLSX_SUFFIXES: Final = (".xlsx", ".xlsm", ".xltx", ".xltm")


@dataclass(frozen=True)
class ImportRow:
    """One valid row of the file, ready to become an `SOVLine`."""

    row_number: int
    item_number: str
    description: str
    cost_code: str
    scheduled_value: Decimal
    quantity: Decimal | None
    unit: str
    unit_price: Decimal | None


@dataclass(frozen=True)
class RowError:
    """What is wrong, and where: a row (header = 1) and a column (a field name), when known."""

    row_number: int | None
    column: str | None
    message: str

    def __str__(self) -> str:
        if self.row_number is not None and self.column is not None:
            return f"Row {self.row_number}, column {self.column}: {self.message}"
        if self.row_number is not None:
            return f"Row {self.row_number}: {self.message}"
        if self.column is not None:
            return f"Column {self.column}: {self.message}"
        return self.message


@dataclass(frozen=True)
class ImportPreview:
    """The rows that would be imported, every error found, and the total of the valid rows."""

    rows: list[ImportRow]
    errors: list[RowError]
    total: Decimal

    @property
    def ok(self) -> bool:
        return not self.errors


def sov_import_preview(
    *, contract: Contract, file: IO[bytes] | UploadedFile, filename: str
) -> ImportPreview:
    """Read and check an SOV file against `contract` without saving anything.

    The caller has already checked that the user may see the contract. A contract whose SOV is
    locked gets that as the first error, so the page can say so before the user confirms.
    """
    preview = _preview(contract=contract, data=_read_bytes(file), filename=filename)
    if contract.pay_apps.exists():
        return ImportPreview(
            rows=preview.rows,
            errors=[_locked_error(contract), *preview.errors],
            total=preview.total,
        )
    return preview


def sov_import_apply(
    *, actor: Any, contract: Contract, file: IO[bytes] | UploadedFile, filename: str
) -> list[SOVLine]:
    """Append the file's rows to the contract's SOV, all or nothing. Admin of the project only."""
    require_role(actor, contract, Role.ADMIN)
    data = _read_bytes(file)
    with transaction.atomic():
        # Lock the contract so that two imports cannot interleave: the pay-app check, the item
        # numbers already taken and the next position are all read under the lock.
        locked = Contract.objects.select_for_update().select_related("project").get(pk=contract.pk)
        if locked.pay_apps.exists():
            raise ValidationFailed(_locked_error(locked).message, code="sov_locked")
        preview = _preview(contract=locked, data=data, filename=filename)
        if not preview.ok:
            raise _invalid(preview.errors)
        existing = locked.lines.aggregate(count=Count("id"), last=Max("position"))
        old_count: int = existing["count"]
        start = 0 if existing["last"] is None else existing["last"] + 1
        lines = SOVLine.objects.bulk_create(
            SOVLine(
                contract=locked,
                position=start + offset,
                item_number=row.item_number,
                description=row.description,
                cost_code=row.cost_code,
                scheduled_value=row.scheduled_value,
                quantity=row.quantity,
                unit=row.unit,
                unit_price=row.unit_price,
            )
            for offset, row in enumerate(preview.rows)
        )
        record_event(
            actor=actor,
            target=locked,
            action="sov_imported",
            changes={"lines": (old_count, old_count + len(lines))},
            project=locked.project,
        )
    return lines


# --- checks against the contract -------------------------------------------------------------


def _preview(*, contract: Contract, data: bytes, filename: str) -> ImportPreview:
    rows, errors = _parse(data, filename, unit_based=contract.is_unit_based)
    existing = set(contract.lines.values_list("item_number", flat=True))
    kept: list[ImportRow] = []
    for row in rows:
        if row.item_number in existing:
            errors.append(
                RowError(
                    row.row_number,
                    "item_number",
                    f"item_number {row.item_number} already exists on this contract",
                )
            )
        else:
            kept.append(row)
    errors.sort(key=_error_order)
    return ImportPreview(
        rows=kept, errors=errors, total=sum((r.scheduled_value for r in kept), Decimal("0.00"))
    )


def _locked_error(contract: Contract) -> RowError:
    return RowError(None, None, f"{contract.number} already has pay apps. {SOV_LOCKED}")


def _invalid(errors: Sequence[RowError]) -> ValidationFailed:
    count = len(errors)
    messages = [str(error) for error in errors[:MAX_REPORTED_ERRORS]]
    if count > MAX_REPORTED_ERRORS:
        messages.append(f"... and {count - MAX_REPORTED_ERRORS} more.")
    noun = "error" if count == 1 else "errors"
    return ValidationFailed(
        f"The file has {count} {noun}; nothing was imported.",
        code="sov_import_invalid",
        fields={"file": messages},
    )


def _error_order(error: RowError) -> tuple[int, int]:
    column = FIELDS.index(error.column) if error.column in FIELDS else -1
    return (error.row_number or 0, column)


# --- reading the file ------------------------------------------------------------------------


class _Unreadable(Exception):
    """The file cannot be read as a spreadsheet at all: one file-level error, no rows."""


class _CellError(Exception):
    """One cell's value is unusable; the message is shown after "Row n, column c: "."""


def _read_bytes(file: IO[bytes] | UploadedFile) -> bytes:
    # The same upload may be read twice (preview, then apply): always start at the beginning.
    with contextlib.suppress(AttributeError, OSError, ValueError):
        file.seek(0)
    data = file.read(MAX_FILE_BYTES + 1)
    return data.encode() if isinstance(data, str) else bytes(data)


def _parse(
    data: bytes, filename: str, *, unit_based: bool
) -> tuple[list[ImportRow], list[RowError]]:
    """The valid rows and every error: pure, no database."""
    if len(data) > MAX_FILE_BYTES:
        return [], [RowError(None, None, TOO_LARGE)]
    if not data.strip():
        return [], [RowError(None, None, EMPTY_FILE)]
    try:
        return _parse_records(_records(data, filename), unit_based=unit_based)
    except _Unreadable as exc:
        return [], [RowError(None, None, str(exc))]


def _parse_records(
    records: Iterable[Sequence[Any]], *, unit_based: bool
) -> tuple[list[ImportRow], list[RowError]]:
    columns: dict[Field, int] | None = None
    rows: list[ImportRow] = []
    errors: list[RowError] = []
    first_seen: dict[str, int] = {}
    count = 0
    for row_number, cells in enumerate(records, start=1):
        if columns is None:
            if not any(_text(value) for value in cells):
                continue  # blank lines above the header
            columns, header_errors = _map_header(row_number, cells, unit_based=unit_based)
            if header_errors:
                return [], header_errors
            continue
        if _is_blank(cells, columns):
            continue
        count += 1
        if count > MAX_ROWS:
            # Stop reading: a huge file is not read to its end only to be refused.
            return [], [RowError(None, None, TOO_MANY_ROWS)]
        row, row_errors = _parse_row(row_number, cells, columns, unit_based=unit_based)
        errors.extend(row_errors)
        if row is None:
            continue
        if row.item_number in first_seen:
            errors.append(
                RowError(
                    row_number,
                    "item_number",
                    f"item_number {row.item_number} appears more than once in the file "
                    f"(first on row {first_seen[row.item_number]})",
                )
            )
            continue
        first_seen[row.item_number] = row_number
        rows.append(row)
    if columns is None:
        return [], [RowError(None, None, EMPTY_FILE)]
    if count == 0:
        return [], [RowError(None, None, NO_ROWS)]
    return rows, errors


def _records(data: bytes, filename: str) -> Iterator[Sequence[Any]]:
    if data.startswith(_ZIP_MAGIC):
        return _xlsx_records(data)
    if PurePath(filename).suffix.lower() in _XLSX_SUFFIXES:
        raise _Unreadable(NOT_A_SPREADSHEET)  # named .xlsx but not a zip: a PNG, a PDF...
    if data.startswith(_BINARY_MAGIC) or b"\x00" in data:
        raise _Unreadable(NOT_A_SPREADSHEET)
    return _csv_records(_decode(data))


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    # Text in a Windows code page (Excel's plain "CSV" on Windows) deserves a better answer than
    # "not a spreadsheet": it is one, in the wrong encoding. Binary junk has control bytes.
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError:
        raise _Unreadable(NOT_A_SPREADSHEET) from None
    if any(ord(char) < 32 and char not in "\t\r\n" for char in text):
        raise _Unreadable(NOT_A_SPREADSHEET)
    raise _Unreadable(NOT_UTF8)


def _csv_records(text: str) -> Iterator[Sequence[Any]]:
    first_line = next((line for line in text.splitlines() if line.strip()), "")
    # Sniff the delimiter on the header line, whose names hold no commas or semicolons.
    delimiter = max(",;\t", key=first_line.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        yield from reader
    except csv.Error:
        raise _Unreadable(NOT_A_SPREADSHEET) from None


def _xlsx_records(data: bytes) -> Iterator[Sequence[Any]]:
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    # A zip that is not a workbook fails in many ways (BadZipFile, KeyError for a missing part,
    # InvalidFileException, XML errors): every one of them means the same thing to the user.
    except Exception:
        raise _Unreadable(NOT_A_SPREADSHEET) from None
    try:
        if not workbook.worksheets:
            raise _Unreadable(NOT_A_SPREADSHEET)
        sheet = workbook.worksheets[0]
        # Some writers store a wrong <dimension>; read what is really there.
        sheet.reset_dimensions()
        try:
            yield from sheet.iter_rows(values_only=True)
        except _Unreadable:
            raise
        except Exception:
            raise _Unreadable(NOT_A_SPREADSHEET) from None
    finally:
        workbook.close()


# --- the header ------------------------------------------------------------------------------


def _normalise_header(value: Any) -> str:
    text = _text(value).lower().replace("_", " ").replace("-", " ")
    text = re.sub(r"[.:*]", "", text)
    return " ".join(text.split())


def _map_header(
    row_number: int, header: Sequence[Any], *, unit_based: bool
) -> tuple[dict[Field, int], list[RowError]]:
    """Which cell index holds each field; errors for missing or doubled columns."""
    columns: dict[Field, int] = {}
    errors: list[RowError] = []
    for index, value in enumerate(header):
        field = _HEADER_TO_FIELD.get(_normalise_header(value))
        if field is None:
            continue  # extra columns (notes, totals) are ignored
        if field in columns:
            errors.append(
                RowError(
                    row_number,
                    field,
                    f'two columns ("{_text(header[columns[field]])}" and "{_text(value)}") '
                    f"both mean {field}: keep one",
                )
            )
            continue
        columns[field] = index
    for field in _required(unit_based):
        if field not in columns:
            names = [f'"{alias.title()}"' for alias in ALIASES[field][:3]]
            suggestion = f"{names[0]} (or {', '.join(names[1:])})" if len(names) > 1 else names[0]
            errors.append(
                RowError(
                    None, field, f"required column is missing: add a column headed {suggestion}"
                )
            )
    errors.sort(key=_error_order)
    return columns, errors


def _required(unit_based: bool) -> tuple[Field, ...]:
    if unit_based:
        return ("item_number", "description", "quantity", "unit_price")
    return ("item_number", "description", "scheduled_value")


# --- one row ---------------------------------------------------------------------------------


def _is_blank(cells: Sequence[Any], columns: dict[Field, int]) -> bool:
    return not any(_text(_cell(cells, index)) for index in columns.values())


def _cell(cells: Sequence[Any], index: int) -> Any:
    return cells[index] if index < len(cells) else None


def _parse_row(
    row_number: int, cells: Sequence[Any], columns: dict[Field, int], *, unit_based: bool
) -> tuple[ImportRow | None, list[RowError]]:
    errors: list[RowError] = []
    required = _required(unit_based)

    def value(field: Field) -> Any:
        return _cell(cells, columns[field]) if field in columns else None

    def text(field: Field) -> str:
        result = _text(value(field))
        if not result and field in required:
            errors.append(RowError(row_number, field, "must not be blank"))
        elif len(result) > _MAX_LENGTH[field]:
            errors.append(
                RowError(row_number, field, f"is longer than {_MAX_LENGTH[field]} characters")
            )
        return result

    def number(field: Field, *, places: int, limit: Decimal, money: bool) -> Decimal | None:
        raw = value(field)
        if not _text(raw):
            if field in required:
                errors.append(RowError(row_number, field, "must not be blank"))
            return None
        try:
            result = _number(raw, places=places, limit=limit, money=money)
        except _CellError as exc:
            errors.append(RowError(row_number, field, str(exc)))
            return None
        if result < 0:
            message = NEGATIVE_VALUE if field == "scheduled_value" else "cannot be negative"
            errors.append(RowError(row_number, field, message))
            return None
        return result

    item_number = text("item_number")
    description = text("description")
    cost_code = text("cost_code")
    scheduled_value = number("scheduled_value", places=2, limit=_MONEY_LIMIT, money=True)
    quantity = number("quantity", places=4, limit=_QUANTITY_LIMIT, money=False)
    unit = text("unit")
    unit_price = number("unit_price", places=4, limit=_QUANTITY_LIMIT, money=True)
    if errors:
        return None, errors

    if unit_based:
        assert quantity is not None and unit_price is not None  # required, checked above
        # DOMAIN.md §2: a unit line's value is quantity × unit price, rounded once, half-up.
        computed = multiply(quantity, unit_price, "half_up")
        if computed >= _MONEY_LIMIT:
            errors.append(RowError(row_number, "scheduled_value", f"{computed} is too large"))
        elif scheduled_value is not None and scheduled_value != computed:
            errors.append(
                RowError(
                    row_number,
                    "scheduled_value",
                    f"{scheduled_value:.2f} does not equal quantity × unit_price ({computed})",
                )
            )
        scheduled_value = computed
    if errors:
        return None, errors
    assert scheduled_value is not None  # required on amount-based contracts, checked above
    return (
        ImportRow(
            row_number=row_number,
            item_number=item_number,
            description=description,
            cost_code=cost_code,
            scheduled_value=quantize(scheduled_value),
            quantity=quantity,
            unit=unit,
            unit_price=unit_price,
        ),
        [],
    )


# --- cells -----------------------------------------------------------------------------------


def _text(value: Any) -> str:
    """A cell as text: what the user sees in it, stripped. Numbers keep no float noise."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float | int | Decimal):
        number = _decimal_of_number(value)
        if number.is_finite() and number == number.to_integral_value():
            return f"{number:.0f}"
        return format(number, "f")
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    return str(value).strip()


def _decimal_of_number(value: float | int | Decimal) -> Decimal:
    # repr() is the shortest text that reads back as the same float: 1250.1, not 1250.0999...
    return Decimal(repr(value)) if isinstance(value, float) else Decimal(value)


def _number(value: Any, *, places: int, limit: Decimal, money: bool) -> Decimal:
    """A cell as a Decimal with at most `places` places, below `limit`: `_CellError` otherwise."""
    if isinstance(value, bool) or not isinstance(value, str | int | float | Decimal):
        raise _CellError(f'"{_shown(value)}" is not a number')
    if isinstance(value, str):
        number = _number_from_text(value, money=money)
    else:
        number = _decimal_of_number(value)
        if not number.is_finite():
            raise _CellError(f'"{_shown(value)}" is not a number')
    if _places(number) > places:
        raise _CellError(f'"{_shown(value)}" has more than {places} decimal places')
    if abs(number) >= limit:
        raise _CellError(f'"{_shown(value)}" is too large')
    return number


def _number_from_text(raw: str, *, money: bool) -> Decimal:
    """ "1,250.00", "$1,250.00", "1250", "-1250", "(1,250.00)" (accounting negative)."""
    body = raw.strip()
    negative = False
    if body.startswith("(") and body.endswith(")"):
        negative, body = True, body[1:-1].strip()
    if body[:1] in ("-", "−"):
        negative, body = not negative, body[1:].strip()
    if money and body.startswith("$"):
        body = body[1:].strip()
        if body[:1] == "-":
            negative, body = not negative, body[1:].strip()
    if not _NUMBER.fullmatch(body):
        raise _CellError(f'"{_shown(raw)}" is not a number (write it like 1250.00 or 1,250.00)')
    try:
        number = Decimal(body.replace(",", ""))
    except InvalidOperation:  # pragma: no cover - the pattern admits only plain decimals
        raise _CellError(f'"{_shown(raw)}" is not a number') from None
    return -number if negative else number


def _places(number: Decimal) -> int:
    exponent = number.normalize().as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


def _shown(value: Any) -> str:
    text = repr(value) if isinstance(value, float) else _text(value) or str(value)
    return text if len(text) <= 40 else text[:39] + "…"
