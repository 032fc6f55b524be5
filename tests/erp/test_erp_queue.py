"""The ERP export queue (DOMAIN.md §6): send Approved progress billings, accept (the file is
produced and the pay apps are Exported) or reject (back to editable), never exported twice
unless re-sent on purpose."""

from __future__ import annotations

from decimal import Decimal

import pytest

from sitebill.accounts.models import Membership
from sitebill.billing.models import PayApp
from sitebill.billing.selectors import pay_app_figures
from sitebill.core.exceptions import Conflict, NotFound, PermissionDenied, ValidationFailed
from sitebill.core.models import Event
from sitebill.erp.models import ErpExport
from sitebill.erp.services import erp_accept, erp_reject, erp_send, export_file
from tests import factories
from tests.concurrency.test_races import race
from tests.erp.builders import approved_pay_app, client_contract, draft_pay_app, next_period
from tests.erp.parsing import parse_iif, parse_sage300

D = Decimal
IIF = "quickbooks_iif"
SAGE = "sage300_cre"


def send(world, *pay_apps, format=IIF, actor=None, resend=False):
    return erp_send(
        actor=actor or world.admin,
        project=world.project,
        format=format,
        pay_apps=list(pay_apps),
        resend=resend,
    )


def erp_status(pay_app):
    return PayApp.objects.get(pk=pay_app.pk).erp_status


def actions_on(target_type, target_id):
    return list(
        Event.objects.filter(target_type=target_type, target_id=target_id)
        .order_by("id")
        .values_list("action", flat=True)
    )


def two_months_with_installed_materials(world):
    """Pay app 1: E 10,000 / 5,000 / 0 and 2,000 stored on line 3 (due 15,300.00).
    Pay app 2: E 5,000 on line 1, and 1,500 of the stored materials installed on line 3
    (E 1,500, F 2,000 -> 500): gross this period 5,000.00, retainage 500.00, due 4,500.00."""
    first = approved_pay_app(world, stored=("0.00", "0.00", "2000.00"))
    period2 = next_period(world)
    second = approved_pay_app(
        world,
        ("5000.00", "0.00", "1500.00"),
        stored=("0.00", "0.00", "500.00"),
        period=period2,
        invoice_number="",
    )
    return first, second


# --- Send -------------------------------------------------------------------------------------


def test_an_admin_sends_an_approved_pay_app_to_the_erp_queue(world):
    # given
    pay_app = approved_pay_app(world)
    # when
    export = send(world, pay_app)
    # then
    export.refresh_from_db()
    assert (export.project, export.format, export.status) == (world.project, IIF, "ready_to_export")
    assert list(export.pay_apps.all()) == [pay_app]
    assert (export.created_by, export.content, export.file_name) == (world.admin, "", "")
    assert erp_status(pay_app) == "ready_to_export"
    assert actions_on("erpexport", export.pk) == ["erp_export_sent"]
    event = Event.objects.get(target_type="payapp", target_id=pay_app.pk, action="erp_sent")
    assert event.changes == {"erp_status": ["", "ready_to_export"]}
    assert event.reason == f"ERP export {export.pk} (QuickBooks Desktop (IIF))"


def test_a_pay_app_sent_once_is_not_sent_again_by_accident(world):
    # given a pay app waiting in the queue
    pay_app = approved_pay_app(world)
    send(world, pay_app)
    events = Event.objects.count()
    # when it is sent again
    with pytest.raises(Conflict) as refused:
        send(world, pay_app, format=SAGE)
    # then
    assert refused.value.code == "already_sent"
    assert refused.value.fields == {
        "pay_apps": [
            "SC-001 pay app #1 is already Ready to Export: a pay app is exported once; send it "
            "again on purpose (resend) to export it again."
        ]
    }
    assert ErpExport.objects.count() == 1
    assert Event.objects.count() == events


def test_an_exported_pay_app_is_not_sent_again_unless_on_purpose(world):
    # given an exported pay app
    pay_app = approved_pay_app(world)
    erp_accept(actor=world.admin, export=send(world, pay_app))
    assert erp_status(pay_app) == "exported"
    # when sent again without saying so
    with pytest.raises(Conflict, match="already Exported"):
        send(world, pay_app)
    # then
    assert ErpExport.objects.count() == 1
    # when re-sent on purpose
    again = send(world, pay_app, format=SAGE, resend=True)
    # then
    assert again.status == "ready_to_export"
    assert erp_status(pay_app) == "ready_to_export"
    event = Event.objects.filter(target_id=pay_app.pk, action="erp_sent").last()
    assert event is not None
    assert event.changes == {"erp_status": ["exported", "ready_to_export"]}
    assert event.reason.endswith("re-sent on purpose")
    assert Event.objects.get(target_type="erpexport", target_id=again.pk).reason == (
        "re-sent on purpose"
    )


@pytest.mark.parametrize("status", ["draft", "under_review", "pending_owner_approval"])
def test_only_approved_pay_apps_are_sent(world, status):
    # given an approved pay app and one that is not
    approved = approved_pay_app(world, contract=world.other_commitment, work=("1000.00",))
    if status == "pending_owner_approval":
        other = approved_pay_app(world, status=status)
    else:
        other = draft_pay_app(world)
        if status == "under_review":
            from sitebill.billing.services.pay_apps import pay_app_submit

            pay_app_submit(actor=world.admin, pay_app=other, version=other.version)
    # when both are sent
    with pytest.raises(Conflict) as refused:
        send(world, approved, other)
    # then neither is sent
    assert refused.value.code == "not_approved"
    label = PayApp.Status(status).label
    assert refused.value.fields == {
        "pay_apps": [f"SC-001 pay app #1 is {label}: only Approved pay apps are sent to the ERP."]
    }
    assert not ErpExport.objects.exists()
    assert (erp_status(approved), erp_status(other)) == ("", "")


def test_client_pay_apps_and_other_projects_pay_apps_are_not_sent(world):
    # given an approved client pay app, and an approved pay app of another project
    client_pay_app = approved_pay_app(world, ("1000.00", "0.00"), contract=client_contract(world))
    project2 = factories.ProjectFactory(contractor=world.contractor)
    Membership.objects.create(user=world.admin, project=project2, permission="admin")
    contract2 = factories.ContractFactory(project=project2, counterparty=world.vendor)
    factories.SOVLineFactory(contract=contract2)
    period2 = factories.BillingPeriodFactory(project=project2)
    elsewhere = approved_pay_app(world, ("100.00",), contract=contract2, period=period2)
    # when / then
    for pay_app in (client_pay_app, elsewhere):
        with pytest.raises(ValidationFailed) as refused:
            send(world, pay_app)
        assert refused.value.fields == {
            "pay_apps": [f"No progress billing {pay_app.pk} on this project."]
        }
    assert not ErpExport.objects.exists()


def test_a_send_names_a_format_and_at_least_one_pay_app(world):
    pay_app = approved_pay_app(world)
    with pytest.raises(ValidationFailed) as no_format:
        send(world, pay_app, format="xero")
    assert no_format.value.fields == {"format": ["Choose one of: quickbooks_iif, sage300_cre."]}
    with pytest.raises(ValidationFailed) as nothing:
        send(world)
    assert nothing.value.fields == {"pay_apps": ["Choose at least one approved pay app."]}
    assert not ErpExport.objects.exists()


@pytest.mark.parametrize(
    ("role", "error"),
    [
        ("standard", PermissionDenied),
        ("read_only", PermissionDenied),
        ("contact", PermissionDenied),
        ("other_contact", PermissionDenied),
        ("stranger", NotFound),
    ],
)
def test_only_an_admin_sends_accepts_or_rejects(world, role, error):
    # given
    pay_app = approved_pay_app(world)
    export = send(world, approved_pay_app(world, ("100.00",), contract=world.other_commitment))
    events = Event.objects.count()
    user = world.role(role)
    # when / then
    with pytest.raises(error):
        send(world, pay_app, actor=user)
    with pytest.raises(error):
        erp_accept(actor=user, export=export)
    with pytest.raises(error):
        erp_reject(actor=user, export=export, reason="Wrong job")
    # and nothing changed
    export.refresh_from_db()
    assert export.status == "ready_to_export"
    assert ErpExport.objects.count() == 1
    assert erp_status(pay_app) == ""
    assert Event.objects.count() == events


# --- Accept -------------------------------------------------------------------------------------


def test_accepting_a_quickbooks_export_writes_a_balanced_bill_per_pay_app(world):
    # given two approved pay apps of two vendors in one export
    concrete = approved_pay_app(world, stored=("0.00", "0.00", "2000.00"))
    electrical = approved_pay_app(
        world, ("4000.00",), contract=world.other_commitment, invoice_number=""
    )
    export = send(world, electrical, concrete)
    # when
    accepted = erp_accept(actor=world.admin, export=export)
    # then the export holds the file
    accepted.refresh_from_db()
    assert accepted.status == "exported"
    assert (accepted.decided_by, accepted.decided_at is not None) == (world.admin, True)
    assert accepted.file_name == f"{world.project.number}-erp-export-{export.pk}.iif"
    # and every bill balances and carries the pay app's figures, in pay app order
    bills = parse_iif(accepted.content)
    assert [b.total for b in bills] == [D("0.00"), D("0.00")]
    first, second = bills
    assert first.trns == {
        "TRNSID": "",
        "TRNSTYPE": "BILL",
        "DATE": "11/28/2026",
        "ACCNT": "Accounts Payable",
        "NAME": "Acme Concrete",
        "AMOUNT": "-15300.00",
        "DOCNUM": "INV-1001",
        "MEMO": f"{world.project.number} SC-001 pay app #1, period 1",
    }
    assert D(first.trns["AMOUNT"]) == -pay_app_figures(concrete).g702.current_payment_due
    assert [(s["ACCNT"], s["AMOUNT"]) for s in first.splits] == [
        ("Job Costs:03-300", "10000.00"),
        ("Job Costs:03-350", "5000.00"),
        ("Job Costs:03-400", "2000.00"),
        ("Retainage Payable", "-1700.00"),
    ]
    assert (second.trns["NAME"], second.trns["AMOUNT"], second.trns["DOCNUM"]) == (
        "Bolt Electric",
        "-3600.00",
        f"SB-{electrical.pk}",
    )
    # and the pay apps are Exported, each step recorded
    assert (erp_status(concrete), erp_status(electrical)) == ("exported", "exported")
    assert actions_on("erpexport", export.pk) == ["erp_export_sent", "erp_export_accepted"]
    assert actions_on("payapp", concrete.pk)[-2:] == ["erp_sent", "erp_exported"]


def test_accepting_a_sage_export_writes_invoices_that_tie_to_the_pay_apps(world):
    # given the second month of a commitment, where stored materials were installed
    first, second = two_months_with_installed_materials(world)
    assert pay_app_figures(second).g702.current_payment_due == D("4500.00")
    export = send(world, first, second, format=SAGE)
    # when
    accepted = erp_accept(actor=world.admin, export=export)
    # then
    assert accepted.file_name.endswith(".csv")
    invoice1, invoice2 = parse_sage300(accepted.content)
    for invoice, pay_app in ((invoice1, first), (invoice2, second)):
        figures = pay_app_figures(pay_app)
        retainage = sum((r.result.retainage_this_period for r in figures.rows), D("0.00"))
        assert D(invoice.header[4]) == figures.g702.current_payment_due + retainage
        assert D(invoice.header[10]) == retainage
        assert D(invoice.header[4]) == sum((D(d[8]) for d in invoice.distributions), D("0"))
        assert D(invoice.header[10]) == sum((D(d[9]) for d in invoice.distributions), D("0"))
    assert invoice1.header[:4] == ["API", "Acme Concrete", "INV-1001", "SC-001 pay app #1"]
    assert [(d[2], d[5], d[8], d[9]) for d in invoice1.distributions] == [
        ("1", "03-300", "10000.00", "1000.00"),
        ("2", "03-350", "5000.00", "500.00"),
        ("3", "03-400", "2000.00", "200.00"),
    ]
    # the installed materials are not billed twice: line 3 bills E 1,500 less 1,500 stored
    assert invoice2.header[2:5] == [f"SB-{second.pk}", "SC-001 pay app #2", "5000.00"]
    assert invoice2.header[8:] == ["11/28/2026", "12/31/2026", "500.00"]
    assert [(d[2], d[3], d[6], d[8], d[9]) for d in invoice2.distributions] == [
        ("1", world.project.number, "S", "5000.00", "500.00"),
    ]


def test_when_stored_materials_move_into_previous_work_the_new_stored_are_all_of_f(world):
    # given the project moves stored materials into D on the next pay app
    first = approved_pay_app(world, stored=("0.00", "0.00", "2000.00"))
    world.project.move_stored_to_previous = True
    world.project.save(update_fields=["move_stored_to_previous"])
    second = approved_pay_app(
        world,
        ("5000.00", "0.00", "0.00"),
        stored=("0.00", "1000.00", "0.00"),
        period=next_period(world),
    )
    assert pay_app_figures(second).g702.current_payment_due == D("5400.00")
    # when
    accepted = erp_accept(actor=world.admin, export=send(world, first, second))
    # then
    bill2 = parse_iif(accepted.content)[1]
    assert bill2.total == D("0.00")
    assert [(s["ACCNT"], s["AMOUNT"]) for s in [bill2.trns, *bill2.splits]] == [
        ("Accounts Payable", "-5400.00"),
        ("Job Costs:03-300", "5000.00"),
        ("Job Costs:03-350", "1000.00"),
        ("Retainage Payable", "-600.00"),
    ]


def test_the_file_is_served_in_the_erps_code_page(world):
    world.vendor.name = "Béton Québec"
    world.vendor.save(update_fields=["name"])
    accepted = erp_accept(actor=world.admin, export=send(world, approved_pay_app(world)))
    content, content_type = export_file(accepted)
    assert content_type == "text/plain; charset=windows-1252"
    assert "Béton Québec".encode("cp1252") in content


def test_an_export_is_accepted_once(world):
    # given an accepted export
    export = send(world, approved_pay_app(world))
    erp_accept(actor=world.admin, export=export)
    events = Event.objects.count()
    # when a second approver accepts it too
    with pytest.raises(Conflict) as refused:
        erp_accept(actor=world.admin, export=export)
    # then
    assert refused.value.code == "already_decided"
    assert str(refused.value) == (
        f"This export was already exported by {world.admin.display_name}: nothing was changed."
    )
    assert Event.objects.count() == events


def test_an_export_whose_pay_app_is_no_longer_approved_is_not_accepted(world):
    # given an export waiting while its pay app was corrected back to Under Review
    from sitebill.billing.services.pay_apps import pay_app_set_status

    pay_app = approved_pay_app(world)
    export = send(world, pay_app)
    pay_app_set_status(
        actor=world.admin, pay_app=pay_app, version=None, status="under_review", reason="Recheck"
    )
    # when
    with pytest.raises(Conflict, match=r"SC-001 pay app #1 \(Under Review\)") as refused:
        erp_accept(actor=world.admin, export=export)
    # then
    assert refused.value.code == "not_approved"
    export.refresh_from_db()
    assert (export.status, export.content) == ("ready_to_export", "")
    assert erp_status(pay_app) == "ready_to_export"


# --- Reject -------------------------------------------------------------------------------------


def test_rejecting_an_export_returns_its_pay_apps_to_revise_and_resubmit_with_the_reason(world):
    # given
    pay_app = approved_pay_app(world)
    export = send(world, pay_app)
    # when
    rejected = erp_reject(actor=world.admin, export=export, reason="  Cost code 03-400 is closed. ")
    # then the export says why and who
    rejected.refresh_from_db()
    assert (rejected.status, rejected.reason, rejected.decided_by) == (
        "rejected",
        "Cost code 03-400 is closed.",
        world.admin,
    )
    assert rejected.content == ""
    # and the pay app is editable again, the reason in its history
    pay_app.refresh_from_db()
    assert (pay_app.status, pay_app.erp_status) == ("revise_and_resubmit", "rejected")
    assert actions_on("payapp", pay_app.pk)[-3:] == ["erp_sent", "erp_rejected", "status_corrected"]
    correction = Event.objects.get(target_id=pay_app.pk, action="status_corrected")
    assert correction.changes == {"status": ["approved", "revise_and_resubmit"]}
    assert correction.reason == f"Rejected from ERP export {export.pk}: Cost code 03-400 is closed."
    assert Event.objects.get(target_id=pay_app.pk, action="erp_rejected").reason == (
        "Cost code 03-400 is closed."
    )


def test_a_rejection_needs_a_reason(world):
    pay_app = approved_pay_app(world)
    export = send(world, pay_app)
    with pytest.raises(ValidationFailed) as refused:
        erp_reject(actor=world.admin, export=export, reason="   ")
    assert list(refused.value.fields) == ["reason"]
    export.refresh_from_db()
    pay_app.refresh_from_db()
    assert (export.status, pay_app.status, pay_app.erp_status) == (
        "ready_to_export",
        "approved",
        "ready_to_export",
    )


def test_a_rejected_export_cannot_be_accepted_and_its_pay_app_can_be_sent_again(world):
    # given a rejected export whose pay app was revised and approved again
    pay_app = approved_pay_app(world)
    export = send(world, pay_app)
    erp_reject(actor=world.admin, export=export, reason="Wrong vendor")
    # when / then
    with pytest.raises(Conflict, match="already rejected"):
        erp_accept(actor=world.admin, export=export)
    from sitebill.billing.services.pay_apps import pay_app_review, pay_app_submit

    pay_app.refresh_from_db()
    pay_app_submit(actor=world.admin, pay_app=pay_app, version=pay_app.version)
    pay_app.refresh_from_db()
    pay_app_review(actor=world.admin, pay_app=pay_app, version=pay_app.version, status="approved")
    again = send(world, pay_app)  # a rejected pay app is sent without `resend`
    assert again.status == "ready_to_export"


# --- Two approvers at the same moment ------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("trial", range(3))
def test_two_approvers_deciding_at_once_one_wins_the_other_gets_a_conflict(world, trial):
    # given an export waiting in the queue
    pay_app = approved_pay_app(world)
    export = send(world, pay_app)
    # when one accepts while the other rejects
    results = race(
        lambda: erp_accept(actor=world.admin, export=export),
        lambda: erp_reject(actor=world.admin, export=export, reason="Hold this month"),
    )
    # then exactly one decision stands
    won = [r for r in results if isinstance(r, ErpExport)]
    lost = [r for r in results if isinstance(r, Conflict)]
    assert (len(won), len(lost)) == (1, 1), results
    export.refresh_from_db()
    pay_app.refresh_from_db()
    assert export.status == won[0].status
    decided = ("erp_export_accepted", "erp_export_rejected")
    assert Event.objects.filter(target_id=export.pk, action__in=decided).count() == 1
    if export.status == "exported":
        assert (pay_app.status, pay_app.erp_status) == ("approved", "exported")
    else:
        assert (pay_app.status, pay_app.erp_status) == ("revise_and_resubmit", "rejected")
