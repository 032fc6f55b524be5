"""The large project `make bench` measures, built through the services as users would build it.

`build_world()` makes, on the configured database (already migrated):

- a contractor with an Admin (the API token of the figures is theirs), a client, a project;
- a client contract of `client_lines` lines whose cost codes ("02-00" ... "21-19") are the
  prefixes of the commitments' codes ("07-13.004"), so the prefill of the client pay app
  (sitebill/upstream/selectors.py: a client code takes the sub codes that start with it) matches
  almost every sub line; about 2% of sub lines carry a "99-..." code no client line takes;
- `commitments` commitments (subcontracts and every seventh a purchase order), each with its own
  vendor and a payment application contact; the first has `big_lines` SOV lines, the others
  `min_lines`..`max_lines` (seeded random);
- `periods` billing periods of approved history, one a month, the newest ending last month: in
  each, every commitment's pay app is created on behalf of its contact, billed (about 70% of its
  lines, 0-6% of the scheduled value each), submitted and approved; then the client pay app is
  created with the prefill, submitted and approved; creating the next period closes each one;
- the Open period (number `periods` + 1, this month, due in the future): every commitment billed
  again and approved, except the big one, whose pay app is submitted and reviewed to **Pending
  Owner Approval** with five lines rejected (it holds stored materials on every seventh line).

Why Pending Owner Approval and not Draft: the prefill figure needs `commitments` approved
progress billings in the Open period (a client pay app is only created in the Open period), and
the API, page, line-edit and PDF figures need the big pay app still editable. A Pending Owner
Approval pay app is both: it is a prefill source (SOURCE_STATUSES) and an Admin may still edit
it (transitions.can_edit). The invite figure makes its own next period inside a transaction it
rolls back (every commitment has a pay app in the Open period, which blocks invites there).

Speed: each commitment's pay app is created, billed, submitted and approved by four service
calls inside one `transaction.atomic()` per period (the services nest as savepoints), so a
period commits once instead of ~1,200 times; nothing is written around the services.
"""

from __future__ import annotations

import calendar
import datetime as dt
import random
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

D = Decimal
CENT = D("0.01")
PASSWORD = "bench-password-1234"


@dataclass
class World:
    """The ids the figures need, and what was built."""

    project_id: int
    admin_id: int
    token: str
    client_contract_id: int
    commitment_ids: list[int]
    big_commitment_id: int
    big_pay_app_id: int
    open_period_id: int
    period_ids: list[int]
    counts: dict[str, int] = field(default_factory=dict)
    build_seconds: float = 0.0
    phases: dict[str, float] = field(default_factory=dict)


def _say(message: str) -> None:
    print(f"[world] {message}", file=sys.stderr, flush=True)


def _month(today: dt.date, back: int) -> tuple[dt.date, dt.date]:
    """First and last day of the month `back` months before today's."""
    year, month = today.year, today.month - back
    while month < 1:
        month += 12
        year -= 1
    return dt.date(year, month, 1), dt.date(year, month, calendar.monthrange(year, month)[1])


def _client_codes(count: int) -> list[str]:
    return [f"{2 + i // 20:02d}-{i % 20:02d}" for i in range(count)]


def _money(rng: random.Random, low: int, high: int) -> Decimal:
    return D(rng.randint(low * 100, high * 100)) / 100


def _commitment_lines(
    rng: random.Random, count: int, codes: list[str], *, big: bool
) -> list[dict[str, Any]]:
    """SOV lines for one commitment: a run of neighbouring client codes (one trade)."""
    span = max(3, min(len(codes), count // 10))
    start = rng.randrange(len(codes))
    lines = []
    for n in range(count):
        if rng.random() < 0.02:
            code = f"99-{n % 100:02d}"  # matches no client line: listed as unmatched
        else:
            code = f"{codes[(start + n % span) % len(codes)]}.{n:04d}"
        if big and n % 25 == 3:
            description = (
                f"Line {n + 1}: cast-in-place concrete for the level {n % 9 + 1} elevated deck, "
                "including formwork, reinforcing, embeds, pour, finish and cure, per drawings "
                "S-201 to S-214 and specification 03 30 00"
            )
        else:
            description = f"Line {n + 1}: work package {code}, area {n % 40 + 1}"
        lines.append(
            {
                "item_number": str(n + 1),
                "description": description,
                "cost_code": code,
                "scheduled_value": _money(rng, 1_000, 120_000),
            }
        )
    return lines


def build_world(
    *,
    commitments: int = 300,
    big_lines: int = 2000,
    min_lines: int = 50,
    max_lines: int = 200,
    periods: int = 12,
    client_lines: int = 400,
    seed: int = 1,
    today: dt.date | None = None,
    progress: Callable[[str], None] = _say,
) -> World:
    """Build the bench project (see the module docstring); prints progress as it goes."""
    from django.db import transaction
    from django.utils import timezone
    from rest_framework.authtoken.models import Token

    from sitebill.accounts.models import Company, User
    from sitebill.accounts.services import company_create, project_create, user_create
    from sitebill.billing.models import PayApp, PayAppLine
    from sitebill.billing.services.periods import billing_period_create
    from sitebill.contracts.services import (
        contract_contact_add,
        contract_create,
        contract_distribution_set,
    )

    if commitments < 1 or periods < 1 or client_lines < 1:
        raise ValueError("a world needs at least one commitment, period and client line")
    rng = random.Random(seed)
    today = today or timezone.localdate()
    started = time.perf_counter()
    phases: dict[str, float] = {}

    # --- People, project, contracts ------------------------------------------------------------
    phase = time.perf_counter()
    contractor = Company.objects.create(name="Summit Builders", kind=Company.Kind.CONTRACTOR)
    admin = User.objects.create_superuser(
        "admin@summit.example",
        PASSWORD,
        name="Avery Admin",
        company=contractor,
        is_company_admin=True,
    )
    client = company_create(actor=admin, name="Harbor Health Partners", kind="client")
    project = project_create(
        actor=admin,
        name="Riverside Regional Hospital",
        number="2026-300",
        contractor=contractor,
        client=client,
        address="1200 Riverside Drive, Portland, OR",
        settings={"overbilling": "warn"},
    )
    codes = _client_codes(client_lines)
    plans: list[tuple[str, str, list[dict[str, Any]]]] = []
    for index in range(commitments):
        kind = "purchase_order" if index % 7 == 6 else "subcontract"
        prefix = "PO" if kind == "purchase_order" else "SC"
        count = big_lines if index == 0 else rng.randint(min_lines, max_lines)
        plans.append(
            (
                kind,
                f"{prefix}-{index + 1:04d}",
                _commitment_lines(rng, count, codes, big=index == 0),
            )
        )
    # The client's lines: each code's value covers what its sub lines can bill, with margin.
    covered = dict.fromkeys(codes, D("0"))
    for _, _, lines in plans:
        for line in lines:
            head = line["cost_code"].split(".")[0]
            if head in covered:
                covered[head] += line["scheduled_value"]
    with transaction.atomic():
        client_contract = contract_create(
            actor=admin,
            project=project,
            kind="client",
            number="PC-001",
            title="Prime contract: Riverside Regional Hospital",
            counterparty=client,
            status="approved",
            executed=True,
            retainage_work_percent=D("5"),
            retainage_stored_percent=D("5"),
            lines=[
                {
                    "item_number": str(i + 1),
                    "description": f"Division {code}",
                    "cost_code": code,
                    "scheduled_value": (covered[code] * D("1.25") + 10_000).quantize(CENT),
                }
                for i, code in enumerate(codes)
            ],
        )
    contracts = []
    contacts = []
    for index, (kind, number, lines) in enumerate(plans):
        with transaction.atomic():
            vendor = company_create(actor=admin, name=f"Vendor {number}", kind="vendor")
            contact = user_create(
                actor=admin,
                email=f"billing@{number.lower()}.example",
                name=f"{number} Billing",
                company=vendor,
                password=PASSWORD,
            )
            rate = D("5") if kind == "purchase_order" else D("10")
            contract = contract_create(
                actor=admin,
                project=project,
                kind=kind,
                number=number,
                title=f"Trade package {number}",
                counterparty=vendor,
                status="approved",
                executed=True,
                retainage_work_percent=rate,
                retainage_stored_percent=D("5"),
                lines=lines,
            )
            contract_contact_add(actor=admin, contract=contract, user=contact)
            contract_distribution_set(actor=admin, contract=contract, users=[admin])
        contracts.append(contract)
        contacts.append(contact)
        if (index + 1) % 50 == 0 or index + 1 == commitments:
            progress(f"{index + 1}/{commitments} commitments ({time.perf_counter() - phase:.1f} s)")
    phases["setup"] = time.perf_counter() - phase

    # --- Billing history, then the Open period ---------------------------------------------------
    period_ids: list[int] = []
    big_pay_app_id = 0
    for number in range(1, periods + 2):
        phase = time.perf_counter()
        is_open = number == periods + 1
        start, end = _month(today, periods + 1 - number)
        due = max(end + dt.timedelta(days=10), today + dt.timedelta(days=30)) if is_open else end
        with transaction.atomic():
            period = billing_period_create(
                actor=admin, project=project, start_date=start, end_date=end, due_date=due
            )
            period_ids.append(period.pk)
            for index, (contract, contact) in enumerate(zip(contracts, contacts, strict=True)):
                big_draft = is_open and index == 0
                pay_app = _bill(
                    admin=admin,
                    contact=contact,
                    contract=contract,
                    period=period,
                    rng=rng,
                    day=min(end, today),
                    stored=big_draft,
                    outcome="pending_owner_approval" if big_draft else "approved",
                )
                if big_draft:
                    big_pay_app_id = pay_app.pk
            if not is_open:
                _bill_client(admin=admin, contract=client_contract, period=period, day=end)
        progress(
            f"period {number}/{periods + 1}{' (Open)' if is_open else ''}: "
            f"{commitments} pay apps{'' if is_open else ' + the client pay app'} "
            f"in {time.perf_counter() - phase:.1f} s"
        )
        phases[f"period_{number}"] = time.perf_counter() - phase

    token, _ = Token.objects.get_or_create(user=admin)
    world = World(
        project_id=project.pk,
        admin_id=admin.pk,
        token=token.key,
        client_contract_id=client_contract.pk,
        commitment_ids=[c.pk for c in contracts],
        big_commitment_id=contracts[0].pk,
        big_pay_app_id=big_pay_app_id,
        open_period_id=period_ids[-1],
        period_ids=period_ids,
        counts={
            "commitments": len(contracts),
            "client_lines": client_lines,
            "big_lines": big_lines,
            "pay_apps": PayApp.objects.count(),
            "pay_app_lines": PayAppLine.objects.count(),
            "periods": len(period_ids),
        },
        phases=phases,
    )
    world.build_seconds = time.perf_counter() - started
    progress(
        f"built in {world.build_seconds:.1f} s: {world.counts['pay_apps']} pay apps, "
        f"{world.counts['pay_app_lines']} pay app lines"
    )
    return world


def _bill(
    *,
    admin: Any,
    contact: Any,
    contract: Any,
    period: Any,
    rng: random.Random,
    day: dt.date,
    stored: bool,
    outcome: str,
) -> Any:
    """One progress billing: created on the contact's behalf, billed, submitted, reviewed."""
    from sitebill.billing.models import PayAppLine
    from sitebill.billing.services.pay_apps import (
        LineChange,
        LineReview,
        pay_app_create,
        pay_app_lines_update,
        pay_app_review,
        pay_app_submit,
    )

    pay_app = pay_app_create(
        actor=admin,
        contract=contract,
        billing_period=period,
        on_behalf_of=contact,
        invoice_number=f"{contract.number}-{period.number:02d}",
        billing_date=day,
        today=day,
    )
    lines = list(
        pay_app.lines.order_by("position", "id").values_list("pk", "scheduled_value", "position")
    )
    changes = []
    for pk, scheduled, position in lines:
        change = LineChange(line_id=pk)
        if rng.random() < 0.7:
            change.work_completed_this_period = (
                scheduled * D(rng.randint(0, 600)) / 10_000
            ).quantize(CENT)
        if stored and position % 7 == 0:
            change.materials_presently_stored = (scheduled * D("0.02")).quantize(CENT)
        if change.work_completed_this_period is not None or stored:
            changes.append(change)
    pay_app_lines_update(actor=admin, pay_app=pay_app, version=None, changes=changes)
    pay_app_submit(actor=admin, pay_app=pay_app, today=day)
    reviews = []
    if outcome != "approved":
        reviews = [
            LineReview(
                line_id=pk,
                status=PayAppLine.ReviewStatus.REJECTED,
                reason="Work not in place at the site walk; bill it next period.",
            )
            for pk, _, _ in lines[1:6]
        ]
    pay_app_review(
        actor=admin,
        pay_app=pay_app,
        version=None,
        status=outcome,
        comment="Approved." if outcome == "approved" else "Five lines ahead of the work.",
        lines=reviews,
    )
    return pay_app


def _bill_client(*, admin: Any, contract: Any, period: Any, day: dt.date) -> None:
    """The period's MC/Client pay app: prefilled from the progress billings, approved."""
    from sitebill.billing.services.pay_apps import pay_app_review, pay_app_submit
    from sitebill.upstream.services import client_pay_app_create

    pay_app = client_pay_app_create(
        actor=admin,
        contract=contract,
        billing_period=period,
        prefill=True,
        invoice_number=f"PC-001-{period.number:02d}",
        billing_date=day,
    )
    pay_app_submit(actor=admin, pay_app=pay_app, today=day)
    pay_app_review(actor=admin, pay_app=pay_app, version=None, status="approved")
