"""Reads for MC/Client payment applications: the prefill plan and the sources of a client pay app.

The prefill (DOMAIN.md §5.5) rolls the period's progress billings up into the client contract's
lines by **cost code**. The rules, all in `match_lines` (pure: no query):

- Sources: the pay apps of the period on the project's commitments (subcontracts and purchase
  orders) whose status is Approved, Approved as Noted or Pending Owner Approval. Draft, Under
  Review and Revise & Resubmit pay apps are not billed upstream.
- Every line of a source (SOV line or change-order line) is matched by its cost code. A client
  line's code matches a sub line whose code *starts with it*: division "03" takes "03-300",
  "03-3" takes "03-300" too. Codes are compared without surrounding spaces and case-insensitively;
  an empty client code matches nothing (it would take everything) and an empty sub code is
  unmatched.
- A sub line goes to exactly one client line, so nothing is counted twice: the client line with
  the **longest** matching code wins ("03-3" beats "03" for "03-300"); between client lines
  with the same code, the first in G703 order (SOV lines, then change-order lines) wins.
- A sub line that matches no client line is not dropped: it is listed in `Plan.unmatched` with
  its amounts, so the contractor sees what the client pay app does not bill.
- Sub lines with nothing this period (E, F, retainage this period and released all zero) are
  left out of both lists: they would only be noise. Their pay apps are still sources.

`prefill_plan` loads what the rules need in a fixed number of queries (client lines, sources,
their lines) and computes every source's figures with `billing.selectors.figures_for_lines`.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Prefetch, QuerySet

from sitebill.billing.models import BillingPeriod, PayApp, PayAppLine, PayAppSource
from sitebill.billing.selectors import figures_for_lines, stored_lines_of
from sitebill.billing.summaries import summary_key
from sitebill.contracts.models import ChangeOrder, ChangeOrderLine, Contract, SOVLine

ZERO = Decimal("0.00")

#: The statuses a progress billing needs to be billed upstream (DOMAIN.md §5.5).
SOURCE_STATUSES = (
    PayApp.Status.APPROVED,
    PayApp.Status.APPROVED_AS_NOTED,
    PayApp.Status.PENDING_OWNER_APPROVAL,
)


@dataclass(frozen=True)
class ClientLine:
    """A line of the client contract's G703: the pay app line once the pay app exists, else what
    `pay_app_create` would make of an SOV line or an approved change-order line."""

    position: int
    item_number: str
    description: str
    cost_code: str
    line: PayAppLine | None = None


@dataclass(frozen=True)
class Contribution:
    """One sub line of a source pay app and what it adds this period."""

    source: PayApp
    line: PayAppLine
    work_completed_this_period: Decimal  # E
    materials_presently_stored: Decimal  # F
    retainage_this_period: Decimal  # held to date − previous held (after releases)
    retainage_held: Decimal  # held to date, after releases
    retainage_released_this_period: Decimal

    @property
    def retainage_rates(self) -> tuple[Decimal, Decimal] | None:
        """The line's flat (work, stored) rates; None when its commitment holds retainage by
        sliding-scale rules (the line rates then say nothing of what is held)."""
        if self.source.contract.retainage_rules:
            return None
        return (self.line.retainage_work_percent, self.line.retainage_stored_percent)


@dataclass(frozen=True)
class PlanLine:
    """A client line and the sub lines matched to it."""

    client: ClientLine
    contributions: tuple[Contribution, ...]

    @property
    def work_completed_this_period(self) -> Decimal:
        return sum((c.work_completed_this_period for c in self.contributions), ZERO)

    @property
    def materials_presently_stored(self) -> Decimal:
        return sum((c.materials_presently_stored for c in self.contributions), ZERO)

    @property
    def retainage_this_period(self) -> Decimal:
        return sum((c.retainage_this_period for c in self.contributions), ZERO)

    @property
    def retainage_held(self) -> Decimal:
        return sum((c.retainage_held for c in self.contributions), ZERO)

    @property
    def retainage_released_this_period(self) -> Decimal:
        return sum((c.retainage_released_this_period for c in self.contributions), ZERO)

    @property
    def retainage_rates(self) -> tuple[Decimal, Decimal] | None:
        """The (work, stored) rates every matched sub line holds at, if they all agree and none
        is on a sliding scale; None otherwise (and when nothing matched)."""
        rates = {c.retainage_rates for c in self.contributions}
        if len(rates) != 1:
            return None
        return next(iter(rates))

    @property
    def sources(self) -> list[PayApp]:
        """The distinct source pay apps of this line, in the order they first contribute."""
        return list({c.source.pk: c.source for c in self.contributions}.values())


@dataclass(frozen=True)
class Plan:
    lines: tuple[PlanLine, ...]
    unmatched: tuple[Contribution, ...]
    sources: tuple[PayApp, ...]

    @property
    def matched_work_completed_this_period(self) -> Decimal:
        return sum((line.work_completed_this_period for line in self.lines), ZERO)

    @property
    def matched_materials_presently_stored(self) -> Decimal:
        return sum((line.materials_presently_stored for line in self.lines), ZERO)

    @property
    def unmatched_work_completed_this_period(self) -> Decimal:
        return sum((c.work_completed_this_period for c in self.unmatched), ZERO)

    @property
    def unmatched_materials_presently_stored(self) -> Decimal:
        return sum((c.materials_presently_stored for c in self.unmatched), ZERO)


@dataclass(frozen=True)
class SourceUse:
    """A progress billing a client pay app was prefilled from, and whether it changed since."""

    source: PayApp
    version_used: int

    @property
    def current_version(self) -> int:
        return self.source.version

    @property
    def changed(self) -> bool:
        """DOMAIN.md §5.5: a sub pay app that changes after it was used for a prefill (an
        edit, a new review, a status correction all bump its version) is flagged."""
        return self.source.version > self.version_used


# --- Matching (pure) ------------------------------------------------------------------------------


def normalized_code(code: str) -> str:
    return code.strip().casefold()


def client_line_for(code: str, index: dict[str, int]) -> int | None:
    """The position in the client lines of the line that takes a sub line with `code`: the
    longest client code that `code` starts with. `index` maps each normalised client code to
    the first client line that has it."""
    code = normalized_code(code)
    for end in range(len(code), 0, -1):
        found = index.get(code[:end])
        if found is not None:
            return found
    return None


def code_index(client_lines: Sequence[ClientLine]) -> dict[str, int]:
    """Normalised client code -> the first client line (G703 order) with that code."""
    index: dict[str, int] = {}
    for position, client in enumerate(client_lines):
        code = normalized_code(client.cost_code)
        if code:
            index.setdefault(code, position)
    return index


def has_amounts(contribution: Contribution) -> bool:
    return any(
        (
            contribution.work_completed_this_period,
            contribution.materials_presently_stored,
            contribution.retainage_this_period,
            contribution.retainage_released_this_period,
        )
    )


def match_lines(
    client_lines: Sequence[ClientLine],
    sources: Sequence[PayApp],
    contributions: Iterable[Contribution],
) -> Plan:
    """The plan: each client line with the sub lines it takes, and the sub lines none takes."""
    index = code_index(client_lines)
    matched: list[list[Contribution]] = [[] for _ in client_lines]
    unmatched: list[Contribution] = []
    for contribution in contributions:
        if not has_amounts(contribution):
            continue
        position = client_line_for(contribution.line.cost_code, index)
        if position is None:
            unmatched.append(contribution)
        else:
            matched[position].append(contribution)
    lines = tuple(
        PlanLine(client=client, contributions=tuple(found))
        for client, found in zip(client_lines, matched, strict=True)
    )
    return Plan(lines=lines, unmatched=tuple(unmatched), sources=tuple(sources))


# The per-line figures of a source, by (pay app id, summary key, last write): a prefill and the
# Sources card of the pay app it made (often in the same request) compute them once. The summary
# key names every input of the figures besides the lines, and any change of a line bumps the
# version in it (sitebill/billing/summaries.py); the time of the last write (`updated_at`, set by
# that same bump) tells apart two writes that reached the same version, one of them rolled back.
# So an entry is never stale: a changed source gets a new key.
_FigureRow = tuple[int, Decimal, Decimal, Decimal, Decimal, Decimal]
_ROWS_CACHE: OrderedDict[tuple[int, str, str], tuple[_FigureRow, ...]] = OrderedDict()
_ROWS_CACHE_SIZE = 2000  # pay apps (a few MB at 100-200 lines each)
_ROWS_LOCK = threading.Lock()


def _figure_rows(source: PayApp, lines: list[PayAppLine]) -> tuple[_FigureRow, ...]:
    key = (source.pk, summary_key(source), source.updated_at.isoformat())
    with _ROWS_LOCK:
        cached = _ROWS_CACHE.get(key)
        if cached is not None:
            _ROWS_CACHE.move_to_end(key)
    if cached is not None and [row[0] for row in cached] == [line.pk for line in lines]:
        return cached
    rows = tuple(
        (
            row.line.pk,
            row.result.work_completed_this_period,
            row.result.materials_presently_stored,
            row.result.retainage_this_period,
            row.result.retainage_held,
            row.result.retainage_released_this_period,
        )
        for row in figures_for_lines(source, lines).rows
    )
    with _ROWS_LOCK:
        _ROWS_CACHE[key] = rows
        while len(_ROWS_CACHE) > _ROWS_CACHE_SIZE:
            _ROWS_CACHE.popitem(last=False)
    return rows


def contributions_of(
    sources: Iterable[PayApp], lines_of: Mapping[int, Sequence[PayAppLine]] | None = None
) -> list[Contribution]:
    """Every line of every source with its figures (no query): the lines from `lines_of` (by
    pay app id, see `_sources_and_lines`), else the prefetched `lines` of each source."""
    out: list[Contribution] = []
    for source in sources:
        lines = list(source.lines.all() if lines_of is None else lines_of[source.pk])
        for line, (_pk, work, stored, retained, held, released) in zip(
            lines, _figure_rows(source, lines), strict=True
        ):
            out.append(
                Contribution(
                    source=source,
                    line=line,
                    work_completed_this_period=work,
                    materials_presently_stored=stored,
                    retainage_this_period=retained,
                    retainage_held=held,
                    retainage_released_this_period=released,
                )
            )
    return out


# --- Loading --------------------------------------------------------------------------------------


def _sources_and_lines(
    pay_apps: QuerySet[PayApp],
) -> tuple[list[PayApp], dict[int, list[PayAppLine]]]:
    """Source pay apps (contract, project, vendor and period joined) and their lines as
    read-only `StoredLine`s by pay app id: two queries, and no model instance per line (a
    prefill of 300 progress billings reads some 40,000 lines; as model instances that was
    most of its time)."""
    sources = list(
        pay_apps.select_related(
            "contract", "contract__project", "contract__counterparty", "billing_period"
        )
    )
    return sources, stored_lines_of(source.pk for source in sources)


def _with_lines(pay_apps: QuerySet[PayApp]) -> QuerySet[PayApp]:
    return pay_apps.select_related(
        "contract", "contract__project", "contract__counterparty", "billing_period"
    ).prefetch_related(Prefetch("lines", queryset=PayAppLine.objects.order_by("position", "id")))


def eligible_sources(*, contract: Contract, billing_period: BillingPeriod) -> QuerySet[PayApp]:
    """The period's progress billings that a prefill of `contract` (a client contract) takes."""
    return PayApp.objects.filter(
        billing_period=billing_period,
        contract__project_id=contract.project_id,
        contract__kind__in=Contract.COMMITMENT_KINDS,
        status__in=SOURCE_STATUSES,
    ).order_by("contract__number", "contract_id", "number")


def client_lines_of(contract: Contract, billing_period: BillingPeriod) -> list[ClientLine]:
    """The client contract's lines for the period: its pay app's lines when it has one, else
    the lines `pay_app_create` would make (SOV lines, then approved change-order lines)."""
    pay_app = (
        PayApp.objects.filter(contract=contract, billing_period=billing_period)
        .prefetch_related(Prefetch("lines", queryset=PayAppLine.objects.order_by("position", "id")))
        .first()
    )
    if pay_app is not None:
        return client_lines_of_pay_app(pay_app)
    lines = [
        ClientLine(
            position=position,
            item_number=sov.item_number,
            description=sov.description,
            cost_code=sov.cost_code,
        )
        for position, sov in enumerate(
            SOVLine.objects.filter(contract=contract).order_by("position", "id")
        )
    ]
    co_lines = (
        ChangeOrderLine.objects.filter(
            change_order__contract=contract, change_order__status=ChangeOrder.Status.APPROVED
        )
        .select_related("change_order")
        .order_by("change_order__approved_at", "change_order_id", "id")
    )
    for co_line in co_lines:
        lines.append(
            ClientLine(
                position=len(lines),
                item_number=co_line.item_number,
                description=f"CO {co_line.change_order.number}: {co_line.description}",
                cost_code=co_line.cost_code,
            )
        )
    return lines


def client_lines_of_pay_app(pay_app: PayApp) -> list[ClientLine]:
    return [
        ClientLine(
            position=position,
            item_number=line.item_number,
            description=line.description,
            cost_code=line.cost_code,
            line=line,
        )
        for position, line in enumerate(pay_app.lines.all())
    ]


def prefill_plan(
    *,
    contract: Contract,
    billing_period: BillingPeriod,
    sources: Sequence[PayApp] | None = None,
) -> Plan:
    """What a prefill of the client contract for the period bills, line by line.

    `sources` defaults to the period's eligible progress billings; pass pay apps loaded with
    their lines (see `_with_lines`) to plan over other ones (the sources a pay app recorded).
    Four queries: the client pay app (or SOV and change-order lines), its lines, the sources
    and their lines.
    """
    client_lines = client_lines_of(contract, billing_period)
    if sources is not None:
        return match_lines(client_lines, sources, contributions_of(sources))
    eligible, lines = _sources_and_lines(
        eligible_sources(contract=contract, billing_period=billing_period)
    )
    return match_lines(client_lines, eligible, contributions_of(eligible, lines))


# --- A client pay app's sources -------------------------------------------------------------------


def source_uses(client_pay_app: PayApp) -> list[SourceUse]:
    """The progress billings the client pay app was prefilled from, with the version used."""
    uses = (
        PayAppSource.objects.filter(client_pay_app=client_pay_app)
        .select_related("source", "source__contract", "source__contract__counterparty")
        .order_by("source__contract__number", "source__contract_id", "source__number")
    )
    return [SourceUse(source=use.source, version_used=use.source_version) for use in uses]


def changed_sources(client_pay_app: PayApp) -> list[PayApp]:
    """The sources whose version moved on since the prefill used them (one query)."""
    return [use.source for use in source_uses(client_pay_app) if use.changed]


@dataclass(frozen=True)
class SourcesView:
    """Everything the Sources card and the API's `sources` show for a client pay app."""

    pay_app: PayApp
    uses: list[SourceUse]
    plan: Plan
    not_used: list[PayApp]

    @property
    def changed(self) -> list[SourceUse]:
        return [use for use in self.uses if use.changed]

    @property
    def prefilled(self) -> bool:
        return bool(self.uses)


def client_pay_app_sources(client_pay_app: PayApp) -> SourcesView:
    """The client pay app's sources as they are now, matched to its lines.

    The plan is over the *recorded* sources (whatever their status now) and their current
    lines, so a card shows what the prefill drew on and what it would draw now; `not_used`
    lists progress billings of the period that became eligible after the prefill. Six queries.
    """
    uses = source_uses(client_pay_app)
    used_ids = [use.source.pk for use in uses]
    sources, lines = _sources_and_lines(
        PayApp.objects.filter(pk__in=used_ids).order_by("contract__number", "contract_id", "number")
    )
    client_lines = client_lines_of_pay_app(client_pay_app)
    plan = match_lines(client_lines, sources, contributions_of(sources, lines))
    not_used: list[PayApp] = []
    if uses:
        not_used = list(
            eligible_sources(
                contract=client_pay_app.contract, billing_period=client_pay_app.billing_period
            )
            .exclude(pk__in=used_ids)
            .select_related("contract", "contract__counterparty")
        )
    return SourcesView(pay_app=client_pay_app, uses=uses, plan=plan, not_used=not_used)


def client_pay_apps(contracts: Iterable[Contract]) -> dict[int, list[PayApp]]:
    """The pay apps of each client contract, newest first, with their lines and recorded
    sources prefetched (for figures and the "source changed" flag): three queries."""
    ids = [contract.pk for contract in contracts]
    pay_apps = _with_lines(PayApp.objects.filter(contract_id__in=ids)).prefetch_related(
        Prefetch("sources", queryset=PayAppSource.objects.select_related("source"))
    )
    out: dict[int, list[PayApp]] = {pk: [] for pk in ids}
    for pay_app in pay_apps.order_by("contract_id", "-number"):
        out[pay_app.contract_id].append(pay_app)
    return out


def has_changed_source(pay_app: PayApp) -> bool:
    """From prefetched `sources` (see `client_pay_apps`): no query."""
    return any(use.source.version > use.source_version for use in pay_app.sources.all())
