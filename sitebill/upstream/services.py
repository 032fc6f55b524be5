"""Writes for MC/Client payment applications (DOMAIN.md §5.5).

A client pay app is a `PayApp` on a client contract: it is created, edited, submitted and
reviewed by the pay app services of `sitebill.billing.services.pay_apps` (Draft → Under Review →
Approved, or Revise & Resubmit). What this module adds is its creation with the **prefill from
progress billings**.

Choices where DOMAIN.md is silent (tested in tests/upstream/):

- Who: Admin or Standard users of the project (who see the client contract). Contacts never see
  client contracts (404); Read Only users get 403. `include_retainage` without `prefill` is
  refused (there is nothing to carry the retainage from).
- One transaction: `pay_app_create` makes the Draft (Open period, previous client pay app
  approved, ...), then the prefill writes its amounts through `pay_app_lines_update`, so the
  project's overbilling policy and every line check apply exactly as to an edit by the actor.
  If the prefill is refused (e.g. it would bill a line above its scheduled value on a project
  that blocks overbilling), nothing is created, not even the Draft, and the refusal names the
  lines under `fields["prefill"]`.
- The sources are locked (`select_for_update`, in primary-key order) before they are read, so
  an edit of a source waits for the prefill to commit and the `source_version` recorded in each
  `PayAppSource` is the version of the figures used. A source edited later (a line change, a
  review, an Admin's status correction: each bumps its version) is flagged on the client pay
  app (`selectors.changed_sources`).
- E and F: a client line that matches at least one sub line (rules in `selectors`) gets
  E = Σ E and F = Σ F of those sub lines, exactly. F is a balance ("materials presently stored"),
  so the sum replaces the F carried forward from the previous client pay app. A client line
  that matches nothing is left as created (E = 0, F carried forward): no source says anything
  about it. If the sources hold stored materials for a line and the client contract does not
  bill stored materials separately, the prefill is refused naming the lines.
- `include_retainage` ("Also Populate with Retainage"). A line's retainage is not an input of a
  pay app line: it follows from the line's rates (DOMAIN.md §5.2). So, per client line with
  matched sub lines, the prefill carries:
  1. the retainage **released** this period = Σ of the matched sub lines' releases, exactly
     (refused, like any edit, if the client line does not hold that much);
  2. the retainage **held**, by carrying the rates: the client line takes the (work, stored)
     rates of its matched sub lines when they all hold at the same flat rates, so its retainage
     held follows theirs (to the cent when the line was prefilled every period: rounding is
     per line, so Σ round(r × Gi) and round(r × Σ Gi) may differ by a cent per sub line).
     When the matched sub lines hold at different rates, or on a sliding scale, the client
     line keeps the client contract's rates.
  Without `include_retainage`, the client side uses the client contract's rates (DOMAIN.md
  §5.5) and releases nothing. With it, the pay app's invoice type is "Work, Materials &
  Retainage", which is what lets a Standard user bill a release (services/pay_apps.py).
  Exact mirroring of retainage amounts would need a per-line retainage amount on
  `PayAppLine` (a model change), which sitebill does not have.
- The Event "prefilled" names every source with the version used, the totals billed and the
  totals of the sub lines no client line takes (unmatched), which are never dropped silently.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction

from sitebill.accounts.access import Role, require_role
from sitebill.billing.models import BillingPeriod, InvoiceType, PayApp, PayAppSource
from sitebill.billing.services.pay_apps import LineChange, pay_app_create, pay_app_lines_update
from sitebill.contracts.models import Contract
from sitebill.core.events import record_event
from sitebill.core.exceptions import NotFound, PermissionDenied, ValidationFailed
from sitebill.upstream.selectors import Plan, PlanLine, eligible_sources, prefill_plan


def client_pay_app_create(
    *,
    actor: Any,
    contract: Contract,
    billing_period: BillingPeriod,
    prefill: bool = False,
    include_retainage: bool = False,
    invoice_number: str = "",
    billing_date: dt.date | None = None,
) -> PayApp:
    """A Draft MC/Client payment application for the period, optionally prefilled from the
    period's approved progress billings (see the module docstring for every rule)."""
    if contract.kind != Contract.Kind.CLIENT:
        raise NotFound("Client contract not found.")
    role = require_role(actor, contract, Role.READ_ONLY)
    if role < Role.STANDARD:
        raise PermissionDenied("Read Only users cannot create MC/Client payment applications.")
    if include_retainage and not prefill:
        raise ValidationFailed(
            "Retainage is carried from the progress billings: check 'Prefill from progress "
            "billings' too, or leave 'Include retainage' unchecked.",
            fields={"include_retainage": ["Only with a prefill from progress billings."]},
        )
    with transaction.atomic():
        pay_app = pay_app_create(
            actor=actor,
            contract=contract,
            billing_period=billing_period,
            invoice_number=invoice_number,
            billing_date=billing_date,
            invoice_type=InvoiceType.WORK_MATERIALS_AND_RETAINAGE if include_retainage else None,
        )
        if prefill:
            _prefill(
                actor=actor,
                pay_app=pay_app,
                contract=contract,
                billing_period=billing_period,
                include_retainage=include_retainage,
            )
    return PayApp.objects.select_related("contract", "contract__project", "billing_period").get(
        pk=pay_app.pk
    )


def _prefill(
    *,
    actor: Any,
    pay_app: PayApp,
    contract: Contract,
    billing_period: BillingPeriod,
    include_retainage: bool,
) -> None:
    # Lock the sources (primary-key order) before reading them: the versions recorded below
    # are then the versions of the figures used.
    sources = eligible_sources(contract=contract, billing_period=billing_period)
    list(
        PayApp.objects.select_for_update()
        .filter(pk__in=list(sources.values_list("pk", flat=True)))
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    plan = prefill_plan(contract=contract, billing_period=billing_period)
    if not contract.stored_materials_enabled:
        _refuse_stored_materials(plan)
    changes = [
        _line_change(plan_line, include_retainage=include_retainage)
        for plan_line in plan.lines
        if plan_line.contributions
    ]
    record_event(
        actor=actor,
        target=pay_app,
        action="prefilled",
        project=contract.project,
        changes={
            "sources": (None, _sources_in_words(plan)),
            "work_completed_this_period": (None, plan.matched_work_completed_this_period),
            "materials_presently_stored": (None, plan.matched_materials_presently_stored),
            "unmatched_work_completed_this_period": (
                None,
                plan.unmatched_work_completed_this_period,
            ),
            "unmatched_materials_presently_stored": (
                None,
                plan.unmatched_materials_presently_stored,
            ),
            "include_retainage": (None, include_retainage),
        },
        reason=_reason(plan, include_retainage=include_retainage),
    )
    if changes:
        pay_app.refresh_from_db(fields=["version"])
        try:
            pay_app_lines_update(
                actor=actor, pay_app=pay_app, version=pay_app.version, changes=changes
            )
        except ValidationFailed as error:
            messages = [message for found in error.fields.values() for message in found]
            raise ValidationFailed(
                "Nothing was created: the prefill from progress billings was refused. "
                f"{error.message}",
                code=error.code,
                fields={"prefill": messages or [error.message]},
            ) from None
    PayAppSource.objects.bulk_create(
        PayAppSource(client_pay_app=pay_app, source=source, source_version=source.version)
        for source in plan.sources
    )


def _line_change(plan_line: PlanLine, *, include_retainage: bool) -> LineChange:
    line = plan_line.client.line
    assert line is not None  # the plan is made after the pay app (and its lines) exist
    change = LineChange(
        line_id=line.pk,
        work_completed_this_period=plan_line.work_completed_this_period,
        materials_presently_stored=plan_line.materials_presently_stored,
    )
    if include_retainage:
        rates = plan_line.retainage_rates
        if rates is not None:
            change.retainage_work_percent, change.retainage_stored_percent = rates
        change.retainage_released_this_period = plan_line.retainage_released_this_period
    return change


def _refuse_stored_materials(plan: Plan) -> None:
    stored = [line for line in plan.lines if line.materials_presently_stored]
    if stored:
        names = ", ".join(f"{line.client.item_number} {line.client.description}" for line in stored)
        raise ValidationFailed(
            "Nothing was created: the progress billings hold stored materials for "
            f"{names}, and this client contract does not bill stored materials separately. "
            "Enable stored materials on the client contract, or create the pay app without "
            "the prefill.",
            fields={
                "prefill": [
                    f"Line {line.client.item_number}: {line.materials_presently_stored} of "
                    "stored materials cannot be billed on this client contract."
                    for line in stored
                ]
            },
        )


def _sources_in_words(plan: Plan) -> str:
    return "; ".join(
        f"{source.contract.number} pay app #{source.number} (version {source.version})"
        for source in plan.sources
    )


def _reason(plan: Plan, *, include_retainage: bool) -> str:
    count = len(plan.sources)
    words = f"Prefilled from {count} progress billing{'s' if count != 1 else ''}"
    if include_retainage:
        words += ", with retainage"
    if plan.unmatched:
        lines = len(plan.unmatched)
        words += (
            f"; {lines} sub line{'s' if lines != 1 else ''} matched no client line "
            f"({plan.unmatched_work_completed_this_period} of work this period)"
        )
    return words + "."
