"""The G703 grid's rows as HTML, built in Python: the pay app page and its live preview.

A 2,000-line pay app has some 30,000 cells. Drawn by the template engine (an `{% include %}` per
input, a filter call per figure, a context lookup per variable) the page took over a second;
here each row is one join of string pieces, so the page costs about what its figures cost.

What stays the same as the templates drew it: the markup (elements, classes, ids, names,
`data-*` attributes, visually hidden labels naming the line and the column, `aria-describedby`
error slots), so the page script, the styles and the tests see the same grid. What is new:
whitespace between cells is left out, and an edit grid re-rendered from a refused POST marks
the rows that were posted (`data-pending` on the row's hidden `entry` input), so the script
keeps sending them (it sends only the rows someone touched, see static/web/pay_grid.js).

Escaping: every text that comes from people (item number, description, cost code, review
reason, posted values, error messages) goes through `escape` (django.utils.html's rules: & < >
" '). Figures are formatted here by the same rules as the `money`, `percent`, `quantity` and
`unit_price` filters and `amount_text` / `percent_text` (digits, "$", ",", ".", "-", "()",
"%": nothing to escape); `tests/web/test_pay_app_grid_speed.py` checks they agree.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from html import escape as _escape

from django.http import QueryDict
from django.utils.safestring import SafeString, mark_safe

from sitebill.billing.models import PayApp, PayAppLine
from sitebill.billing.selectors import Row, stored_lines, work_percent_to_date
from sitebill.web.forms_pay_app import (
    GridColumns,
    LineGrid,
    amount_text,
    percent_text,
    posted_lines,
    quantity_text,
)
from sitebill.web.templatetags.sitebill import money, percent, quantity, unit_price


def escape(text: object) -> str:
    """`django.utils.html.escape` without its lazy-string wrapper (the same five entities)."""
    return _escape(str(text))


# --------------------------------------------------------------------------------------------
# The lines, read for showing


def lines_to_show(pay_app: PayApp) -> list[PayAppLine]:
    """The pay app's lines in G703 order as `selectors.StoredLine`s (one query, no model
    instances; read them, never save them). The lines a preview applies edits to become model
    instances (`StoredLine.as_model`); the service that saves reads its own."""
    return stored_lines(pay_app.pk)


# --------------------------------------------------------------------------------------------
# Figures as text


def money_cell(value: Decimal) -> str:
    """`money(value)`: "$1,250.00", "($1,250.00)"; fast for zero and for an amount with two
    places."""
    if value.is_zero():  # any zero, -0.00 included
        return "$0.00"
    text = f"{value:,}"
    if text[-3:-2] == ".":  # exactly two places in plain notation: nothing to round
        if text[0] != "-":
            return "$" + text
        return "$0.00" if text == "-0.00" else f"(${text[1:]})"
    return money(value)


def amount_input(value: Decimal) -> str:
    """`amount_text(value)`: what an amount input shows ("1,250.00", "-1,250.00")."""
    text = f"{value:,}"
    if text[-3:-2] == ".":
        return "0.00" if text == "-0.00" else text
    return amount_text(value)


class _Percents:
    """`percent` and `percent_text`: fast for two places (every computed % complete), else
    remembered per value (the rates, four places, repeat on every line).

    Equal Decimals format alike under both rules, except a negative zero under `percent_text`
    ("-0.00"), so zeros are never remembered."""

    def __init__(self) -> None:
        self._cell: dict[Decimal, str] = {}
        self._input: dict[Decimal, str] = {}

    def cell(self, value: Decimal) -> str:
        """`percent(value)`: "12.50%", "12.375%"."""
        text = f"{value:,}"
        if text[-3:-2] == ".":
            return "0.00%" if text == "-0.00" else text + "%"
        cached = self._cell.get(value)
        if cached is None:
            cached = percent(value)
            if value:
                self._cell[value] = cached
        return cached

    def rate(self, value: Decimal) -> str:
        """`percent(value)` of a rate (four places, the same on most lines): remembered first."""
        cached = self._cell.get(value)
        if cached is None:
            cached = self.cell(value)
            if value:
                self._cell[value] = cached
        return cached

    def input(self, value: Decimal) -> str:
        """`percent_text(value)`: what a percent input shows ("12.50", "12.375")."""
        text = f"{value:f}"
        if text[-3:-2] == ".":
            return text
        cached = self._input.get(value)
        if cached is None:
            cached = percent_text(value)
            if value:
                self._input[value] = cached
        return cached


# --------------------------------------------------------------------------------------------
# What the grid shows


@dataclass(frozen=True)
class GridView:
    """The page-wide choices of the grid (the columns and the mode)."""

    mode: str  # "edit", "review" or "view"
    columns: GridColumns
    show_quantity: bool
    show_release: bool
    show_stored_rate: bool


@dataclass(frozen=True)
class ReviewState:
    """The review column's inputs: posted (`data`) or from the lines, and their errors."""

    data: QueryDict | None
    errors: dict[str, list[str]] = field(default_factory=dict)
    fresh: bool = False  # Under Review: a new round starts blank


#: The review column of a grid drawn from the lines alone (nothing posted, no errors).
_NO_REVIEW = ReviewState(data=None)

#: The grid's inputs: (field, label, entry kind, narrow percent-sized input).
_INPUTS = {
    "work_completed_this_period": ("work completed this period", "amount", False),
    "percent_complete": ("work % complete to date", "percent", True),
    "quantity_this_period": ("quantity this period", "quantity", True),
    "materials_presently_stored": ("materials presently stored", "", False),
    "retainage_work_percent": ("retainage % on work", "", True),
    "retainage_stored_percent": ("retainage % on stored materials", "", True),
    "retainage_released_this_period": ("retainage released this period", "", False),
}
#: The constant parts of each input: (label, data-entry attribute, class).
_INPUT_PARTS = {
    name: (
        label,
        f' data-entry="{entry}"' if entry else "",
        "cell-input cell-input--pct" if narrow else "cell-input",
    )
    for name, (label, entry, narrow) in _INPUTS.items()
}
_REVIEW_LABELS = {status.value: str(status.label) for status in PayAppLine.ReviewStatus}
_NO_ACTION = PayAppLine.ReviewStatus.NO_ACTION.value
_REJECTED = PayAppLine.ReviewStatus.REJECTED.value


def line_errors(errors: dict[str, list[str]]) -> dict[int, dict[str, list[str]]]:
    """`lines.<id>.<field>` (and `lines.<id>`) errors by line id, then by field ("" for none)."""
    by_line: dict[int, dict[str, list[str]]] = {}
    for key, messages in errors.items():
        parts = key.split(".", 2)
        if parts[0] != "lines" or len(parts) < 2 or not parts[1].isdigit():
            continue
        by_line.setdefault(int(parts[1]), {}).setdefault(
            parts[2] if len(parts) > 2 else "", []
        ).extend(messages)
    return by_line


@dataclass(frozen=True)
class _RowCells:
    """One row's input cells: name -> (shown value, errors), in column order."""

    inputs: dict[str, tuple[str, list[str]]]
    loose: list[str]
    work_percent: Decimal | None


#: A row of a grid with no inputs and no errors (view and review).
_NO_CELLS = _RowCells(inputs={}, loose=[], work_percent=None)


class GridRenderer:
    """Draws the rows of one grid; one instance per response (it remembers formatted rates)."""

    def __init__(
        self,
        *,
        view: GridView,
        grid: LineGrid,
        errors: dict[str, list[str]] | None = None,
        review: ReviewState | None = None,
    ) -> None:
        self.view = view
        self.grid = grid
        self.errors = line_errors(errors or {})
        self.review = review
        self.saved = {line.pk: line for line in grid.lines}
        self.percents = _Percents()
        columns = view.columns
        editing = view.mode == "edit"
        self.editing = editing
        self.reviewing = view.mode == "review"
        #: The posted grid (an edit grid re-rendered from a refused POST, or the preview).
        self.data = grid.data if editing else None
        #: The inputs every row gets (quantity only on unit-price lines).
        self.fields = [
            name
            for name, on in (
                ("work_completed_this_period", columns.work),
                ("percent_complete", columns.work),
                ("quantity_this_period", columns.work),
                ("materials_presently_stored", columns.stored),
                ("retainage_work_percent", columns.rates),
                ("retainage_stored_percent", columns.rates and columns.stored),
                ("retainage_released_this_period", columns.release),
            )
            if on and editing
        ]
        #: The lines with a posted input (the rows the page script sent).
        self.posted = posted_lines(self.data) if self.data is not None else set()

    # --- The page --------------------------------------------------------------------------

    def rows_html(self, rows: Sequence[Row]) -> str:
        """The `<tr>` of every line, as HTML (every piece escaped here): the page puts it in the
        grid's tbody (the template draws the head, the foot and the empty row)."""
        draw = self._row
        return "".join([draw(row) for row in rows])

    def _cells(self, row: Row) -> _RowCells:
        """A row's inputs (shown value, errors) and the errors that belong to no input."""
        line = row.line
        pk = line.id
        saved = self.saved.get(pk, line)
        line_errors = self.errors.get(pk) if self.errors else None
        data = self.data
        work_percent: Decimal | None = None
        if self.editing:
            work_percent = work_percent_to_date(line, self.grid.rounding)
        inputs: dict[str, tuple[str, list[str]]] = {}
        no_messages: list[str] = []
        for name in self.fields:
            if name == "quantity_this_period" and saved.unit_price is None:
                continue
            key = f"line-{pk}-{name}"
            if data is not None and key in data:
                shown = escape(data[key])
            elif name == "work_completed_this_period":
                shown = amount_input(saved.work_completed_this_period)
            elif name == "percent_complete":
                # The saved line's (D + E) / C; the row's line is a preview's copy of it.
                unchanged = saved is line or (
                    saved.work_completed_this_period == line.work_completed_this_period
                    and saved.work_completed_previous == line.work_completed_previous
                    and saved.scheduled_value == line.scheduled_value
                )
                percent_ = (
                    work_percent
                    if unchanged and work_percent is not None
                    else work_percent_to_date(saved, self.grid.rounding)
                )
                shown = self.percents.input(percent_)
            elif name == "materials_presently_stored":
                shown = amount_input(saved.materials_presently_stored)
            elif name == "quantity_this_period":
                shown = quantity_text(saved.quantity_this_period)
            elif name in ("retainage_work_percent", "retainage_stored_percent"):
                shown = self.percents.input(getattr(saved, name))
            else:
                shown = amount_input(getattr(saved, name))
            if line_errors and name in line_errors:
                prefix = f"Line {line.item_number}: "
                inputs[name] = (shown, [m.removeprefix(prefix) for m in line_errors[name]])
            else:
                inputs[name] = (shown, no_messages)
        loose = (
            [
                message
                for name, messages in line_errors.items()
                if name not in inputs and name not in ("reason", "status")
                for message in messages
            ]
            if line_errors
            else no_messages
        )
        return _RowCells(inputs=inputs, loose=loose, work_percent=work_percent)

    def _row(self, row: Row) -> str:
        view = self.view
        line = row.line
        result = row.result
        pk = line.id
        cells = self._cells(row) if self.editing or self.errors else _NO_CELLS
        inputs = cells.inputs
        item = escape(line.item_number)
        description = escape(line.description)
        name_text = f"Line {item} {description}"  # escaping is per character: composes
        over = result.overbilled
        percents = self.percents

        def cell(name: str) -> str:
            label, entry_attr, css = _INPUT_PARTS[name]
            shown, messages = inputs[name]
            input_id = f"line-{pk}-{name}"
            invalid, error = (
                (' aria-invalid="true"', escape(" ".join(messages))) if messages else ("", "")
            )
            return (
                f'<label class="visually-hidden" for="{input_id}">{name_text}: {label}</label>'
                f'<input type="text" inputmode="decimal" autocomplete="off" id="{input_id}" '
                f'name="{input_id}" value="{shown}" class="{css}" data-col="{name}" '
                f'data-line="{pk}"{entry_attr} aria-describedby="err-{input_id}"{invalid}>'
                f'<span id="err-{input_id}" class="cell-error">{error}</span>'
            )

        status = line.review_status
        rejected = status == _REJECTED
        if rejected or over:
            classes = (
                "is-rejected is-overbilled"
                if rejected and over
                else ("is-rejected" if rejected else "is-overbilled")
            )
            parts = [f'<tr class="{classes}">']
        else:
            parts = ["<tr>"]
        # Item and description (with the code, the unit price, the review note, row errors).
        parts.append(f'<td class="g703__item">{item}</td><td class="g703__desc">{description}')
        if line.cost_code:
            parts.append(f' <span class="g703__code">{escape(line.cost_code)}</span>')
        if line.unit_price is not None:
            parts.append(f' <span class="g703__code">@ {unit_price(line.unit_price)}</span>')
        if self.editing:
            entry = escape(self.grid.entry(line)) if self.data is not None else ""
            pending = " data-pending" if pk in self.posted else ""
            parts.append(
                f' <input type="hidden" name="line-{pk}-entry" id="line-{pk}-entry" '
                f'value="{entry}"{pending}>'
            )
        if status != _NO_ACTION:
            status = escape(status)  # one of the choices; escaped all the same
            slug = status.replace("_", "-")
            reason = f" {escape(line.review_reason)}" if line.review_reason else ""
            parts.append(
                f' <span class="review-note review-note--{status}"><span class="pill '
                f'pill--{slug}">{escape(_REVIEW_LABELS.get(status, status))}</span>{reason}</span>'
            )
        for message in cells.loose:
            parts.append(f' <span class="cell-error">{escape(message)}</span>')
        # C, D, E (and % complete, quantity), F.
        work = (
            cell("work_completed_this_period")
            if "work_completed_this_period" in inputs
            else money_cell(result.work_completed_this_period)
        )
        parts.append(
            f'</td><td class="num">{money_cell(result.scheduled_value)}</td>'
            f'<td class="num">{money_cell(result.work_completed_previous)}</td>'
            f'<td class="num">{work}</td>'
        )
        if self.editing:
            if "percent_complete" in inputs:
                parts.append(f'<td class="num">{cell("percent_complete")}</td>')
            else:
                assert cells.work_percent is not None
                parts.append(f'<td class="num">{percents.cell(cells.work_percent)}</td>')
        if view.show_quantity:
            if "quantity_this_period" in inputs:
                parts.append(f'<td class="num">{cell("quantity_this_period")}</td>')
            else:
                parts.append(f'<td class="num">{quantity(line.quantity_this_period)}</td>')
        stored = (
            cell("materials_presently_stored")
            if "materials_presently_stored" in inputs
            else money_cell(result.materials_presently_stored)
        )
        # G, G/C, H: the cells the preview swaps.
        over_class = ' class="is-over"' if over else ""
        parts.append(
            f'<td class="num">{stored}</td>'
            f'<td class="num"><span id="c{pk}-g"{over_class}>'
            f"{money_cell(result.total_completed_and_stored)}</span></td>"
            f'<td class="num"><span id="c{pk}-pct"{over_class}>'
            f"{percents.cell(result.percent_complete)}</span></td>"
            f'<td class="num"><span id="c{pk}-h">{money_cell(result.balance_to_finish)}</span></td>'
        )
        # Retainage rates, held, released.
        if "retainage_work_percent" in inputs:
            stored_rate = (
                cell("retainage_stored_percent") if "retainage_stored_percent" in inputs else ""
            )
            rates = f'<span class="rate-pair">{cell("retainage_work_percent")}{stored_rate}</span>'
        else:
            rates = percents.rate(result.retainage_work_percent)
            if (
                view.show_stored_rate
                and result.retainage_stored_percent != result.retainage_work_percent
            ):
                rates += f" / {percents.rate(result.retainage_stored_percent)}"
        parts.append(
            f'<td class="num">{rates}</td>'
            f'<td class="num"><span id="c{pk}-ret">{money_cell(result.retainage_held)}</span></td>'
        )
        if view.show_release:
            if "retainage_released_this_period" in inputs:
                parts.append(f'<td class="num">{cell("retainage_released_this_period")}</td>')
            else:
                parts.append(
                    f'<td class="num">{money_cell(result.retainage_released_this_period)}</td>'
                )
        if self.reviewing:
            parts.append(self._review_cell(line, name_text))
        parts.append("</tr>")
        return "".join(parts)

    def _review_cell(self, line: PayAppLine, name_text: str) -> str:
        review = self.review or _NO_REVIEW
        pk = line.pk
        if review.data is not None:
            decision = str(review.data.get(f"review-{pk}-status", ""))
            reason = str(review.data.get(f"review-{pk}-reason", ""))
        else:
            # A new round (Under Review) starts blank; the previous verdicts show beside it.
            status = line.review_status
            decision = status if status != _NO_ACTION and not review.fresh else ""
            reason = "" if review.fresh else line.review_reason
        messages = (
            [
                *review.errors.get(f"lines.{pk}.status", []),
                *review.errors.get(f"lines.{pk}.reason", []),
            ]
            if review.errors
            else []
        )
        approved = " checked" if decision == "approved" else ""
        rejected = " checked" if decision == "rejected" else ""
        invalid = ' aria-invalid="true"' if messages else ""
        errors = "".join([f'<span class="cell-error">{escape(m)}</span>' for m in messages])
        return (
            '<td class="g703__review"><fieldset class="review-choice">'
            f'<legend class="visually-hidden">{name_text}: review</legend>'
            f'<label><input type="radio" name="review-{pk}-status" value="approved"{approved}>'
            " Approve</label> "
            f'<label><input type="radio" name="review-{pk}-status" value="rejected"{rejected}>'
            " Reject</label></fieldset>"
            f'<label class="visually-hidden" for="review-{pk}-reason">{name_text}: reason</label>'
            f'<input type="text" id="review-{pk}-reason" name="review-{pk}-reason" '
            f'value="{escape(reason)}" placeholder="Reason" class="review-reason"{invalid}>'
            f"{errors}</td>"
        )

    # --- The live preview ----------------------------------------------------------------

    def preview(self, rows: Iterable[Row]) -> tuple[SafeString, dict[str, dict[str, str]]]:
        """The computed cells of `rows` and their inputs' error slots, as out-of-band swaps;
        and the values of the sibling inputs (entry, E, % complete) of each row without an
        error (the `paygrid:sync` event)."""
        parts = []
        sync: dict[str, dict[str, str]] = {}
        percents = self.percents
        for row in rows:
            line = row.line
            pk = line.pk
            result = row.result
            cells = self._cells(row)
            over_class = ' class="is-over"' if result.overbilled else ""
            parts.append(
                f'<span id="c{pk}-g" hx-swap-oob="true"{over_class}>'
                f"{money_cell(result.total_completed_and_stored)}</span>\n"
                f'<span id="c{pk}-pct" hx-swap-oob="true"{over_class}>'
                f"{percents.cell(result.percent_complete)}</span>\n"
                f'<span id="c{pk}-h" hx-swap-oob="true">'
                f"{money_cell(result.balance_to_finish)}</span>\n"
                f'<span id="c{pk}-ret" hx-swap-oob="true">'
                f"{money_cell(result.retainage_held)}</span>\n"
            )
            clean = True
            for name, (_shown, messages) in cells.inputs.items():
                clean = clean and not messages
                parts.append(
                    f'<span id="err-line-{pk}-{name}" class="cell-error" hx-swap-oob="true">'
                    f"{escape(' '.join(messages))}</span>\n"
                )
            if clean and cells.work_percent is not None:
                sync[str(pk)] = {
                    "entry": self.grid.entry(line),
                    "work_completed_this_period": amount_input(line.work_completed_this_period),
                    "percent_complete": percents.input(cells.work_percent),
                }
        return mark_safe("".join(parts)), sync  # every piece escaped above
