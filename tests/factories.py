"""factory_boy factories. Workflow state (pay apps, invites) is built through services instead."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import factory

from sitebill.accounts.models import Company, Membership, Project, User
from sitebill.billing.models import BillingPeriod
from sitebill.contracts.models import ChangeOrder, ChangeOrderLine, Contract, SOVLine


class CompanyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Company

    name = factory.Sequence(lambda n: f"Company {n}")
    kind = Company.Kind.VENDOR


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.com")
    name = factory.Sequence(lambda n: f"User {n}")
    company = factory.SubFactory(CompanyFactory, kind=Company.Kind.CONTRACTOR)
    password = factory.PostGenerationMethodCall("set_password", "demo1234")

    @factory.post_generation
    def saved(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class ProjectFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Project

    name = factory.Sequence(lambda n: f"Project {n}")
    number = factory.Sequence(lambda n: f"P-{n:04d}")
    contractor = factory.SubFactory(CompanyFactory, kind=Company.Kind.CONTRACTOR)


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    project = factory.SubFactory(ProjectFactory)
    permission = Membership.Permission.ADMIN


class ContractFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Contract

    project = factory.SubFactory(ProjectFactory)
    kind = Contract.Kind.SUBCONTRACT
    number = factory.Sequence(lambda n: f"SC-{n:03d}")
    title = factory.Sequence(lambda n: f"Subcontract {n}")
    counterparty = factory.SubFactory(CompanyFactory, kind=Company.Kind.VENDOR)
    status = Contract.Status.APPROVED
    executed = True
    retainage_work_percent = Decimal("10")
    retainage_stored_percent = Decimal("10")


class SOVLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SOVLine

    contract = factory.SubFactory(ContractFactory)
    position = factory.Sequence(lambda n: n)
    item_number = factory.Sequence(lambda n: f"{n + 1}")
    description = factory.Sequence(lambda n: f"Work item {n + 1}")
    cost_code = "03-300"
    scheduled_value = Decimal("10000.00")


class ChangeOrderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ChangeOrder

    contract = factory.SubFactory(ContractFactory)
    number = factory.Sequence(lambda n: f"{n + 1:03d}")
    title = "Added scope"
    status = ChangeOrder.Status.APPROVED


class ChangeOrderLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ChangeOrderLine

    change_order = factory.SubFactory(ChangeOrderFactory)
    item_number = factory.Sequence(lambda n: f"CO-{n + 1}")
    description = "Change order work"
    cost_code = "03-300"
    amount = Decimal("1000.00")


class BillingPeriodFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = BillingPeriod

    project = factory.SubFactory(ProjectFactory)
    number = factory.Sequence(lambda n: n + 1)
    start_date = dt.date(2026, 11, 1)
    end_date = dt.date(2026, 11, 30)
    due_date = dt.date(2099, 12, 31)
    status = BillingPeriod.Status.OPEN
