"""The demo project that `make run` loads into an empty database.

Built through the services, as a user would build it: a contractor, a client, a project with a
client contract and four commitments (two subcontracts, a purchase order, and a subcontract with
no payment application contacts), an approved change order, three billing periods (two Closed
with approved pay apps, the current month Open) and one login per role. Every password is
`demo1234`.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from sitebill.accounts.models import Company, Membership, Project, User
from sitebill.accounts.services import company_create, membership_set, project_create, user_create
from sitebill.billing.services.pay_apps import (
    LineChange,
    pay_app_create,
    pay_app_lines_update,
    pay_app_review,
    pay_app_submit,
)
from sitebill.billing.services.periods import billing_period_create
from sitebill.contracts.models import Contract
from sitebill.contracts.services import (
    change_order_create,
    contract_contact_add,
    contract_create,
    contract_distribution_set,
)

PASSWORD = "demo1234"
D = Decimal

CONCRETE = [
    ("03-100", "Mobilization"),
    ("03-110", "Layout and survey"),
    ("03-150", "Concrete testing allowance"),
    ("03-200", "Footing formwork"),
    ("03-210", "Footing reinforcing"),
    ("03-220", "Footing concrete"),
    ("03-230", "Foundation wall formwork"),
    ("03-240", "Foundation wall reinforcing"),
    ("03-250", "Foundation wall concrete"),
    ("03-260", "Waterproofing at foundation walls"),
    ("03-300", "Slab on grade: vapor barrier"),
    ("03-310", "Slab on grade: reinforcing"),
    ("03-320", "Slab on grade: concrete"),
    ("03-330", "Slab on grade: finishing"),
    ("03-340", "Slab on grade: curing and sealing"),
    ("03-400", "Elevated deck: formwork"),
    ("03-410", "Elevated deck: reinforcing"),
    ("03-420", "Elevated deck: concrete"),
    ("03-430", "Elevated deck: finishing"),
    ("03-500", "Stairs and landings"),
    ("03-510", "Equipment pads"),
    ("03-600", "Site walks and curbs"),
    ("03-700", "Grout and anchor bolts"),
    ("03-900", "Demobilization and closeout"),
]
ELECTRICAL = [
    ("26-050", "Mobilization"),
    ("26-051", "Submittals and shop drawings"),
    ("26-052", "Temporary power"),
    ("26-100", "Service entrance"),
    ("26-110", "Main switchboard"),
    ("26-120", "Distribution panels"),
    ("26-130", "Transformers"),
    ("26-200", "Feeders: underground"),
    ("26-210", "Feeders: overhead"),
    ("26-300", "Branch circuits: level 1"),
    ("26-310", "Branch circuits: level 2"),
    ("26-320", "Branch circuits: level 3"),
    ("26-400", "Devices: level 1"),
    ("26-410", "Devices: level 2"),
    ("26-420", "Devices: level 3"),
    ("26-500", "Lighting fixtures: interior"),
    ("26-510", "Lighting fixtures: exterior"),
    ("26-520", "Lighting controls"),
    ("26-600", "Emergency generator"),
    ("26-610", "Automatic transfer switch"),
    ("26-700", "Grounding and bonding"),
    ("26-800", "Medical gas alarms wiring"),
    ("27-100", "Telecom rough-in"),
    ("27-200", "Telecom cabling"),
    ("28-100", "Fire alarm rough-in"),
    ("28-200", "Fire alarm devices"),
    ("28-300", "Fire alarm programming and testing"),
    ("28-400", "Security rough-in"),
    ("26-900", "Testing and commissioning"),
    ("26-910", "As-built drawings"),
    ("26-920", "Training"),
    ("26-990", "Demobilization and closeout"),
]
SUPPLY = [
    ("05-120", "Structural steel beams (delivered)"),
    ("05-121", "Structural steel columns (delivered)"),
    ("05-210", "Steel joists (delivered)"),
    ("05-310", "Metal deck (delivered)"),
    ("05-500", "Miscellaneous metals"),
    ("05-510", "Stairs and railings (delivered)"),
]
DRYWALL = [
    ("09-210", "Metal stud framing: level 1"),
    ("09-211", "Metal stud framing: level 2"),
    ("09-212", "Metal stud framing: level 3"),
    ("09-220", "Gypsum board: level 1"),
    ("09-221", "Gypsum board: level 2"),
    ("09-222", "Gypsum board: level 3"),
    ("09-230", "Taping and finishing: level 1"),
    ("09-231", "Taping and finishing: level 2"),
    ("09-232", "Taping and finishing: level 3"),
    ("09-240", "Shaft walls"),
    ("09-250", "Acoustic insulation"),
    ("09-260", "Ceiling framing"),
    ("09-270", "Access panels"),
    ("09-280", "Fire-rated assemblies"),
    ("09-290", "Cleanup and closeout"),
]
CLIENT_SOV = [
    ("01", "General conditions"),
    ("03", "Concrete"),
    ("05", "Metals"),
    ("09", "Finishes"),
    ("22", "Plumbing"),
    ("23", "HVAC"),
    ("26", "Electrical"),
    ("27", "Communications"),
    ("28", "Electronic safety and security"),
    ("31", "Earthwork"),
    ("32", "Exterior improvements"),
    ("99", "Fee"),
]


def _values(items: list[tuple[str, str]], total: Decimal, seed: int) -> list[dict[str, Any]]:
    """Scheduled values summing to `total` exactly (whole hundreds; the last takes the rest)."""
    weights = [((i * 7 + seed) % 9) + 3 for i in range(len(items))]
    unit = total / sum(weights)
    lines: list[dict[str, Any]] = []
    running = D("0.00")
    for i, ((code, description), weight) in enumerate(zip(items, weights, strict=True)):
        if i == len(items) - 1:
            value = total - running
        else:
            value = (unit * weight / 100).quantize(D("1")) * 100
        running += value
        lines.append(
            {
                "item_number": str(i + 1),
                "description": description,
                "cost_code": code,
                "scheduled_value": value.quantize(D("0.01")),
            }
        )
    return lines


def _month_bounds(day: dt.date, back: int) -> tuple[dt.date, dt.date]:
    year, month = day.year, day.month - back
    while month < 1:
        month += 12
        year -= 1
    start = dt.date(year, month, 1)
    following = dt.date(year + (month == 12), month % 12 + 1, 1)
    return start, following - dt.timedelta(days=1)


def _bill_fraction(pay_app: Any, actor: Any, fraction: Decimal, stored: dict[int, str]) -> None:
    """Bill `fraction` of each line's scheduled value this period (some lines stored)."""
    pay_app.refresh_from_db()
    changes = []
    for index, line in enumerate(pay_app.lines.order_by("position")):
        target = (line.scheduled_value * fraction).quantize(D("0.01"))
        if index % 3 == 2:
            target = D("0.00")
        change = LineChange(line_id=line.pk, work_completed_this_period=target)
        if index in stored:
            change.materials_presently_stored = D(stored[index])
        changes.append(change)
    pay_app_lines_update(actor=actor, pay_app=pay_app, version=pay_app.version, changes=changes)


@transaction.atomic
def load_demo(*, today: dt.date | None = None) -> Project:
    today = today or timezone.localdate()
    contractor = Company.objects.create(name="Summit Builders", kind=Company.Kind.CONTRACTOR)
    admin = User.objects.create_superuser(
        "admin@example.com", PASSWORD, name="Avery Admin", company=contractor, is_company_admin=True
    )
    client = company_create(actor=admin, name="Harbor Health Partners", kind="client")
    vendors = {
        key: company_create(actor=admin, name=name, kind="vendor")
        for key, name in [
            ("acme", "Acme Concrete"),
            ("bolt", "Bolt Electric"),
            ("northside", "Northside Steel Supply"),
            ("precision", "Precision Drywall"),
        ]
    }
    standard = user_create(
        actor=admin,
        email="standard@example.com",
        name="Sam Standard",
        company=contractor,
        password=PASSWORD,
    )
    readonly = user_create(
        actor=admin,
        email="readonly@example.com",
        name="Riley Readonly",
        company=contractor,
        password=PASSWORD,
    )
    contacts = {
        key: user_create(
            actor=admin,
            email=f"billing@{key}.example",
            name=f"{vendors[key].name} Billing",
            company=vendors[key],
            password=PASSWORD,
        )
        for key in ("acme", "bolt", "northside")
    }
    project = project_create(
        actor=admin,
        name="Riverside Medical Office Building",
        number="2026-014",
        contractor=contractor,
        client=client,
        address="1200 Riverside Drive, Portland, OR",
        settings={
            "overbilling": "warn",
            "invite_message": "Please submit your pay app with lien waivers attached.",
            "reminder_days_before_due": 3,
        },
    )
    membership_set(actor=admin, project=project, user=standard, permission="standard")
    membership_set(actor=admin, project=project, user=readonly, permission="read_only")

    contract_create(
        actor=admin,
        project=project,
        kind="client",
        number="PC-001",
        title="Prime contract: Riverside MOB",
        counterparty=client,
        status="approved",
        executed=True,
        retainage_work_percent=D("5"),
        retainage_stored_percent=D("5"),
        lines=_values(CLIENT_SOV, D("8400000.00"), 2),
    )
    specs = [
        ("acme", "subcontract", "SC-001", "Concrete", CONCRETE, D("1250000.00"), D("10"), []),
        ("bolt", "subcontract", "SC-002", "Electrical", ELECTRICAL, D("980000.00"), D("10"), []),
        (
            "northside",
            "purchase_order",
            "PO-001",
            "Structural steel supply",
            SUPPLY,
            D("415000.00"),
            D("5"),
            [],
        ),
        (
            "precision",
            "subcontract",
            "SC-003",
            "Drywall and framing",
            DRYWALL,
            D("610000.00"),
            D("10"),
            [
                {"rate": "10.00", "until": "percent_complete", "limit": "50.00"},
                {"rate": "5.00", "until": "percent_complete", "limit": "100.00"},
            ],
        ),
    ]
    commitments: dict[str, Contract] = {}
    for seed, (key, kind, number, title, items, total, rate, rules) in enumerate(specs):
        contract = contract_create(
            actor=admin,
            project=project,
            kind=kind,
            number=number,
            title=title,
            counterparty=vendors[key],
            status="approved",
            executed=True,
            retainage_work_percent=rate,
            retainage_stored_percent=rate,
            retainage_rules=rules,
            lines=_values(items, total, seed),
        )
        if key in contacts:
            contract_contact_add(actor=admin, contract=contract, user=contacts[key])
        contract_distribution_set(actor=admin, contract=contract, users=[admin])
        commitments[key] = contract
    change_order_create(
        actor=admin,
        contract=commitments["acme"],
        number="001",
        title="Added equipment pads at the generator yard",
        status="approved",
        lines=[
            {
                "item_number": "CO1-1",
                "description": "Generator pad",
                "cost_code": "03-510",
                "amount": "18500.00",
            },
            {
                "item_number": "CO1-2",
                "description": "Delete site walk at north lot",
                "cost_code": "03-600",
                "amount": "-6200.00",
            },
        ],
    )
    change_order_create(
        actor=admin,
        contract=commitments["bolt"],
        number="001",
        title="Additional exam room receptacles",
        status="pending",
        lines=[
            {
                "item_number": "CO1-1",
                "description": "Exam room receptacles",
                "cost_code": "26-410",
                "amount": "7400.00",
            }
        ],
    )

    # Two closed months of approved history, then the current month Open.
    fractions = {1: D("0.20"), 2: D("0.25")}
    for back, period_number in ((2, 1), (1, 2)):
        start, end = _month_bounds(today, back)
        period = billing_period_create(
            actor=admin,
            project=project,
            start_date=start,
            end_date=end,
            due_date=end + dt.timedelta(days=5),
        )
        for key in ("acme", "bolt", "northside"):
            pay_app = pay_app_create(
                actor=admin,
                contract=commitments[key],
                billing_period=period,
                on_behalf_of=contacts[key],
                invoice_number=f"{key.upper()[:3]}-{period_number:04d}",
                billing_date=end,
                today=end,
            )
            stored = {0: "40000.00"} if key == "northside" and period_number == 1 else {}
            _bill_fraction(pay_app, admin, fractions[period_number], stored)
            pay_app.refresh_from_db()
            pay_app_submit(actor=admin, pay_app=pay_app, version=pay_app.version, today=end)
            pay_app.refresh_from_db()
            pay_app_review(
                actor=admin,
                pay_app=pay_app,
                version=pay_app.version,
                status="approved",
                comment="Approved. Thank you.",
            )
    start, end = _month_bounds(today, 0)
    billing_period_create(
        actor=admin,
        project=project,
        start_date=start,
        end_date=end,
        due_date=max(end + dt.timedelta(days=5), today + dt.timedelta(days=7)),
    )
    return project


def demo_logins() -> list[tuple[str, str]]:
    """(email, role) of every demo login, for `make run` and the README."""
    rows: list[tuple[str, str]] = []
    rank = {"admin": 0, "standard": 1, "read_only": 2}
    memberships = sorted(
        Membership.objects.select_related("user"),
        key=lambda m: (rank.get(m.permission, 9), m.user.email),
    )
    for membership in memberships:
        rows.append((membership.user.email, membership.get_permission_display()))
    for contract in Contract.objects.prefetch_related("contacts").order_by("number"):
        for contact in contract.contacts.all():
            rows.append((contact.email, f"Payment application contact, {contract.number}"))
    seen: set[str] = set()
    unique = []
    for email, role in rows:
        if email not in seen:
            seen.add(email)
            unique.append((email, role))
    return unique
