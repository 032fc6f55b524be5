"""Reads for billing: pay app figures (G703 rows + G702), latest pay apps, invite statuses.

The figures are always computed from the stored line inputs by the pure module
`sitebill.billing.calculations`; nothing derived is stored, so totals cannot drift.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, NamedTuple, Protocol, cast

from django.db.models import Prefetch, QuerySet

from sitebill.billing import calculations as calc
from sitebill.billing.models import BillingPeriod, Invite, PayApp, PayAppLine
from sitebill.contracts.models import Contract
from sitebill.core.money import as_rounding
from sitebill.core.rows import values_rows

ZERO = Decimal("0.00")


class Row(NamedTuple):
    """A G703 row: the stored line and its computed columns (a tuple: 2,000 of them are made
    for every read of a big pay app)."""

    line: PayAppLine
    result: calc.LineResult


@dataclass(frozen=True)
class Figures:
    pay_app: PayApp
    rows: list[Row]
    g702: calc.G702
    warnings: list[str]

    totals: calc.G703Totals
    # A one-line edit's figures (`pay_app_lines_update(..., all_rows=False)`) carry only the
    # edited rows, with the ids of every overbilled line of the pay app; None: `rows` are all.
    overbilled_ids: tuple[int, ...] | None = None

    @property
    def overbilled(self) -> tuple[int, ...]:
        """The ids of the pay app's overbilled lines."""
        if self.overbilled_ids is not None:
            return self.overbilled_ids
        return tuple(row.line.pk for row in self.rows if row.result.overbilled)


class StoredLine(NamedTuple):
    """A pay app line read as its stored columns: every concrete column of `PayAppLine` under
    the same attribute names (and `pk`, `is_change_order`), without a model instance.

    Reading 2,000 lines as model instances costs about as much as the arithmetic on them; reads
    that only show figures (the API's pay app, the pay app page and its preview) take these
    tuples instead, and `figures_for_lines` reads them as it reads lines (attributes only).
    """

    id: int
    pay_app_id: int
    position: int
    sov_line_id: int | None
    change_order_line_id: int | None
    item_number: str
    description: str
    cost_code: str
    scheduled_value: Decimal
    is_new_change_order: bool
    work_completed_previous: Decimal
    work_completed_this_period: Decimal
    materials_presently_stored: Decimal
    retainage_work_percent: Decimal
    retainage_stored_percent: Decimal
    retainage_released_previous: Decimal
    retainage_released_this_period: Decimal
    previous_retainage_held: Decimal
    unit_price: Decimal | None
    quantity_this_period: Decimal | None
    review_status: str
    review_reason: str
    claimed_work_this_period: Decimal | None
    claimed_materials_presently_stored: Decimal | None

    @property
    def pk(self) -> int:
        return self.id

    @property
    def is_change_order(self) -> bool:
        return self.change_order_line_id is not None

    def as_model(self) -> PayAppLine:
        """The line as an unsaved model instance with these values (for a preview to apply
        edits to; never saved)."""
        return PayAppLine(**self._asdict())


def stored_lines(pay_app_id: int) -> list[PayAppLine]:
    """The pay app's lines in G703 order as `StoredLine`s, typed as the lines they stand for:
    read them, never save or change them. One query."""
    lines = values_rows(
        PayAppLine.objects.filter(pay_app_id=pay_app_id)
        .order_by("position", "id")
        .values_list(*StoredLine._fields),
        StoredLine._make,
    )
    return cast(list[PayAppLine], lines)


def stored_lines_of(pay_app_ids: Iterable[int]) -> dict[int, list[PayAppLine]]:
    """The lines of each of the pay apps in G703 order as `StoredLine`s (see `stored_lines`),
    by pay app id (an empty list for a pay app without lines). One query."""
    ids = list(pay_app_ids)
    by_pay_app: dict[int, list[PayAppLine]] = {pk: [] for pk in ids}
    lines = values_rows(
        PayAppLine.objects.filter(pay_app_id__in=ids)
        .order_by("pay_app_id", "position", "id")
        .values_list(*StoredLine._fields),
        StoredLine._make,
    )
    for line in lines:
        by_pay_app[line.pay_app_id].append(cast(PayAppLine, line))
    return by_pay_app


def line_input(line: PayAppLine) -> calc.LineInput:
    """The arithmetic's inputs of a line. A `StoredLine` (read from the database, never
    changed) comes with its columns' types, so `LineInput.from_columns` skips re-checking
    them; a model instance may carry an edit and is checked value by value."""
    make = calc.LineInput.from_columns if type(line) is StoredLine else calc.LineInput
    return make(
        scheduled_value=line.scheduled_value,
        work_completed_previous=line.work_completed_previous,
        work_completed_this_period=line.work_completed_this_period,
        materials_presently_stored=line.materials_presently_stored,
        retainage_work_percent=line.retainage_work_percent,
        retainage_stored_percent=line.retainage_stored_percent,
        retainage_released_previous=line.retainage_released_previous,
        retainage_released_this_period=line.retainage_released_this_period,
        previous_retainage_held=line.previous_retainage_held,
        is_change_order=line.change_order_line_id is not None,
        change_order_previous=line.change_order_line_id is not None
        and not line.is_new_change_order,
    )


def rules_of(contract: Contract) -> tuple[calc.RetainageRule, ...]:
    return calc.parse_retainage_rules(contract.retainage_rules or [])


def figures_for_lines(pay_app: PayApp, lines: Sequence[PayAppLine]) -> Figures:
    contract = pay_app.contract
    project = contract.project
    result = calc.compute_pay_app(
        [line_input(line) for line in lines],
        previous_certificates=pay_app.less_previous_certificates,
        rounding=as_rounding(project.rounding),
        retainage_rules=rules_of(contract),
    )
    rows = [Row(line=line, result=r) for line, r in zip(lines, result.lines, strict=True)]
    warnings: list[str] = []
    overbilled = [row.line for row in rows if row.result.overbilled]
    if overbilled and project.overbilling != "allow":
        names = ", ".join(f"{line.item_number} {line.description}" for line in overbilled)
        warnings.append(f"Billed above the scheduled value on: {names}.")
    return Figures(
        pay_app=pay_app, rows=rows, g702=result.g702, totals=result.totals, warnings=warnings
    )


def pay_app_figures(pay_app: PayApp) -> Figures:
    lines = list(pay_app.lines.all())
    return figures_for_lines(pay_app, lines)


def pay_app_with_lines(pay_app_id: int) -> PayApp:
    return (
        PayApp.objects.select_related(
            "contract", "contract__project", "contract__counterparty", "billing_period"
        )
        .prefetch_related(Prefetch("lines", queryset=PayAppLine.objects.order_by("position", "id")))
        .get(pk=pay_app_id)
    )


def latest_pay_app(contract: Contract) -> PayApp | None:
    return contract.pay_apps.order_by("-number").first()


def latest_pay_apps(contracts: Iterable[Contract]) -> dict[int, PayApp]:
    """The latest pay app of each contract, in one query."""
    ids = [c.pk for c in contracts]
    out: dict[int, PayApp] = {}
    for pay_app in PayApp.objects.filter(contract_id__in=ids).order_by("contract_id", "number"):
        out[pay_app.contract_id] = pay_app
    return out


def invites_by_contract(period: BillingPeriod) -> dict[int, Invite]:
    return {invite.contract_id: invite for invite in period.invites.all()}


def pay_apps_of_period(period: BillingPeriod) -> QuerySet[PayApp]:
    return period.pay_apps.select_related("contract")


# --------------------------------------------------------------------------------------------
# Preview: the figures of unsaved edits (the pay app page's live totals)


class LineEdit(Protocol):
    """What one line's edit asks for; `services.pay_apps.LineChange` has this shape."""

    line_id: int
    work_completed_this_period: Decimal | None
    percent_complete: Decimal | None
    materials_presently_stored: Decimal | None
    retainage_work_percent: Decimal | None
    retainage_stored_percent: Decimal | None
    retainage_released_this_period: Decimal | None
    quantity_this_period: Decimal | None


@dataclass(frozen=True)
class Preview:
    """The figures with the edits applied (nothing saved), and the edits that cannot apply.

    `errors` is keyed like the services' `ValidationFailed.fields` (`lines.<id>.<field>`); a
    line with an error is computed with its saved values, so the rest of the preview stands.
    `rows` of `figures` hold unsaved copies of the lines.
    """

    figures: Figures
    errors: dict[str, list[str]]


_PREVIEW_FIELDS = (
    "materials_presently_stored",
    "retainage_work_percent",
    "retainage_stored_percent",
    "retainage_released_this_period",
)


def pay_app_preview(
    pay_app: PayApp, lines: Sequence[PayAppLine], changes: Iterable[LineEdit]
) -> Preview:
    """The figures `pay_app_lines_update` would save for `changes`, without saving anything.

    The edits are applied to copies of `lines` the way the service applies them (a % complete
    sets E = round(% × C) − D; a unit line's quantity sets E = quantity × unit price unless E is
    given). Permission and overbilling checks stay in the service: this only computes. Pure once
    `lines` are loaded: no query.
    """
    rounding = as_rounding(pay_app.contract.project.rounding)
    copies = {line.pk: copy.copy(line) for line in lines}
    errors: dict[str, list[str]] = {}
    for change in changes:
        line = copies.get(int(change.line_id))
        if line is None:
            errors[f"lines.{change.line_id}"] = ["No such line on this pay app."]
            continue
        edited = copy.copy(line)
        try:
            _apply_edit(edited, change, rounding)
            calc.compute_line(line_input(edited), rounding=rounding)
        except ValueError as error:
            field = _field_of(str(error), change)
            errors.setdefault(f"lines.{line.pk}.{field}", []).append(
                f"Line {line.item_number}: {error}."
            )
            continue
        copies[line.pk] = edited
    rows = [copies[line.pk] for line in lines]
    try:
        figures = figures_for_lines(pay_app, rows)
    except ValueError as error:  # a sliding-scale holding smaller than a release
        errors.setdefault("lines", []).append(f"{error}.")
        figures = figures_for_lines(pay_app, list(lines))
    return Preview(figures=figures, errors=errors)


def _apply_edit(line: PayAppLine, change: LineEdit, rounding: calc.Rounding) -> None:
    if change.quantity_this_period is not None and line.unit_price is not None:
        line.quantity_this_period = change.quantity_this_period
        if change.work_completed_this_period is None and change.percent_complete is None:
            line.work_completed_this_period = calc.unit_work_amount(
                quantity_completed=change.quantity_this_period,
                unit_price=line.unit_price,
                rounding=rounding,
            )
    if change.work_completed_this_period is not None:
        line.work_completed_this_period = change.work_completed_this_period
    elif change.percent_complete is not None:
        line.work_completed_this_period = calc.work_this_period_from_percent(
            percent_complete=change.percent_complete,
            scheduled_value=line.scheduled_value,
            work_completed_previous=line.work_completed_previous,
            rounding=rounding,
        )
    for name in _PREVIEW_FIELDS:
        value = getattr(change, name)
        if value is not None:
            setattr(line, name, value)


def _field_of(message: str, change: LineEdit) -> str:
    """The input a calculation refusal is about, to show the message next to it."""
    if "release" in message:
        return "retainage_released_this_period"
    if "stored" in message:
        return "materials_presently_stored"
    if "retainage" in message:
        return "retainage_work_percent"
    if change.work_completed_this_period is None and change.percent_complete is not None:
        return "percent_complete"
    return "work_completed_this_period"


def work_percent_to_date(line: PayAppLine, rounding: str) -> Decimal:
    """(D + E) / C as a percentage, two places: what a "% complete" entry means (§5.1)."""
    return calc.percent_complete_of(
        amount=line.work_completed_previous + line.work_completed_this_period,
        scheduled_value=line.scheduled_value,
        rounding=as_rounding(rounding),
    )


# --------------------------------------------------------------------------------------------
# The project's pay app list (its page and its CSV/XLSX exports share these)


@dataclass(frozen=True)
class PayAppListRow:
    """A row of the pay app list: the pay app and its two money columns."""

    pay_app: PayApp
    work_this_period: Decimal  # Σ E
    current_payment_due: Decimal  # G702 line 8


def pay_app_list(
    pay_apps: QuerySet[PayApp],
    *,
    billing_period: BillingPeriod | None = None,
    status: str = "",
    vendor: Any = None,
) -> QuerySet[PayApp]:
    """`pay_apps` (already scoped to the user) filtered, newest period first.

    None or "" leaves a filter off. The lines are not loaded: rows built with
    `pay_app_list_rows` show the stored summaries (sitebill/billing/summaries.py) and compute
    only the stale ones, in one query for the page.
    """
    filters: dict[str, Any] = {}
    if billing_period is not None:
        filters["billing_period"] = billing_period
    if status:
        filters["status"] = status
    if vendor is not None:
        filters["contract__counterparty"] = vendor
    return (
        pay_apps.filter(**filters)
        .select_related("contract", "contract__project", "contract__counterparty", "billing_period")
        .order_by("-billing_period__number", "contract__number", "-number", "pk")
    )


def pay_app_list_rows(pay_apps: Iterable[PayApp]) -> list[PayAppListRow]:
    """The list's rows: stored summaries where still valid, the rest computed in one query."""
    from sitebill.billing.summaries import summaries

    shown = list(pay_apps)
    found = summaries(shown)
    return [
        PayAppListRow(
            pay_app=pay_app,
            work_this_period=found[pay_app.pk].work_completed_this_period,
            current_payment_due=found[pay_app.pk].current_payment_due,
        )
        for pay_app in shown
    ]
