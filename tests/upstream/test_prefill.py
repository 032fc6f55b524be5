"""Creating an MC/Client payment application prefilled from the period's progress billings
(DOMAIN.md §5.5), through `client_pay_app_create`."""

from __future__ import annotations

from decimal import Decimal

import pytest

from sitebill.billing.models import InvoiceType, PayApp, PayAppSource
from sitebill.billing.selectors import pay_app_figures
from sitebill.billing.services.pay_apps import (
    LineChange,
    pay_app_lines_update,
    pay_app_review,
    pay_app_set_status,
    pay_app_submit,
)
from sitebill.core.exceptions import Conflict, NotFound, PermissionDenied, ValidationFailed
from sitebill.core.models import Event
from sitebill.upstream.selectors import (
    changed_sources,
    client_pay_app_sources,
    prefill_plan,
)
from sitebill.upstream.services import client_pay_app_create
from tests.upstream.builders import (
    S,
    approve,
    client_contract,
    lines_of,
    next_period,
    progress_billing,
    refreshed,
    scene,
)

D = Decimal


def counts():
    return (PayApp.objects.count(), PayAppSource.objects.count(), Event.objects.count())


def by_code(pay_app):
    return {line.cost_code: line for line in lines_of(pay_app)}


def sub_lines_of(*pay_apps):
    return [line for pay_app in pay_apps for line in lines_of(pay_app)]


def create(world, contract, **options):
    return client_pay_app_create(
        actor=world.admin, contract=contract, billing_period=world.period, **options
    )


# --------------------------------------------------------------------------------------------
# The prefill ties out


def test_the_prefill_ties_out_line_by_line_with_the_approved_progress_billings(world):
    # given
    s = scene(world)
    # when
    pay_app = create(world, s["contract"], prefill=True)
    # then every client line's E and F is the sum of its sub lines, to the cent
    sources = [s["sc1"], s["sc2"], s["sc3"]]
    expected = {
        "03": [
            sub
            for sub in sub_lines_of(*sources)
            if sub.cost_code.startswith("03") and sub.cost_code != "03-400"
        ],
        "03-4": [sub for sub in sub_lines_of(*sources) if sub.cost_code == "03-400"],
        "26": [sub for sub in sub_lines_of(*sources) if sub.cost_code.startswith("26")],
    }
    lines = by_code(pay_app)
    for code, subs in expected.items():
        assert lines[code].work_completed_this_period == sum(
            (sub.work_completed_this_period for sub in subs), D("0")
        )
        assert lines[code].materials_presently_stored == sum(
            (sub.materials_presently_stored for sub in subs), D("0")
        )
    assert [
        (code, line.work_completed_this_period, line.materials_presently_stored)
        for code, line in lines.items()
    ] == [
        ("03", D("18000.00"), D("2000.00")),
        ("03-4", D("4000.00"), D("0.00")),
        ("26", D("7000.00"), D("0.00")),
    ]
    # and the G702 follows from the lines (5% retainage of the client contract)
    g702 = pay_app_figures(pay_app).g702
    assert g702.total_completed_and_stored_to_date == D("31000.00")
    assert g702.total_retainage == D("1550.00")
    assert g702.current_payment_due == D("29450.00")
    assert pay_app.status == S.DRAFT
    assert pay_app.invoice_type == InvoiceType.WORK_AND_MATERIALS


def test_draft_under_review_and_revise_and_resubmit_progress_billings_are_not_sources(world):
    # given only SC-004 (Under Review) and a Draft on SC-001 and an R&R on SC-002
    s = scene(world)
    PayApp.objects.filter(pk=s["sc1"].pk).update(status=S.DRAFT)
    PayApp.objects.filter(pk=s["sc2"].pk).update(status=S.REVISE_AND_RESUBMIT)
    PayApp.objects.filter(pk=s["sc3"].pk).update(status=S.UNDER_REVIEW)
    # when
    pay_app = create(world, s["contract"], prefill=True)
    # then nothing is billed and nothing is a source
    assert all(line.work_completed_this_period == 0 for line in lines_of(pay_app))
    assert list(pay_app.sources.all()) == []


def test_the_sources_are_recorded_with_the_version_used(world):
    # given
    s = scene(world)
    # when
    pay_app = create(world, s["contract"], prefill=True)
    # then
    assert sorted(
        (use.source.contract.number, use.source_version) for use in pay_app.sources.all()
    ) == [
        ("SC-001", refreshed(s["sc1"]).version),
        ("SC-002", refreshed(s["sc2"]).version),
        ("SC-003", refreshed(s["sc3"]).version),
    ]
    assert changed_sources(pay_app) == []


def test_sub_lines_no_client_line_takes_are_listed_as_unmatched(world):
    # given
    s = scene(world)
    # when
    pay_app = create(world, s["contract"], prefill=True)
    view = client_pay_app_sources(pay_app)
    # then
    assert [
        (c.source.contract.number, c.line.cost_code, c.work_completed_this_period)
        for c in view.plan.unmatched
    ] == [("SC-003", "31-200", D("1500.00"))]
    event = Event.objects.get(action="prefilled", target_id=pay_app.pk)
    assert event.changes["unmatched_work_completed_this_period"] == [None, "1500.00"]
    assert event.reason == (
        "Prefilled from 3 progress billings; 1 sub line matched no client line "
        "(1500.00 of work this period)."
    )


def test_the_event_names_the_sources_and_the_totals(world):
    # given
    s = scene(world)
    # when
    pay_app = create(world, s["contract"], prefill=True)
    # then
    event = Event.objects.get(action="prefilled", target_id=pay_app.pk)
    v1, v2, v3 = (refreshed(s[k]).version for k in ("sc1", "sc2", "sc3"))
    assert event.actor == world.admin
    assert event.changes["sources"] == [
        None,
        f"SC-001 pay app #1 (version {v1}); SC-002 pay app #1 (version {v2}); "
        f"SC-003 pay app #1 (version {v3})",
    ]
    assert event.changes["work_completed_this_period"] == [None, "29000.00"]
    assert event.changes["materials_presently_stored"] == [None, "2000.00"]
    assert [e.action for e in Event.objects.filter(target_id=pay_app.pk, target_type="payapp")] == [
        "pay_app_created",
        "prefilled",
        "lines_updated",
    ]


def test_the_more_precise_client_code_takes_its_sub_lines_and_nothing_is_counted_twice(world):
    # given client lines "03", "03-3" and "03-300-10" (which nothing starts with)
    contract = client_contract(
        world,
        lines=[
            {
                "item_number": "1",
                "description": "Concrete",
                "cost_code": "03",
                "scheduled_value": "100000.00",
            },
            {
                "item_number": "2",
                "description": "Cast in place",
                "cost_code": "03-3",
                "scheduled_value": "100000.00",
            },
            {
                "item_number": "3",
                "description": "Slab",
                "cost_code": "03-300-10",
                "scheduled_value": "100000.00",
            },
        ],
    )
    progress_billing(
        world,
        world.commitment,
        {
            "03-300": ("10000.00", "0.00"),
            "03-350": ("3000.00", "0.00"),
            "03-400": ("4000.00", "0.00"),
        },
    )
    # when
    pay_app = create(world, contract, prefill=True)
    # then 03-3 takes 03-300 and 03-350; 03 only 03-400
    assert [line.work_completed_this_period for line in lines_of(pay_app)] == [
        D("4000.00"),
        D("13000.00"),
        D("0.00"),
    ]


def test_without_prefill_the_client_pay_app_starts_empty_and_has_no_sources(world):
    # given
    s = scene(world)
    # when
    pay_app = create(world, s["contract"])
    # then
    assert all(line.work_completed_this_period == 0 for line in lines_of(pay_app))
    assert pay_app.sources.count() == 0
    assert not Event.objects.filter(action="prefilled").exists()


def test_the_plan_is_read_in_a_fixed_number_of_queries(world, django_assert_num_queries):
    # given a client pay app, and then twice the sources
    s = scene(world)
    pay_app = create(world, s["contract"])
    with django_assert_num_queries(4):
        plan = prefill_plan(contract=s["contract"], billing_period=world.period)
    assert len(plan.sources) == 3
    extra = progress_billing(
        world,
        client_contract_commitment(world),
        {"03-300": ("100.00", "0.00")},
    )
    # when
    with django_assert_num_queries(4):
        plan = prefill_plan(contract=s["contract"], billing_period=world.period)
    # then
    assert len(plan.sources) == 4
    assert extra in plan.sources
    assert pay_app.pk


def client_contract_commitment(world):
    from tests import factories

    commitment = factories.ContractFactory(project=world.project, number="SC-005")
    factories.SOVLineFactory(contract=commitment, item_number="1", cost_code="03-300")
    return commitment


# --------------------------------------------------------------------------------------------
# A source that changes after the prefill


def test_a_source_corrected_after_the_prefill_is_flagged(world):
    # given
    s = scene(world)
    pay_app = create(world, s["contract"], prefill=True)
    sc1 = refreshed(s["sc1"])
    # when an admin corrects its status (its version moves on)
    pay_app_set_status(
        actor=world.admin,
        pay_app=sc1,
        version=sc1.version,
        status=S.APPROVED_AS_NOTED,
        reason="Lien waiver missing.",
    )
    # then
    assert changed_sources(pay_app) == [s["sc1"]]
    view = client_pay_app_sources(pay_app)
    (use,) = view.changed
    assert (use.version_used, use.current_version) == (sc1.version, sc1.version + 1)


# --------------------------------------------------------------------------------------------
# Retainage


def test_without_include_retainage_the_client_contract_rates_apply(world):
    # given
    s = scene(world)
    # when
    pay_app = create(world, s["contract"], prefill=True)
    # then
    assert {line.retainage_work_percent for line in lines_of(pay_app)} == {D("5")}
    assert all(line.retainage_released_this_period == 0 for line in lines_of(pay_app))


def test_include_retainage_carries_the_releases_and_the_rates_of_the_sub_lines(world):
    # given SC-001 releases 500.00 on its 03-300 line (the subs hold 10%)
    contract = client_contract(world)
    sc1 = progress_billing(
        world,
        world.commitment,
        {
            "03-300": ("10000.00", "0.00"),
            "03-350": ("3000.00", "2000.00"),
            "03-400": ("4000.00", "0.00"),
        },
        released={"03-300": "500.00"},
    )
    sc2 = progress_billing(world, world.other_commitment, {"03-300": ("5000.00", "0.00")})
    # when
    pay_app = create(world, contract, prefill=True, include_retainage=True)
    # then each client line holds and releases what its sub lines do
    sub_rows = {
        (row.line.pay_app_id, row.line.cost_code): row.result
        for p in (sc1, sc2)
        for row in pay_app_figures(p).rows
    }
    client_rows = {row.line.cost_code: row for row in pay_app_figures(pay_app).rows}
    division = [r for (pid, code), r in sub_rows.items() if code != "03-400"]
    finishes = [r for (pid, code), r in sub_rows.items() if code == "03-400"]
    for code, subs in (("03", division), ("03-4", finishes)):
        row = client_rows[code]
        assert row.line.retainage_work_percent == D("10")
        assert row.result.retainage_released_this_period == sum(
            (r.retainage_released_this_period for r in subs), D("0")
        )
        assert row.result.retainage_held == sum((r.retainage_held for r in subs), D("0"))
        assert row.result.retainage_this_period == sum(
            (r.retainage_this_period for r in subs), D("0")
        )
    assert client_rows["03"].result.retainage_released_this_period == D("500.00")
    assert client_rows["03"].result.retainage_held == D("1500.00")
    # and a line nothing matched keeps the client contract's rate
    assert client_rows["26"].line.retainage_work_percent == D("5")
    assert pay_app.invoice_type == InvoiceType.WORK_MATERIALS_AND_RETAINAGE


def test_sub_lines_at_different_rates_leave_the_client_rate(world):
    # given SC-002 holds 7.5% on its line, SC-001 10%
    contract = client_contract(world)
    progress_billing(world, world.commitment, {"03-300": ("10000.00", "0.00")})
    sc2 = progress_billing(
        world, world.other_commitment, {"03-300": ("5000.00", "0.00")}, status=S.DRAFT
    )
    pay_app_lines_update(
        actor=world.admin,
        pay_app=sc2,
        version=sc2.version,
        changes=[LineChange(line_id=lines_of(sc2)[0].pk, retainage_work_percent=D("7.5"))],
    )
    approve(world, sc2)
    # when
    pay_app = create(world, contract, prefill=True, include_retainage=True)
    # then
    assert by_code(pay_app)["03"].retainage_work_percent == D("5")
    assert by_code(pay_app)["03"].work_completed_this_period == D("15000.00")


def test_include_retainage_needs_the_prefill(world):
    # given
    contract = client_contract(world)
    before = counts()
    # when
    with pytest.raises(ValidationFailed) as refusal:
        create(world, contract, include_retainage=True)
    # then
    assert refusal.value.fields == {
        "include_retainage": ["Only with a prefill from progress billings."]
    }
    assert counts() == before


# --------------------------------------------------------------------------------------------
# Refusals save nothing


@pytest.mark.parametrize(
    ("role", "error"),
    [
        ("read_only", PermissionDenied),
        ("contact", NotFound),
        ("other_contact", NotFound),
        ("stranger", NotFound),
        ("anonymous", NotFound),
    ],
)
def test_only_admin_and_standard_users_create_client_pay_apps(world, role, error):
    # given
    s = scene(world)
    before = counts()
    # when
    with pytest.raises(error):
        client_pay_app_create(
            actor=world.role(role),
            contract=s["contract"],
            billing_period=world.period,
            prefill=True,
        )
    # then
    assert counts() == before


def test_a_standard_user_creates_a_prefilled_client_pay_app_with_retainage(world):
    # given
    s = scene(world)
    # when
    pay_app = client_pay_app_create(
        actor=world.standard,
        contract=s["contract"],
        billing_period=world.period,
        prefill=True,
        include_retainage=True,
        invoice_number="INV-7",
    )
    # then
    assert pay_app.created_by == world.standard
    assert pay_app.invoice_number == "INV-7"
    assert by_code(pay_app)["03"].work_completed_this_period == D("18000.00")


def test_a_commitment_is_not_a_client_contract(world):
    with pytest.raises(NotFound):
        client_pay_app_create(
            actor=world.admin, contract=world.commitment, billing_period=world.period
        )


def test_a_prefill_above_the_scheduled_value_is_refused_where_overbilling_is_blocked(world):
    # given a client line of 4,000.00 and 4,000.00 + 1.00 billed on it
    world.project.overbilling = "block"
    world.project.save(update_fields=["overbilling"])
    contract = client_contract(
        world,
        lines=[
            {
                "item_number": "1",
                "description": "Finishes",
                "cost_code": "03-4",
                "scheduled_value": "4000.00",
            }
        ],
    )
    progress_billing(world, world.commitment, {"03-400": ("4001.00", "0.00")})
    before = counts()
    # when
    with pytest.raises(ValidationFailed) as refusal:
        create(world, contract, prefill=True)
    # then nothing is created, not even the Draft
    assert refusal.value.message.startswith(
        "Nothing was created: the prefill from progress billings was refused. Line 1:"
    )
    assert list(refusal.value.fields) == ["prefill"]
    assert counts() == before
    # and without the prefill the Draft is created
    assert create(world, contract).status == S.DRAFT


def test_stored_materials_on_a_client_contract_that_does_not_bill_them_are_refused(world):
    # given
    contract = client_contract(world, stored_materials_enabled=False)
    progress_billing(world, world.commitment, {"03-350": ("3000.00", "2000.00")})
    before = counts()
    # when
    with pytest.raises(ValidationFailed) as refusal:
        create(world, contract, prefill=True)
    # then
    assert refusal.value.fields == {
        "prefill": ["Line 1: 2000.00 of stored materials cannot be billed on this client contract."]
    }
    assert counts() == before


def test_a_second_client_pay_app_for_the_period_is_refused(world):
    # given
    s = scene(world)
    create(world, s["contract"], prefill=True)
    before = counts()
    # when
    with pytest.raises(Conflict):
        create(world, s["contract"], prefill=True)
    # then
    assert counts() == before


# --------------------------------------------------------------------------------------------
# Workflow and the next period


def test_the_client_pay_app_goes_draft_under_review_approved(world):
    # given
    s = scene(world)
    pay_app = create(world, s["contract"], prefill=True)
    # when
    pay_app_submit(actor=world.standard, pay_app=pay_app, version=pay_app.version)
    pay_app = refreshed(pay_app)
    assert pay_app.status == S.UNDER_REVIEW
    pay_app_review(actor=world.admin, pay_app=pay_app, version=pay_app.version, status=S.APPROVED)
    # then
    pay_app = refreshed(pay_app)
    assert pay_app.status == S.APPROVED
    assert pay_app.certified_earned_less_retainage == D("29450.00")


def test_the_next_period_prefills_this_period_only_and_carries_the_previous(world):
    # given period 1 billed, approved on both sides
    s = scene(world)
    first = approve(world, create(world, s["contract"], prefill=True))
    period2 = next_period(world)
    progress_billing(
        world,
        world.commitment,
        {"03-300": ("6000.00", "0.00"), "03-350": ("2000.00", "0.00")},
        period=period2,
    )
    # when
    second = client_pay_app_create(
        actor=world.admin, contract=s["contract"], billing_period=period2, prefill=True
    )
    # then E is this period's; D is the previous D + E
    line = by_code(second)["03"]
    assert line.work_completed_this_period == D("8000.00")
    assert line.work_completed_previous == D("18000.00")
    # F: the sources' balance still stored (SC-001's 03-350 installed its 2,000.00)
    assert line.materials_presently_stored == D("0.00")
    assert by_code(second)["26"].work_completed_this_period == D("0.00")
    assert second.number == first.number + 1
