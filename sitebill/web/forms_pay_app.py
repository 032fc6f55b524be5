"""Forms of the pay app pages: create, the G703 grid, review, corrections, attachments.

They parse what people type and show it back; every rule lives in the services they feed
(`sitebill.billing.services.pay_apps`, `...attachments`). The grid is not a Django form: its
fields depend on the lines, so `LineGrid` names its inputs `line-<id>-<field>` and reports
problems under the services' keys (`lines.<id>.<field>`), so a parse error and a service
refusal land next to the same cell.

Amounts are typed the way people write them: "1250", "1,250.00", "$1,250.00", "-1,250.00" or
"(1,250.00)". Anything else ("12,3x", "1.005", "1e5") is refused, never guessed at; nothing is
rounded on the way in.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django import forms
from django.http import QueryDict

from sitebill.accounts.models import User
from sitebill.billing.models import BillingPeriod, InvoiceType, PayApp, PayAppLine
from sitebill.billing.selectors import work_percent_to_date
from sitebill.billing.services.pay_apps import LineChange, LineReview
from sitebill.core.money import quantize
from sitebill.web.forms import DateInput

AMOUNT_MESSAGE = "Enter an amount like 1,250.00."
PERCENT_MESSAGE = "Enter a percentage like 12.5 (4 decimal places at most)."
QUANTITY_MESSAGE = "Enter a quantity like 12.5 (4 decimal places at most)."

_AMOUNT = re.compile(r"(?:\d{1,3}(?:,\d{3})+|\d{1,12})(?:\.\d{1,2})?", re.ASCII)
_PERCENT = re.compile(r"\d{1,4}(?:\.\d{1,4})?", re.ASCII)
_QUANTITY = re.compile(r"(?:\d{1,3}(?:,\d{3})+|\d{1,10})(?:\.\d{1,4})?", re.ASCII)
MAX_AMOUNT_DIGITS = 12


class ParseError(ValueError):
    """A typed value that is not a number of the expected kind; the message is for people."""


def _signed(text: str, *, allow_parentheses: bool) -> tuple[bool, str]:
    text = text.strip()
    negative = False
    if allow_parentheses and text.startswith("(") and text.endswith(")"):
        negative, text = True, text[1:-1].strip()
    if text.startswith("-"):
        negative, text = not negative, text[1:].strip()
    return negative, text


def parse_amount(text: str) -> Decimal:
    """An amount as typed: thousands separators, "$", "-" or parentheses; 2 places at most."""
    negative, body = _signed(text, allow_parentheses=True)
    body = body.removeprefix("$").strip()
    if not _AMOUNT.fullmatch(body):
        raise ParseError(AMOUNT_MESSAGE)
    digits = body.replace(",", "")
    if len(digits.partition(".")[0]) > MAX_AMOUNT_DIGITS:
        raise ParseError(AMOUNT_MESSAGE)
    value = quantize(Decimal(digits))
    return quantize(-value) if negative else value


def parse_percent(text: str) -> Decimal:
    """A percentage as typed ("10", "12.5", "12.5%", "-5"); the range is the service's call."""
    negative, body = _signed(text, allow_parentheses=False)
    body = body.removesuffix("%").strip()
    if not _PERCENT.fullmatch(body):
        raise ParseError(PERCENT_MESSAGE)
    value = Decimal(body)
    return -value if negative else value


def parse_quantity(text: str) -> Decimal:
    negative, body = _signed(text, allow_parentheses=False)
    if not _QUANTITY.fullmatch(body):
        raise ParseError(QUANTITY_MESSAGE)
    value = Decimal(body.replace(",", ""))
    return -value if negative else value


def amount_text(value: Decimal | None) -> str:
    """How an amount input shows a value: "1,250.00", "-1,250.00" (editable as typed)."""
    if value is None:
        return ""
    return f"{quantize(value):,.2f}"


def percent_text(value: Decimal | None) -> str:
    """ "10.00", "12.375": at least two places, trailing zeros past them dropped."""
    if value is None:
        return ""
    whole, _, places = f"{value:f}".partition(".")
    return f"{whole}.{places.rstrip('0').ljust(2, '0')}"


def quantity_text(value: Decimal | None) -> str:
    if value is None:
        return ""
    text = f"{value:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


# --------------------------------------------------------------------------------------------
# Create


class PeriodChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        status = "Open" if obj.is_open else "Closed"
        return f"{obj} · due {obj.due_date:%b %-d, %Y} · {status}"


class ContactChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.display_name} <{obj.email}>"


class PayAppCreateForm(forms.Form):
    billing_period = PeriodChoiceField(
        label="Billing period", queryset=BillingPeriod.objects.none(), empty_label=None
    )
    invoice_number = forms.CharField(
        label="Invoice number",
        max_length=50,
        required=False,
        help_text="The vendor's own invoice number, if it has one.",
    )
    billing_date = forms.DateField(label="Billing date", widget=DateInput())
    invoice_type = forms.ChoiceField(label="Invoice type", choices=InvoiceType.choices)
    on_behalf_of = ContactChoiceField(
        label="On behalf of",
        queryset=User.objects.none(),
        help_text="The payment application contact this pay app is created for.",
    )

    def __init__(
        self,
        *args: Any,
        periods: Any,
        contacts: Any | None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        period_field = self.fields["billing_period"]
        assert isinstance(period_field, forms.ModelChoiceField)
        period_field.queryset = periods
        if contacts is None:
            # A contact creates for itself: no choice to make.
            del self.fields["on_behalf_of"]
        else:
            contact_field = self.fields["on_behalf_of"]
            assert isinstance(contact_field, forms.ModelChoiceField)
            contact_field.queryset = contacts
            contact_field.required = contacts.exists()
            contact_field.empty_label = "Choose a contact" if contact_field.required else "Nobody"


# --------------------------------------------------------------------------------------------
# The G703 grid


#: Inputs of a grid row, in the order of the columns (and of the tab order).
GRID_FIELDS = (
    "work_completed_this_period",
    "percent_complete",
    "quantity_this_period",
    "materials_presently_stored",
    "retainage_work_percent",
    "retainage_stored_percent",
    "retainage_released_this_period",
)
ENTRY_KINDS = ("amount", "percent", "quantity")


@dataclass(frozen=True)
class GridColumns:
    """Which inputs this user gets, page-wide (unit-line quantities are per row on top)."""

    work: bool = False
    stored: bool = False
    rates: bool = False
    release: bool = False

    @property
    def any(self) -> bool:
        return self.work or self.stored or self.rates or self.release


def posted_lines(data: QueryDict) -> set[int]:
    """The ids of the lines with at least one posted input (`line-<id>-<field>`)."""
    ids: set[int] = set()
    for key in data:
        if key.startswith("line-"):
            line_id = key.split("-", 2)[1]
            if line_id.isdigit():
                ids.add(int(line_id))
    return ids


@dataclass
class LineGrid:
    """The grid's inputs for `lines`: what each shows, and, after `parse`, the changes.

    A row says which of E, % complete or quantity the person typed last (the hidden
    `line-<id>-entry`, set by the page script); without the script, whichever of them differs
    from the saved line wins, E first. Only values that differ from the saved line are sent.
    """

    lines: list[PayAppLine]
    columns: GridColumns
    rounding: str
    data: QueryDict | None = None
    changes: list[LineChange] = field(default_factory=list)
    errors: dict[str, list[str]] = field(default_factory=dict)

    @staticmethod
    def name(line: PayAppLine, field_name: str) -> str:
        return f"line-{line.pk}-{field_name}"

    def editable(self, line: PayAppLine, field_name: str) -> bool:
        if field_name in ("work_completed_this_period", "percent_complete"):
            return self.columns.work
        if field_name == "quantity_this_period":
            return self.columns.work and line.unit_price is not None
        if field_name == "materials_presently_stored":
            return self.columns.stored
        if field_name in ("retainage_work_percent", "retainage_stored_percent"):
            return self.columns.rates
        if field_name == "retainage_released_this_period":
            return self.columns.release
        return False

    def value(self, line: PayAppLine, field_name: str) -> str:
        """What the input shows: the posted text when there is one, else the saved value."""
        if self.data is not None and self.name(line, field_name) in self.data:
            return str(self.data[self.name(line, field_name)])
        return self.saved_text(line, field_name)

    def saved_text(self, line: PayAppLine, field_name: str) -> str:
        if field_name == "percent_complete":
            return percent_text(work_percent_to_date(line, self.rounding))
        if field_name == "quantity_this_period":
            return quantity_text(line.quantity_this_period)
        if field_name in ("retainage_work_percent", "retainage_stored_percent"):
            return percent_text(getattr(line, field_name))
        return amount_text(getattr(line, field_name))

    def entry(self, line: PayAppLine) -> str:
        if self.data is None:
            return ""
        posted = str(self.data.get(f"line-{line.pk}-entry", ""))
        return posted if posted in ENTRY_KINDS else ""

    def parse(self) -> bool:
        """Read the posted grid into `changes`; False (and `errors`) when a cell is unreadable.

        A line with no posted input is unchanged (the page script sends the touched rows)."""
        assert self.data is not None
        self.changes, self.errors = [], {}
        posted = posted_lines(self.data)
        for line in self.lines:
            if line.pk not in posted:
                continue
            values: dict[str, Decimal | None] = {}
            for field_name in GRID_FIELDS:
                values[field_name] = self._read(line, field_name)
            change = self._change(line, values)
            if change is not None:
                self.changes.append(change)
        return not self.errors

    def _read(self, line: PayAppLine, field_name: str) -> Decimal | None:
        """The posted value of one cell; None when it is not posted, not editable or unreadable."""
        assert self.data is not None
        key = self.name(line, field_name)
        if key not in self.data or not self.editable(line, field_name):
            return None
        text = str(self.data[key]).strip()
        try:
            if field_name in ("percent_complete", "quantity_this_period"):
                if not text:
                    return None
                parse = parse_percent if field_name == "percent_complete" else parse_quantity
                return parse(text)
            if field_name in ("retainage_work_percent", "retainage_stored_percent"):
                return parse_percent(text)
            return parse_amount(text) if text else Decimal("0.00")
        except ParseError as error:
            self.errors[f"lines.{line.pk}.{field_name}"] = [f"Line {line.item_number}: {error}"]
            return None

    def _change(self, line: PayAppLine, values: dict[str, Decimal | None]) -> LineChange | None:
        change = LineChange(line_id=line.pk)
        work = values["work_completed_this_period"]
        percent = values["percent_complete"]
        quantity = values["quantity_this_period"]
        entry = self.entry(line)
        work_changed = work is not None and work != line.work_completed_this_period
        quantity_changed = quantity is not None and quantity != line.quantity_this_period
        percent_changed = percent is not None and percent != work_percent_to_date(
            line, self.rounding
        )
        if not entry:
            if work_changed:
                entry = "amount"
            elif percent_changed:
                entry = "percent"
            elif quantity_changed:
                entry = "quantity"
        if entry == "percent" and percent is not None:
            change.percent_complete = percent
        elif entry == "quantity" and quantity is not None:
            change.quantity_this_period = quantity
        else:
            if work_changed:
                change.work_completed_this_period = work
            if quantity_changed:
                change.quantity_this_period = quantity
        for name in (
            "materials_presently_stored",
            "retainage_work_percent",
            "retainage_stored_percent",
            "retainage_released_this_period",
        ):
            value = values[name]
            if value is not None and value != getattr(line, name):
                setattr(change, name, value)
        asked = any(getattr(change, name) is not None for name in GRID_FIELDS)
        return change if asked else None


class RetainageAllForm(forms.Form):
    """The grid's "Set retainage for all lines" mini-form."""

    work_percent = forms.CharField(label="Work %", max_length=12)
    stored_percent = forms.CharField(label="Stored materials %", max_length=12)

    def clean_work_percent(self) -> Decimal:
        return _clean_percent(self.cleaned_data["work_percent"])

    def clean_stored_percent(self) -> Decimal:
        return _clean_percent(self.cleaned_data["stored_percent"])


class ReleaseRetainageForm(forms.Form):
    """An Admin's release over all lines: an amount or a % of what is held (DOMAIN.md §5.2)."""

    amount = forms.CharField(label="Amount", max_length=20, required=False)
    percent = forms.CharField(label="or % of retainage held", max_length=12, required=False)

    def clean_amount(self) -> Decimal | None:
        text = self.cleaned_data["amount"].strip()
        if not text:
            return None
        try:
            return parse_amount(text)
        except ParseError as error:
            raise forms.ValidationError(str(error)) from None

    def clean_percent(self) -> Decimal | None:
        text = self.cleaned_data["percent"].strip()
        return _clean_percent(text) if text else None

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if not self.errors and (cleaned.get("amount") is None) == (cleaned.get("percent") is None):
            raise forms.ValidationError("Enter either an amount or a percentage to release.")
        return cleaned


def _clean_percent(text: str) -> Decimal:
    try:
        return parse_percent(text)
    except ParseError as error:
        raise forms.ValidationError(str(error)) from None


class DetailsForm(forms.Form):
    invoice_number = forms.CharField(label="Invoice number", max_length=50, required=False)
    billing_date = forms.DateField(label="Billing date", widget=DateInput())


# --------------------------------------------------------------------------------------------
# Review and corrections

#: The outcomes an Admin picks from, in the order the form lists them.
REVIEW_OUTCOMES = (
    PayApp.Status.APPROVED,
    PayApp.Status.APPROVED_AS_NOTED,
    PayApp.Status.REVISE_AND_RESUBMIT,
    PayApp.Status.PENDING_OWNER_APPROVAL,
)
LINE_DECISIONS = (PayAppLine.ReviewStatus.APPROVED, PayAppLine.ReviewStatus.REJECTED)


class ReviewForm(forms.Form):
    status = forms.ChoiceField(label="Outcome")
    comment = forms.CharField(
        label="Overall comment",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="The vendor sees it at the top of the pay app.",
    )

    def __init__(self, *args: Any, current_status: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field_ = self.fields["status"]
        assert isinstance(field_, forms.ChoiceField)
        # No outcome is preselected: Enter in a reason cell must never approve by accident.
        field_.choices = [
            ("", "Choose an outcome"),
            *(
                (status.value, status.label)
                for status in REVIEW_OUTCOMES
                if status.value != current_status
            ),
        ]


def line_reviews(lines: list[PayAppLine], data: QueryDict) -> list[LineReview]:
    """The per-line decisions of the review form; a line left undecided is not sent."""
    reviews = []
    for line in lines:
        status = str(data.get(f"review-{line.pk}-status", ""))
        if status not in LINE_DECISIONS:
            continue
        reason = str(data.get(f"review-{line.pk}-reason", ""))
        reviews.append(LineReview(line_id=line.pk, status=status, reason=reason))
    return reviews


class StatusCorrectionForm(forms.Form):
    status = forms.ChoiceField(label="Set status to", choices=PayApp.Status.choices)
    reason = forms.CharField(
        label="Reason",
        max_length=500,
        help_text="Recorded in the history with your name.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # The review form on the same page has a "status" too: keep the ids apart.
        kwargs.setdefault("auto_id", "correction_%s")
        super().__init__(*args, **kwargs)


class AttachmentForm(forms.Form):
    file = forms.FileField(
        label="File",
        help_text="PDF, image (PNG, JPEG, GIF, WebP, TIFF) or office document; 10 MB at most.",
    )
    name = forms.CharField(
        label="Name", max_length=200, required=False, help_text="Defaults to the file's name."
    )
