"""Stored pay app summaries: the G702 of each pay app, kept for lists, verified before use.

A list of 100 pay apps must not load and recompute 100 pay apps' lines (12,000 lines at a
realistic size) to show two money columns. So each write that already computes a pay app's
figures stores its G702 on the pay app (`PayApp.summary`) with a *key* of every input the figures
depend on besides the lines themselves:

    the pay app's `version` · the project's rounding · line 7 (less previous certificates) ·
    a digest of the contract's retainage rules

A pay app's lines only change through the services, and every such change bumps `version` (the
optimistic-concurrency token of the API and the pages): so while the key matches, the stored G702
is exactly what computing it again would give. When it does not match (a write that did not
compute the figures, a project whose rounding changed, a contract whose sliding scale changed,
a pay app restored from a backup), `summaries()` computes the figures from the lines, in one
query for all the stale pay apps of a page. A stale summary costs time, never a wrong figure.

What is stored: the whole G702, the G703 totals and the ids of the overbilled lines. A one-line
edit (`pay_app_lines_update(..., all_rows=False)`, the API's PATCH and the grid's save) reads
only its lines and revises the stored figures by what those rows add now instead of what they
added before (`calculations.revise_pay_app`, property-tested against computing the whole pay
app); its answer's G702 and the new stored summary come from that revision. Every test ends by
comparing each valid stored summary with a full computation (tests/conftest.py).

Otherwise nothing here is a source of truth: documents, the G702 of a pay app's page and its
GET, payments, exports and upstream billing always compute from the lines.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sitebill.billing import calculations as calc
from sitebill.billing.models import PayApp, PayAppLine

SUMMARY_FORMAT = 2


@dataclass(frozen=True)
class Summary:
    """What a list shows of a pay app: G702 lines 3 to 9 and the G703 column E total."""

    contract_sum_to_date: Decimal
    total_completed_and_stored_to_date: Decimal
    total_retainage: Decimal
    total_earned_less_retainage: Decimal
    less_previous_certificates: Decimal
    current_payment_due: Decimal
    balance_to_finish_including_retainage: Decimal
    work_completed_this_period: Decimal


@dataclass(frozen=True)
class StoredFigures:
    """The whole stored summary: the G702, the G703 totals and the overbilled lines' ids (what
    a one-line edit revises instead of computing the pay app again)."""

    g702: calc.G702
    totals: calc.G703Totals
    overbilled_ids: tuple[int, ...]

    def summary(self) -> Summary:
        return _summary(self.g702, self.totals)


_G702_FIELDS = tuple(calc.G702.__dataclass_fields__)
_TOTALS_FIELDS = tuple(calc.G703Totals.__dataclass_fields__)


def summary_key(pay_app: PayApp) -> str:
    """Every input of the figures besides the lines (whose changes bump `version`)."""
    contract = pay_app.contract
    rules = json.dumps(contract.retainage_rules or [], sort_keys=True, separators=(",", ":"))
    digest = hashlib.sha256(rules.encode()).hexdigest()[:16]
    return (
        f"{SUMMARY_FORMAT}|v{pay_app.version}|{contract.project.rounding}"
        f"|{pay_app.less_previous_certificates}|{digest}"
    )


def _summary(g702: calc.G702, totals: calc.G703Totals) -> Summary:
    return Summary(
        contract_sum_to_date=g702.contract_sum_to_date,
        total_completed_and_stored_to_date=g702.total_completed_and_stored_to_date,
        total_retainage=g702.total_retainage,
        total_earned_less_retainage=g702.total_earned_less_retainage,
        less_previous_certificates=g702.less_previous_certificates,
        current_payment_due=g702.current_payment_due,
        balance_to_finish_including_retainage=g702.balance_to_finish_including_retainage,
        work_completed_this_period=totals.work_completed_this_period,
    )


def summary_from_figures(figures: Any) -> Summary:
    """The summary of computed `Figures` (sitebill.billing.selectors)."""
    return _summary(figures.g702, figures.totals)


def summary_to_store(pay_app: PayApp, figures: Any) -> dict[str, Any]:
    """The JSON to store on `pay_app` (at its current version) for `figures`."""
    return {
        "key": summary_key(pay_app),
        "g702": {name: str(getattr(figures.g702, name)) for name in _G702_FIELDS},
        "totals": {name: str(getattr(figures.totals, name)) for name in _TOTALS_FIELDS},
        "overbilled": sorted(figures.overbilled),
    }


def stored_figures(pay_app: PayApp) -> StoredFigures | None:
    """The stored figures if their key still matches the pay app's inputs, else None."""
    stored = pay_app.summary
    if not isinstance(stored, dict) or stored.get("key") != summary_key(pay_app):
        return None
    try:
        g702 = calc.G702(**{name: Decimal(stored["g702"][name]) for name in _G702_FIELDS})
        totals = calc.G703Totals(
            **{name: Decimal(stored["totals"][name]) for name in _TOTALS_FIELDS}
        )
        overbilled = tuple(int(pk) for pk in stored["overbilled"])
    except (KeyError, TypeError, ValueError, ArithmeticError):
        return None
    return StoredFigures(g702=g702, totals=totals, overbilled_ids=overbilled)


def stored_summary(pay_app: PayApp) -> Summary | None:
    """The stored summary if its key still matches the pay app's inputs, else None."""
    found = stored_figures(pay_app)
    return None if found is None else found.summary()


def summaries(pay_apps: Sequence[PayApp]) -> dict[int, Summary]:
    """The summary of each of `pay_apps` (contract and project loaded): stored where the key
    matches, otherwise computed from the lines, fetched in one query for all the stale ones."""
    from sitebill.billing.selectors import figures_for_lines

    found: dict[int, Summary] = {}
    stale: list[PayApp] = []
    for pay_app in pay_apps:
        summary = stored_summary(pay_app)
        if summary is None:
            stale.append(pay_app)
        else:
            found[pay_app.pk] = summary
    prefetched = [p for p in stale if "lines" in getattr(p, "_prefetched_objects_cache", {})]
    lines: dict[int, list[PayAppLine]] = {p.pk: list(p.lines.all()) for p in prefetched}
    to_load = [p.pk for p in stale if p.pk not in lines]
    if to_load:
        loaded: dict[int, list[PayAppLine]] = defaultdict(list)
        for line in PayAppLine.objects.filter(pay_app__in=to_load).order_by(
            "pay_app_id", "position", "id"
        ):
            loaded[line.pay_app_id].append(line)
        lines.update({pk: loaded[pk] for pk in to_load})
    for pay_app in stale:
        found[pay_app.pk] = summary_from_figures(figures_for_lines(pay_app, lines[pay_app.pk]))
    return found
