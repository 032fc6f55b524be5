"""Pay app writes: create (carry forward), edit lines, submit, review, correct, delete.

Each function is one transition (CONVENTIONS.md habit 2): lock the row, re-check the guard from
`transitions.py` and the `version` the caller last saw, write with `update_fields`, append an
Event, and queue mail in the outbox (delivered after commit). A refused call raises and
changes nothing.

Choices where DOMAIN.md is silent (documented here, tested in tests/billing/test_pay_apps.py):
- Creating the period's pay app as a contact accepts a pending Invite to Bill for that period.
- A contact may not submit a Draft after the due date; a Revise & Resubmit may be resubmitted
  after it (DOMAIN.md §4). Standard and Admin users may submit on the contact's behalf at any time.
- Retainage rates are set by Standard and Admin users; contacts may not change them. Retainage
  release is an Admin's, or the vendor's on a "Work, Materials & Retainage" or "Retainage
  Release" invoice.
- On resubmission the review statuses of the previous round stay visible until the next review.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from functools import partial
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from sitebill.accounts.access import Role, is_contact, require_role
from sitebill.billing import calculations as calc
from sitebill.billing import transitions
from sitebill.billing.models import BillingPeriod, Invite, InvoiceType, PayApp, PayAppLine
from sitebill.billing.selectors import Figures, Row, figures_for_lines, line_input
from sitebill.billing.summaries import (
    StoredFigures,
    stored_figures,
    stored_summary,
    summary_key,
    summary_to_store,
)
from sitebill.contracts.models import ChangeOrder, ChangeOrderLine, Contract, SOVLine
from sitebill.core.events import record_event
from sitebill.core.exceptions import Conflict, NotFound, PermissionDenied, ValidationFailed
from sitebill.core.fields import MAX_STORED_AMOUNT
from sitebill.core.models import Event
from sitebill.core.money import Rounding, as_rounding

ZERO = Decimal("0.00")
S = PayApp.Status


# --------------------------------------------------------------------------------------------
# Create


def pay_app_create(
    *,
    actor: Any,
    contract: Contract,
    billing_period: BillingPeriod,
    invoice_number: str = "",
    billing_date: dt.date | None = None,
    invoice_type: str | None = None,
    on_behalf_of: Any = None,
    today: dt.date | None = None,
) -> PayApp:
    """A Draft pay app for the period, its lines carried forward from the latest pay app."""
    today = today or timezone.localdate()
    role = require_role(actor, contract, Role.CONTACT)
    if role == Role.READ_ONLY:
        raise PermissionDenied("Read Only users cannot create pay apps.")
    if role == Role.CONTACT and not contract.is_commitment:
        raise NotFound("Contract not found.")
    if billing_period.project_id != contract.project_id:
        raise ValidationFailed(
            "The billing period belongs to another project.",
            fields={"billing_period": ["Choose a billing period of this project."]},
        )
    if not billing_period.is_open:
        raise ValidationFailed(
            f"{billing_period} is closed: pay apps are created in the Open period.",
            code="period_closed",
            fields={"billing_period": ["This billing period is closed."]},
        )
    if not contract.is_invoiceable:
        raise ValidationFailed(
            f"{contract} is {contract.get_status_display()}: only Approved or Complete "
            "contracts can be billed.",
            code="not_invoiceable",
        )
    if invoice_type is not None and invoice_type not in InvoiceType.values:
        raise ValidationFailed(
            "Unknown invoice type.", fields={"invoice_type": [f"'{invoice_type}' is not valid."]}
        )
    if role == Role.CONTACT:
        if today > billing_period.due_date:
            raise ValidationFailed(
                f"The due date of this billing period ({billing_period.due_date:%b %d, %Y}) "
                "has passed: ask the contractor to create the pay app on your behalf.",
                code="past_due",
            )
        on_behalf_of = actor
    elif (
        on_behalf_of is not None
        and contract.is_commitment
        and not is_contact(on_behalf_of, contract)
    ):
        raise ValidationFailed(
            "Pay apps are created on behalf of a payment application contact of this commitment.",
            fields={"on_behalf_of": ["Not a payment application contact of this commitment."]},
        )

    with transaction.atomic():
        # Lock the contract: numbering and "only one open pay app" are decided under the lock.
        Contract.objects.select_for_update().filter(pk=contract.pk).first()
        invite = Invite.objects.filter(contract=contract, billing_period=billing_period).first()
        if invite is not None and invite.status == Invite.Status.DECLINED:
            raise Conflict(
                "The Invite to Bill for this period was declined: no pay app is created for it.",
                code="invite_declined",
            )
        if PayApp.objects.filter(contract=contract, billing_period=billing_period).exists():
            raise Conflict(
                f"{contract} already has a pay app for {billing_period}.", code="duplicate"
            )
        previous = contract.pay_apps.order_by("-number").first()
        if previous is not None and not previous.is_approved:
            raise Conflict(
                f"Pay app #{previous.number} is {previous.get_status_display()}: it must be "
                "approved before the next one is created.",
                code="previous_not_approved",
            )
        pay_app = PayApp(
            contract=contract,
            billing_period=billing_period,
            number=(previous.number + 1) if previous else 1,
            invoice_number=invoice_number,
            billing_date=billing_date or today,
            invoice_type=invoice_type
            or (invite.invoice_type if invite else "")
            or InvoiceType.WORK_AND_MATERIALS,
            created_by=actor,
            on_behalf_of=on_behalf_of,
            less_previous_certificates=(previous.certified_earned_less_retainage or ZERO)
            if previous
            else ZERO,
        )
        try:
            with transaction.atomic():
                pay_app.save()
        except IntegrityError:
            raise Conflict(
                f"{contract} already has a pay app for {billing_period}.", code="duplicate"
            ) from None
        lines = PayAppLine.objects.bulk_create(_carried_lines(pay_app, previous))
        _store_first_summary(pay_app, lines)
        record_event(
            actor=actor,
            target=pay_app,
            action="pay_app_created",
            project=contract.project,
            changes={"status": (None, S.DRAFT)},
            reason=f"on behalf of {on_behalf_of}" if on_behalf_of and on_behalf_of != actor else "",
        )
        if invite is not None and invite.status == Invite.Status.INVITED and role == Role.CONTACT:
            invite.status = Invite.Status.ACCEPTED
            invite.responded_at = timezone.now()
            invite.responded_by = actor
            invite.save(update_fields=["status", "responded_at", "responded_by"])
            record_event(
                actor=actor,
                target=invite,
                action="invite_accepted",
                project=contract.project,
                changes={"status": (Invite.Status.INVITED, Invite.Status.ACCEPTED)},
            )
    return pay_app


def _store_first_summary(pay_app: PayApp, lines: list[PayAppLine]) -> None:
    """The new pay app's summary, so that lists show it without reading its lines."""
    if any(line.pk is None for line in lines):  # a backend that returns no ids: lists compute it
        return
    ordered = sorted(lines, key=lambda line: (line.position, line.pk))
    try:
        figures = figures_for_lines(pay_app, ordered)
    except ValueError:  # not expected of carried lines; the lists then compute the figures
        return
    pay_app.summary = summary_to_store(pay_app, figures)
    pay_app.save(update_fields=["summary"])


def _carried_lines(pay_app: PayApp, previous: PayApp | None) -> list[PayAppLine]:
    """One line per SOV line and approved change-order line; D and F carried forward.

    AIA G703: D is the previous D + E, not the previous G; F stays stored until installed
    (`calculations.carry_forward` owns the rule and the "move stored to previous" setting).
    """
    contract = pay_app.contract
    move = contract.project.move_stored_to_previous
    prev_lines: list[PayAppLine] = list(previous.lines.all()) if previous else []
    prev_held: dict[int, Decimal] = {}
    if previous is not None:
        figures = figures_for_lines(previous, prev_lines)
        prev_held = {row.line.pk: row.result.retainage_held for row in figures.rows}
    by_sov = {line.sov_line_id: line for line in prev_lines if line.sov_line_id}
    by_co = {line.change_order_line_id: line for line in prev_lines if line.change_order_line_id}

    def build(prev: PayAppLine | None, *, position: int, **identity: Any) -> PayAppLine:
        line = PayAppLine(pay_app=pay_app, position=position, **identity)
        if prev is None:
            line.retainage_work_percent = contract.retainage_work_percent
            line.retainage_stored_percent = contract.retainage_stored_percent
            return line
        carried = calc.carry_forward(line_input(prev), move_stored_to_previous=move)
        line.work_completed_previous = carried.work_completed_previous
        line.materials_presently_stored = carried.materials_presently_stored
        line.retainage_work_percent = prev.retainage_work_percent
        line.retainage_stored_percent = prev.retainage_stored_percent
        line.retainage_released_previous = (
            prev.retainage_released_previous + prev.retainage_released_this_period
        )
        line.previous_retainage_held = prev_held.get(prev.pk, ZERO)
        return line

    lines: list[PayAppLine] = []
    for sov in SOVLine.objects.filter(contract=contract).order_by("position", "id"):
        lines.append(
            build(
                by_sov.get(sov.pk),
                position=len(lines),
                sov_line=sov,
                item_number=sov.item_number,
                description=sov.description,
                cost_code=sov.cost_code,
                scheduled_value=sov.scheduled_value,
                unit_price=sov.unit_price,
            )
        )
    co_lines = ChangeOrderLine.objects.filter(
        change_order__contract=contract, change_order__status=ChangeOrder.Status.APPROVED
    ).select_related("change_order")
    for co_line in co_lines.order_by("change_order__approved_at", "change_order_id", "id"):
        prev = by_co.get(co_line.pk)
        lines.append(
            build(
                prev,
                position=len(lines),
                change_order_line=co_line,
                item_number=co_line.item_number,
                description=f"CO {co_line.change_order.number}: {co_line.description}",
                cost_code=co_line.cost_code,
                scheduled_value=co_line.amount,
                is_new_change_order=prev is None,
            )
        )
    return lines


# --------------------------------------------------------------------------------------------
# Edit


@dataclass
class LineChange:
    """What a caller asks to change on one line; None = leave as is."""

    line_id: int
    work_completed_this_period: Decimal | None = None
    percent_complete: Decimal | None = None
    materials_presently_stored: Decimal | None = None
    retainage_work_percent: Decimal | None = None
    retainage_stored_percent: Decimal | None = None
    retainage_released_this_period: Decimal | None = None
    quantity_this_period: Decimal | None = None


class NoSuchLine(ValidationFailed):
    """An edit named a line that is not on the pay app (a 400 naming it; the API's one-line
    URL answers 404 instead)."""


@dataclass
class EditResult:
    pay_app: PayApp
    warnings: list[str] = field(default_factory=list)
    # The figures computed to check the edit, with it applied: what an answer shows, computed
    # once per request (the API answers from them).
    figures: Figures | None = None


_RATE_FIELDS = ("retainage_work_percent", "retainage_stored_percent")
_AMOUNT_FIELDS = (
    "work_completed_this_period",
    "materials_presently_stored",
    "retainage_released_this_period",
    "quantity_this_period",
)


def _lock_for_edit(*, actor: Any, pay_app: PayApp, version: int | None) -> tuple[PayApp, Role]:
    """Lock the pay app row and check role, status, latest-ness and version."""
    locked = (
        PayApp.objects.select_for_update()
        .select_related("contract", "contract__project", "billing_period")
        .get(pk=pay_app.pk)
    )
    role = require_role(actor, locked.contract, Role.CONTACT)
    transitions.check_edit(role, locked.status)
    today = timezone.localdate()
    if role == Role.CONTACT and locked.status == S.DRAFT and today > locked.billing_period.due_date:
        raise ValidationFailed(
            f"The due date ({locked.billing_period.due_date:%b %d, %Y}) has passed: a Draft can "
            "no longer be changed by the vendor. Ask the contractor.",
            code="past_due",
        )
    if version is not None and int(version) != locked.version:
        raise Conflict(
            "This pay app was changed by someone else since you opened it: reload it and "
            "make your change again.",
            code="stale_version",
        )
    # Asked after the lock, in a query of its own: on PostgreSQL a subquery of the locking
    # query would see the snapshot from before it waited, and miss a pay app created meanwhile.
    later = PayApp.objects.filter(contract_id=locked.contract_id, number__gt=locked.number)
    if later.exists():
        raise Conflict("Only the latest pay app of a commitment can be edited.", code="not_latest")
    return locked, role


def _bump(
    pay_app: PayApp,
    fields: Sequence[str] = (),
    *,
    figures: Figures | None = None,
    figures_unchanged: bool = False,
) -> None:
    """Save a change of the pay app as a new `version`, and its stored summary with it.

    `figures`: the pay app's figures after the change (the summary is stored from them).
    `figures_unchanged`: the change touched no input of the figures (an invoice number, a review
    verdict), so a summary that was valid stays valid under the new version. Otherwise the
    summary is dropped and lists compute the figures from the lines (sitebill/billing/summaries.py).
    """
    still_valid = figures_unchanged and stored_summary(pay_app) is not None
    pay_app.version += 1
    if figures is not None:
        pay_app.summary = summary_to_store(pay_app, figures)
    elif still_valid:
        pay_app.summary = {**dict(pay_app.summary or {}), "key": summary_key(pay_app)}
    else:
        pay_app.summary = None
    pay_app.save(update_fields=["version", "updated_at", "summary", *fields])


def pay_app_lines_update(
    *,
    actor: Any,
    pay_app: PayApp,
    version: int | None,
    changes: Sequence[LineChange],
    all_rows: bool = True,
) -> EditResult:
    """Apply line edits all-or-nothing; the G702 follows from the lines.

    With `all_rows=False` (an answer that shows only the edited rows, such as the API's
    one-line PATCH) and a stored summary still valid for this version, on flat-rate retainage,
    only the edited lines are read: the G702 is revised from the stored one by what those rows
    add now instead of what they added before (`calculations.revise_pay_app`), and the result's
    figures carry only the edited rows. Otherwise every line is read and computed.
    """
    with transaction.atomic():
        locked, role = _lock_for_edit(actor=actor, pay_app=pay_app, version=version)
        contract = locked.contract
        project = contract.project
        stored = None if all_rows or contract.retainage_rules else stored_figures(locked)
        rows_before: dict[int, calc.LineResult] = {}
        if stored is not None:
            wanted = {int(change.line_id) for change in changes}
            lines = list(locked.lines.filter(pk__in=wanted).order_by("position", "id"))
            try:
                rows_before = {line.pk: _row_result(line, project.rounding) for line in lines}
            except ValueError:  # not expected of stored lines: compute the whole pay app
                stored = None
        if stored is None:
            lines = list(locked.lines.order_by("position", "id"))
        by_id = {line.pk: line for line in lines}
        errors: dict[str, list[str]] = {}
        audit: dict[str, tuple[Any, Any]] = {}
        touched: set[int] = set()
        originals: dict[int, tuple[Any, ...]] = {}
        missing = False
        for change in changes:
            line = by_id.get(int(change.line_id))
            if line is None:
                errors[f"lines.{change.line_id}"] = ["No such line on this pay app."]
                missing = True
                continue
            originals.setdefault(line.pk, _saved_values(line))
            _apply_change(
                change=change,
                line=line,
                role=role,
                invoice_type=locked.invoice_type,
                stored_enabled=contract.stored_materials_enabled,
                rounding=as_rounding(project.rounding),
                errors=errors,
                audit=audit,
            )
            touched.add(line.pk)
        for pk in touched:
            _check_row(by_id[pk], rounding=as_rounding(project.rounding), errors=errors)
        if errors:
            raise (NoSuchLine if missing else ValidationFailed)(
                _first_message(errors), fields=errors
            )
        if stored is not None:
            figures = _revised_figures(locked, stored, rows_before, [by_id[pk] for pk in touched])
        else:
            try:
                figures = figures_for_lines(locked, lines)
            except ValueError as exc:  # e.g. a release above a sliding-scale holding
                raise ValidationFailed(f"These figures do not add up: {exc}.") from None
        _check_lines(figures=figures, policy=project.overbilling, errors=errors, only=touched)
        if errors:
            raise ValidationFailed(_first_message(errors), code="overbilling", fields=errors)
        _save_lines([by_id[pk] for pk in touched], originals)
        _bump(locked, figures=figures)
        if audit:
            record_event(
                actor=actor, target=locked, action="lines_updated", project=project, changes=audit
            )
    return EditResult(pay_app=locked, warnings=figures.warnings, figures=figures)


#: The line fields an edit writes.
_SAVED_FIELDS = (
    "work_completed_this_period",
    "materials_presently_stored",
    "retainage_work_percent",
    "retainage_stored_percent",
    "retainage_released_this_period",
    "quantity_this_period",
)


def _saved_values(line: PayAppLine) -> tuple[Any, ...]:
    return tuple(getattr(line, name) for name in _SAVED_FIELDS)


def _save_lines(lines: Sequence[PayAppLine], originals: dict[int, tuple[Any, ...]]) -> None:
    """Write what the edit changed: only the lines whose values moved, only the fields that
    moved on any of them (`originals`: each line's values before the edit). A one-line edit is
    one plain UPDATE; more lines are one `bulk_update` (a CASE per field: the same number of
    queries for 2 lines as for 2,000, and a prefill of 400 lines writes 2 or 3 fields, not 6)."""
    changed = [line for line in lines if _saved_values(line) != originals[line.pk]]
    fields = [
        name
        for position, name in enumerate(_SAVED_FIELDS)
        if any(getattr(line, name) != originals[line.pk][position] for line in changed)
    ]
    if not fields:
        return
    if len(changed) == 1:
        (line,) = changed
        PayAppLine.objects.filter(pk=line.pk).update(
            **{name: getattr(line, name) for name in fields}
        )
    else:
        PayAppLine.objects.bulk_update(changed, fields)


def _row_result(line: PayAppLine, rounding: str) -> calc.LineResult:
    return calc.compute_line(line_input(line), rounding=as_rounding(rounding))


def _revised_figures(
    pay_app: PayApp,
    stored: StoredFigures,
    rows_before: dict[int, calc.LineResult],
    edited: list[PayAppLine],
) -> Figures:
    """The figures after editing `edited` (their rows only), from the stored ones."""
    project = pay_app.contract.project
    edited = sorted(edited, key=lambda line: (line.position, line.pk))
    after = {line.pk: _row_result(line, project.rounding) for line in edited}
    g702, totals = calc.revise_pay_app(
        g702=stored.g702,
        totals=stored.totals,
        before=[rows_before[line.pk] for line in edited],
        after=[after[line.pk] for line in edited],
        rounding=as_rounding(project.rounding),
    )
    overbilled = set(stored.overbilled_ids) - set(after)
    overbilled |= {pk for pk, result in after.items() if result.overbilled}
    warnings: list[str] = []
    if overbilled and project.overbilling != "allow":
        named = {line.pk: line for line in edited if line.pk in overbilled}
        others = PayAppLine.objects.filter(pk__in=overbilled - set(named)).only(
            "pk", "position", "item_number", "description"
        )
        in_order = sorted([*named.values(), *others], key=lambda line: (line.position, line.pk))
        names = ", ".join(f"{line.item_number} {line.description}" for line in in_order)
        warnings.append(f"Billed above the scheduled value on: {names}.")
    return Figures(
        pay_app=pay_app,
        rows=[Row(line=line, result=after[line.pk]) for line in edited],
        g702=g702,
        totals=totals,
        warnings=warnings,
        overbilled_ids=tuple(sorted(overbilled)),
    )


def _first_message(errors: dict[str, list[str]]) -> str:
    return next(iter(errors.values()))[0]


def _apply_change(
    *,
    change: LineChange,
    line: PayAppLine,
    role: Role,
    invoice_type: str,
    stored_enabled: bool,
    rounding: Rounding,
    errors: dict[str, list[str]],
    audit: dict[str, tuple[Any, Any]],
) -> None:
    key = f"lines.{line.pk}"
    label = f"Line {line.item_number}"

    def fail(field_name: str, message: str) -> None:
        errors.setdefault(f"{key}.{field_name}", []).append(f"{label}: {message}")

    def set_value(field_name: str, value: Decimal | None) -> None:
        old = getattr(line, field_name)
        if old != value:
            audit[f"line {line.item_number} {field_name}"] = (old, value)
            setattr(line, field_name, value)

    if change.percent_complete is not None and change.work_completed_this_period is not None:
        fail("percent_complete", "enter either an amount or a % complete, not both.")
        return
    if change.quantity_this_period is not None:
        if line.unit_price is None:
            fail("quantity_this_period", "this line is not a unit-priced line.")
        else:
            set_value("quantity_this_period", change.quantity_this_period)
            if change.work_completed_this_period is None and change.percent_complete is None:
                set_value(
                    "work_completed_this_period",
                    calc.unit_work_amount(
                        quantity_completed=change.quantity_this_period,
                        unit_price=line.unit_price,
                        rounding=rounding,
                    ),
                )
    if change.work_completed_this_period is not None:
        set_value("work_completed_this_period", change.work_completed_this_period)
    if change.percent_complete is not None:
        if not (Decimal("-1000") <= change.percent_complete <= Decimal("1000")):
            fail("percent_complete", "a % complete must be between -1000 and 1000.")
        else:
            set_value(
                "work_completed_this_period",
                calc.work_this_period_from_percent(
                    percent_complete=change.percent_complete,
                    scheduled_value=line.scheduled_value,
                    work_completed_previous=line.work_completed_previous,
                    rounding=rounding,
                ),
            )
    if change.materials_presently_stored is not None:
        if (
            not stored_enabled
            and change.materials_presently_stored != line.materials_presently_stored
        ):
            fail("materials_presently_stored", "this commitment does not allow stored materials.")
        elif change.materials_presently_stored < 0:
            fail("materials_presently_stored", "materials presently stored cannot be negative.")
        else:
            set_value("materials_presently_stored", change.materials_presently_stored)
    for rate_field in _RATE_FIELDS:
        value = getattr(change, rate_field)
        if value is None or value == getattr(line, rate_field):
            continue
        if role == Role.CONTACT:
            fail(rate_field, "retainage rates are set by the contractor.")
        elif not (Decimal("0") <= value <= Decimal("100")):
            fail(rate_field, "a retainage rate must be between 0 and 100.")
        else:
            set_value(rate_field, value)
    if change.retainage_released_this_period is not None and (
        change.retainage_released_this_period != line.retainage_released_this_period
    ):
        vendor_may_release = invoice_type in (
            InvoiceType.WORK_MATERIALS_AND_RETAINAGE,
            InvoiceType.RETAINAGE_RELEASE,
        )
        if role in (Role.CONTACT, Role.STANDARD) and not vendor_may_release:
            fail(
                "retainage_released_this_period",
                "retainage is released by an Admin, or billed on a 'Work, Materials & "
                "Retainage' or 'Retainage Release' invoice.",
            )
        else:
            # The row check decides the range: from 0 to what the line holds, so a negative
            # release only on a line holding negative retainage (a deductive change order),
            # where releasing a share of the total takes a share of that credit too.
            set_value("retainage_released_this_period", change.retainage_released_this_period)


def _check_row(line: PayAppLine, *, rounding: Rounding, errors: dict[str, list[str]]) -> None:
    """The row's own arithmetic rules (calculations refuses what AIA practice does not allow:
    work to date below zero, negative stored materials, a release above what the line holds),
    and the stored columns' size: an amount worked out from a % complete or a quantity can be
    larger than the 999,999,999,999.99 a line's column holds."""
    for field_name in _STORED_AMOUNTS:
        value = getattr(line, field_name)
        if value is not None and abs(value) >= MAX_STORED_AMOUNT:
            errors.setdefault(f"lines.{line.pk}.{field_name}", []).append(
                f"Line {line.item_number}: {value:,} is more than a line can hold "
                "(at most 999,999,999,999.99)."
            )
            return
    try:
        calc.compute_line(line_input(line), rounding=rounding)
    except ValueError as exc:
        message = str(exc)
        if "release" in message:
            field_name = "retainage_released_this_period"
        elif "stored" in message:
            field_name = "materials_presently_stored"
        else:
            field_name = "work_completed_this_period"
        errors.setdefault(f"lines.{line.pk}.{field_name}", []).append(
            f"Line {line.item_number}: {message}."
        )


#: The amounts an edit writes to a line, each a MoneyField (at most 12 digits before the point).
_STORED_AMOUNTS = (
    "work_completed_this_period",
    "materials_presently_stored",
    "retainage_released_this_period",
)


def _check_lines(
    *, figures: Any, policy: str, errors: dict[str, list[str]], only: set[int] | None = None
) -> None:
    """Overbilling (project policy) and releases above what is held."""
    for row in figures.rows:
        line = row.line
        if only is not None and line.pk not in only:
            continue
        if row.result.retainage_held < 0 and line.retainage_released_this_period > 0:
            errors.setdefault(f"lines.{line.pk}.retainage_released_this_period", []).append(
                f"Line {line.item_number}: the release is more than the retainage held."
            )
        if policy == "block" and row.result.overbilled:
            errors.setdefault(f"lines.{line.pk}.work_completed_this_period", []).append(
                f"Line {line.item_number}: total completed and stored "
                f"({row.result.total_completed_and_stored}) is above the scheduled value "
                f"({line.scheduled_value}); this project does not allow overbilling."
            )


def pay_app_set_retainage_all(
    *,
    actor: Any,
    pay_app: PayApp,
    version: int | None,
    work_percent: Decimal,
    stored_percent: Decimal,
) -> EditResult:
    """The bulk 'set retainage for all lines' of the form."""
    changes = [
        LineChange(
            line_id=line_id,
            retainage_work_percent=work_percent,
            retainage_stored_percent=stored_percent,
        )
        for line_id in pay_app.lines.values_list("pk", flat=True)
    ]
    return pay_app_lines_update(actor=actor, pay_app=pay_app, version=version, changes=changes)


def pay_app_release_retainage(
    *,
    actor: Any,
    pay_app: PayApp,
    version: int | None,
    amount: Decimal | None = None,
    percent: Decimal | None = None,
) -> EditResult:
    """Release an amount or a % of what is held, spread over the lines (DOMAIN.md §5.2)."""
    lines = list(pay_app.lines.order_by("position", "id"))
    figures = figures_for_lines(pay_app, lines)
    held = [
        row.result.retainage_held + row.line.retainage_released_this_period for row in figures.rows
    ]
    try:
        releases = calc.release_retainage(
            held_by_line=held,
            amount=amount,
            percent=percent,
            rounding=as_rounding(pay_app.contract.project.rounding),
        )
    except ValueError as exc:
        raise ValidationFailed(str(exc), fields={"amount": [str(exc)]}) from None
    changes = [
        LineChange(line_id=line.pk, retainage_released_this_period=release)
        for line, release in zip(lines, releases, strict=True)
    ]
    return pay_app_lines_update(actor=actor, pay_app=pay_app, version=version, changes=changes)


def pay_app_update_details(
    *,
    actor: Any,
    pay_app: PayApp,
    version: int | None,
    invoice_number: str | None = None,
    billing_date: dt.date | None = None,
) -> PayApp:
    with transaction.atomic():
        locked, _role = _lock_for_edit(actor=actor, pay_app=pay_app, version=version)
        changes: dict[str, tuple[Any, Any]] = {}
        if invoice_number is not None and invoice_number != locked.invoice_number:
            changes["invoice_number"] = (locked.invoice_number, invoice_number)
            locked.invoice_number = invoice_number
        if billing_date is not None and billing_date != locked.billing_date:
            changes["billing_date"] = (locked.billing_date, billing_date)
            locked.billing_date = billing_date
        _bump(locked, ["invoice_number", "billing_date"], figures_unchanged=True)
        if changes:
            record_event(
                actor=actor,
                target=locked,
                action="details_updated",
                project=locked.contract.project,
                changes=changes,
            )
    return locked


# --------------------------------------------------------------------------------------------
# Submit, review, correct, delete


def pay_app_submit(
    *, actor: Any, pay_app: PayApp, version: int | None = None, today: dt.date | None = None
) -> PayApp:
    """Draft or Revise & Resubmit -> Under Review; the distribution list is emailed."""
    today = today or timezone.localdate()
    with transaction.atomic():
        locked = (
            PayApp.objects.select_for_update()
            .select_related("contract", "contract__project", "billing_period")
            .get(pk=pay_app.pk)
        )
        role = require_role(actor, locked.contract, Role.CONTACT)
        transitions.check_submit(role, locked.status)
        if version is not None and int(version) != locked.version:
            raise Conflict(
                "This pay app was changed by someone else since you opened it: reload it "
                "before submitting.",
                code="stale_version",
            )
        if (
            role == Role.CONTACT
            and locked.status == S.DRAFT
            and today > locked.billing_period.due_date
        ):
            raise ValidationFailed(
                f"The due date ({locked.billing_period.due_date:%b %d, %Y}) has passed: this "
                "pay app can no longer be submitted by the vendor. Ask the contractor.",
                code="past_due",
            )
        lines = list(locked.lines.order_by("position", "id"))
        figures = figures_for_lines(locked, lines)
        errors: dict[str, list[str]] = {}
        _check_lines(figures=figures, policy=locked.contract.project.overbilling, errors=errors)
        if errors:
            raise ValidationFailed(_first_message(errors), code="overbilling", fields=errors)
        # What the vendor claims is what the lines hold now: one UPDATE, whatever the size.
        locked.lines.update(
            claimed_work_this_period=F("work_completed_this_period"),
            claimed_materials_presently_stored=F("materials_presently_stored"),
        )
        before = locked.status
        locked.status = S.UNDER_REVIEW
        locked.submitted_at = timezone.now()
        _bump(locked, ["status", "submitted_at"], figures=figures)
        previous_due = None
        if before != S.DRAFT:
            last = (
                Event.objects.filter(
                    target_type="payapp",
                    target_id=locked.pk,
                    action__in=["submitted", "resubmitted"],
                )
                .order_by("-created_at", "-id")
                .values_list("changes", flat=True)
                .first()
            )
            if last and isinstance(last.get("current_payment_due"), list):
                previous_due = last["current_payment_due"][1]
        record_event(
            actor=actor,
            target=locked,
            action="submitted" if before == S.DRAFT else "resubmitted",
            project=locked.contract.project,
            changes={
                "status": (before, S.UNDER_REVIEW),
                "current_payment_due": (previous_due, figures.g702.current_payment_due),
            },
        )
        from sitebill.notifications import emails

        pay_app_id = locked.pk
        emails.send_submitted(pay_app_id)
    return locked


@dataclass
class LineReview:
    line_id: int
    status: str
    reason: str = ""


def pay_app_review(
    *,
    actor: Any,
    pay_app: PayApp,
    version: int | None,
    status: str,
    comment: str = "",
    lines: Sequence[LineReview] = (),
) -> PayApp:
    """An Admin's review: line statuses with reasons, a comment, the outcome.

    The vendor's amounts are never changed by a review: only review fields are written.
    """
    with transaction.atomic():
        locked = (
            PayApp.objects.select_for_update()
            .select_related("contract", "contract__project", "billing_period")
            .get(pk=pay_app.pk)
        )
        role = require_role(actor, locked.contract, Role.CONTACT)
        transitions.check_review(role, locked.status, status)
        if version is not None and int(version) != locked.version:
            raise Conflict(
                "This pay app changed since you opened it (another review or an edit): reload "
                "it and review again.",
                code="stale_version",
            )
        all_lines = list(locked.lines.order_by("position", "id"))
        by_id = {line.pk: line for line in all_lines}
        errors: dict[str, list[str]] = {}
        audit: dict[str, tuple[Any, Any]] = {}
        touched: list[PayAppLine] = []
        for review in lines:
            line = by_id.get(int(review.line_id))
            if line is None:
                errors[f"lines.{review.line_id}"] = ["No such line on this pay app."]
                continue
            if review.status not in (
                PayAppLine.ReviewStatus.APPROVED,
                PayAppLine.ReviewStatus.REJECTED,
                PayAppLine.ReviewStatus.NO_ACTION,
            ):
                errors[f"lines.{line.pk}.status"] = [f"'{review.status}' is not a line status."]
                continue
            reason = (review.reason or "").strip()
            if review.status == PayAppLine.ReviewStatus.REJECTED and not reason:
                errors[f"lines.{line.pk}.reason"] = [
                    f"Line {line.item_number}: give a reason for rejecting it."
                ]
                continue
            if (line.review_status, line.review_reason) != (review.status, reason):
                audit[f"line {line.item_number} review"] = (
                    f"{line.review_status}: {line.review_reason}".rstrip(": "),
                    f"{review.status}: {reason}".rstrip(": "),
                )
                line.review_status = review.status
                line.review_reason = reason
                touched.append(line)
        if errors:
            raise ValidationFailed(_first_message(errors), fields=errors)
        if locked.status == S.UNDER_REVIEW:
            # A new review round starts clean: a line rejected in the previous round and not
            # judged again is back to "no action" (the earlier verdict stays in the history).
            reviewed = {int(review.line_id) for review in lines}
            for line in all_lines:
                if line.pk in reviewed or line.review_status == PayAppLine.ReviewStatus.NO_ACTION:
                    continue
                audit[f"line {line.item_number} review"] = (
                    f"{line.review_status}: {line.review_reason}".rstrip(": "),
                    PayAppLine.ReviewStatus.NO_ACTION,
                )
                line.review_status = PayAppLine.ReviewStatus.NO_ACTION
                line.review_reason = ""
                touched.append(line)
        if status == S.REVISE_AND_RESUBMIT:
            rejected = any(
                line.review_status == PayAppLine.ReviewStatus.REJECTED for line in all_lines
            )
            if not rejected and not comment.strip():
                raise ValidationFailed(
                    "Revise & Resubmit needs at least one rejected line or a comment.",
                    fields={"comment": ["Say what the vendor should revise."]},
                )
        PayAppLine.objects.bulk_update(touched, ["review_status", "review_reason"])
        before = locked.status
        locked.status = status
        locked.review_comment = comment.strip()
        update = ["status", "review_comment"]
        figures = None
        if status in PayApp.APPROVED_STATUSES:
            figures = figures_for_lines(locked, all_lines)
            locked.certified_earned_less_retainage = figures.g702.total_earned_less_retainage
            update.append("certified_earned_less_retainage")
        # A verdict changes no figure: the summary stays (or is stored from the approval's).
        _bump(locked, update, figures=figures, figures_unchanged=True)
        audit["status"] = (before, status)
        record_event(
            actor=actor,
            target=locked,
            action="reviewed",
            project=locked.contract.project,
            changes=audit,
            reason=comment.strip(),
        )
        from sitebill.notifications import emails

        pay_app_id = locked.pk
        if status == S.REVISE_AND_RESUBMIT:
            emails.send_revise_and_resubmit(pay_app_id)
        elif status in PayApp.APPROVED_STATUSES:
            emails.send_approved(pay_app_id)
    return locked


def pay_app_set_status(
    *, actor: Any, pay_app: PayApp, version: int | None, status: str, reason: str
) -> PayApp:
    """An Admin's correction: any status to any status, with a reason, recorded."""
    if status not in S.values:
        raise ValidationFailed("Unknown status.", fields={"status": [f"'{status}' is not valid."]})
    if not reason.strip():
        raise ValidationFailed(
            "A status correction needs a reason.", fields={"reason": ["Give a reason."]}
        )
    with transaction.atomic():
        locked = (
            PayApp.objects.select_for_update()
            .select_related("contract", "contract__project")
            .get(pk=pay_app.pk)
        )
        transitions.check_correction(require_role(actor, locked.contract, Role.CONTACT))
        if version is not None and int(version) != locked.version:
            raise Conflict("This pay app changed since you opened it.", code="stale_version")
        before = locked.status
        locked.status = status
        update = ["status"]
        figures = None
        if status in PayApp.APPROVED_STATUSES:
            figures = figures_for_lines(locked, list(locked.lines.order_by("position", "id")))
            locked.certified_earned_less_retainage = figures.g702.total_earned_less_retainage
            update.append("certified_earned_less_retainage")
        _bump(locked, update, figures=figures, figures_unchanged=True)
        record_event(
            actor=actor,
            target=locked,
            action="status_corrected",
            project=locked.contract.project,
            changes={"status": (before, status)},
            reason=reason.strip(),
        )
    return locked


def pay_app_delete(*, actor: Any, pay_app: PayApp, version: int | None = None) -> None:
    with transaction.atomic():
        locked, _role = _lock_for_edit(actor=actor, pay_app=pay_app, version=version)
        record_event(
            actor=actor,
            target=locked,
            action="pay_app_deleted",
            project=locked.contract.project,
            changes={"status": (locked.status, None), "number": (locked.number, None)},
        )
        files = [
            (attachment.file.storage, attachment.file.name)
            for attachment in locked.attachments.all()
            if attachment.file.name
        ]
        locked.delete()
        # The attachments' rows go with the pay app; their files once the deletion commits.
        for storage, name in files:
            transaction.on_commit(partial(storage.delete, name))
