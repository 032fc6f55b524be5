"""Shared fixtures: a project with one user per role, as DOMAIN.md §4 names them."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest

from sitebill.accounts.models import Company, Membership, Project, User
from sitebill.billing.models import BillingPeriod
from sitebill.contracts.models import Contract
from tests import factories


@dataclass
class World:
    project: Project
    contractor: Company
    vendor: Company
    other_vendor: Company
    commitment: Contract
    other_commitment: Contract
    period: BillingPeriod
    admin: User
    standard: User
    read_only: User
    contact: User
    other_contact: User
    stranger: User

    def role(self, name: str) -> Any:
        return None if name == "anonymous" else getattr(self, name)


ROLES = ["admin", "standard", "read_only", "contact", "other_contact", "stranger", "anonymous"]


def build_world() -> World:
    """The people and contracts every permission-minded test starts from."""
    contractor = factories.CompanyFactory(name="Summit Builders", kind=Company.Kind.CONTRACTOR)
    vendor = factories.CompanyFactory(name="Acme Concrete", kind=Company.Kind.VENDOR)
    other_vendor = factories.CompanyFactory(name="Bolt Electric", kind=Company.Kind.VENDOR)
    project = factories.ProjectFactory(name="Riverside Clinic", contractor=contractor)
    admin = factories.UserFactory(email="admin@summit.example", company=contractor)
    standard = factories.UserFactory(email="standard@summit.example", company=contractor)
    read_only = factories.UserFactory(email="readonly@summit.example", company=contractor)
    contact = factories.UserFactory(email="billing@acme.example", company=vendor)
    other_contact = factories.UserFactory(email="billing@bolt.example", company=other_vendor)
    stranger = factories.UserFactory(email="someone@elsewhere.example")
    for user, permission in [
        (admin, Membership.Permission.ADMIN),
        (standard, Membership.Permission.STANDARD),
        (read_only, Membership.Permission.READ_ONLY),
    ]:
        Membership.objects.create(user=user, project=project, permission=permission)
    commitment = factories.ContractFactory(
        project=project, number="SC-001", title="Concrete", counterparty=vendor
    )
    other_commitment = factories.ContractFactory(
        project=project, number="SC-002", title="Electrical", counterparty=other_vendor
    )
    for position, (value, code) in enumerate(
        [("50000.00", "03-300"), ("30000.00", "03-350"), ("20000.00", "03-400")]
    ):
        factories.SOVLineFactory(
            contract=commitment,
            position=position,
            item_number=str(position + 1),
            cost_code=code,
            scheduled_value=Decimal(value),
        )
    factories.SOVLineFactory(
        contract=other_commitment, item_number="1", scheduled_value=Decimal("40000.00")
    )
    commitment.contacts.add(contact)
    other_commitment.contacts.add(other_contact)
    period = factories.BillingPeriodFactory(project=project, number=1)
    return World(
        project=project,
        contractor=contractor,
        vendor=vendor,
        other_vendor=other_vendor,
        commitment=commitment,
        other_commitment=other_commitment,
        period=period,
        admin=admin,
        standard=standard,
        read_only=read_only,
        contact=contact,
        other_contact=other_contact,
        stranger=stranger,
    )


@pytest.fixture
def world(db: Any) -> World:
    return build_world()


@pytest.fixture(autouse=True)
def _events_append_only_between_flushes(request: Any) -> Any:
    """Tests with real transactions end with Django flushing every table, which the Event
    table's append-only triggers refuse. Drop the triggers just for that flush, and put them
    back for the next test."""
    if "transactional_db" not in request.fixturenames and not _marked_transactional(request):
        yield
        return
    from django.db import connection

    from sitebill.core import append_only

    request.getfixturevalue("transactional_db")
    append_only.install(connection)
    yield
    append_only.remove(connection)


def _marked_transactional(request: Any) -> bool:
    marker = request.node.get_closest_marker("django_db")
    return bool(
        marker and (marker.kwargs.get("transaction") or (len(marker.args) > 0 and marker.args[0]))
    )


@pytest.fixture(autouse=True)
def _stored_summaries_tie_out(request: Any) -> Any:
    """After every test with a database, each pay app summary that a list would show (one whose
    key still matches, sitebill/billing/summaries.py) equals the figures computed from the lines:
    whatever a test did through the services, a list never shows a stale G702."""
    if "db" not in request.fixturenames or "transactional_db" in request.fixturenames:
        yield
        return
    request.getfixturevalue("db")
    yield
    from sitebill.billing.models import PayApp
    from sitebill.billing.selectors import figures_for_lines
    from sitebill.billing.summaries import StoredFigures, stored_figures

    for pay_app in PayApp.objects.select_related("contract__project").exclude(summary=None):
        stored = stored_figures(pay_app)
        if stored is None:
            continue
        figures = figures_for_lines(pay_app, list(pay_app.lines.order_by("position", "id")))
        computed = StoredFigures(
            g702=figures.g702,
            totals=figures.totals,
            overbilled_ids=tuple(sorted(figures.overbilled)),
        )
        assert stored == computed, f"stale summary on pay app {pay_app.pk}: {stored} != {computed}"
