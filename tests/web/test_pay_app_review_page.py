"""Reviewing a pay app on its page: line decisions, outcome, Revise & Resubmit, corrections."""

from __future__ import annotations

from decimal import Decimal

import pytest
from pytest_django.asserts import assertContains, assertNotContains, assertRedirects

from sitebill.accounts.models import Membership
from sitebill.billing.models import PayApp, PayAppLine
from sitebill.billing.services.pay_apps import (
    LineChange,
    LineReview,
    pay_app_create,
    pay_app_lines_update,
    pay_app_review,
    pay_app_submit,
)
from tests import factories
from tests.web.test_pay_app_page import cell, lines_of, parse, text, url

D = Decimal
S = PayApp.Status


def submitted(world) -> PayApp:
    """Pay app #1 with 10,000.00 and 3,000.00 billed, submitted by the contact."""
    pay_app = pay_app_create(
        actor=world.contact, contract=world.commitment, billing_period=world.period
    )
    first, second, _third = lines_of(pay_app)
    pay_app_lines_update(
        actor=world.contact,
        pay_app=pay_app,
        version=1,
        changes=[
            LineChange(line_id=first.pk, work_completed_this_period=D("10000.00")),
            LineChange(line_id=second.pk, work_completed_this_period=D("3000.00")),
        ],
    )
    pay_app_submit(actor=world.contact, pay_app=pay_app, version=2)
    pay_app.refresh_from_db()
    return pay_app


def review_url(pay_app) -> str:
    return f"/pay-apps/{pay_app.pk}/review/"


def send_back(world, pay_app) -> None:
    """The admin rejects line 2 with a reason: Revise & Resubmit."""
    pay_app.refresh_from_db()
    first, second, _third = lines_of(pay_app)
    pay_app_review(
        actor=world.admin,
        pay_app=pay_app,
        version=pay_app.version,
        status=S.REVISE_AND_RESUBMIT,
        comment="Line 2 is ahead of the schedule.",
        lines=[
            LineReview(line_id=first.pk, status="approved"),
            LineReview(line_id=second.pk, status="rejected", reason="Only 2,000.00 in place."),
        ],
    )
    pay_app.refresh_from_db()


def test_an_admin_reviews_with_the_vendors_amounts_as_text(login, world):
    # given
    pay_app = submitted(world)
    first, second, _third = lines_of(pay_app)
    # when
    response = login("admin").get(url(pay_app))
    # then decisions and reasons are the only inputs of the grid
    inputs = parse(response).inputs
    assert cell(first, "work_completed_this_period") not in inputs
    assert inputs[f"review-{first.pk}-reason"] == ""
    assertContains(
        response,
        f'<label><input type="radio" name="review-{second.pk}-status" value="rejected"> '
        "Reject</label>",
        html=True,
    )
    assertContains(
        response,
        '<select name="status" id="id_status" required>'
        '<option value="" selected>Choose an outcome</option>'
        '<option value="approved">Approved</option>'
        '<option value="approved_as_noted">Approved as Noted</option>'
        '<option value="revise_and_resubmit">Revise &amp; Resubmit</option>'
        '<option value="pending_owner_approval">Pending Owner Approval</option></select>',
        html=True,
    )
    assertContains(response, "Record review")
    assert text(response, f"c{first.pk}-g") == "$10,000.00"


def test_an_admin_may_switch_to_editing_amounts_under_review(login, world):
    # given
    pay_app = submitted(world)
    first = lines_of(pay_app)[0]
    # when
    response = login("admin").get(f"{url(pay_app)}?edit=1")
    # then
    assert parse(response).inputs[cell(first, "work_completed_this_period")] == "10,000.00"
    assertNotContains(response, "Record review")


@pytest.mark.parametrize("role", ["standard", "read_only", "contact"])
def test_only_an_admin_gets_the_review_form(login, world, role):
    # given
    pay_app = submitted(world)
    # when
    page = login(role).get(url(pay_app))
    response = login(role).post(
        review_url(pay_app), {"version": str(pay_app.version), "status": "approved"}
    )
    # then
    assertNotContains(page, "Record review")
    assert response.status_code == 403
    pay_app.refresh_from_db()
    assert pay_app.status == S.UNDER_REVIEW


def test_a_rejected_line_with_a_reason_sends_the_pay_app_back(login, world):
    # given
    pay_app = submitted(world)
    first, second, _third = lines_of(pay_app)
    # when
    response = login("admin").post(
        review_url(pay_app),
        {
            "version": str(pay_app.version),
            f"review-{first.pk}-status": "approved",
            f"review-{second.pk}-status": "rejected",
            f"review-{second.pk}-reason": "Only 2,000.00 in place.",
            "status": "revise_and_resubmit",
            "comment": "Line 2 is ahead of the schedule.",
        },
        follow=True,
    )
    # then
    assertRedirects(response, url(pay_app))
    assertContains(response, "Review recorded: Revise &amp; Resubmit.")
    pay_app.refresh_from_db()
    assert pay_app.status == S.REVISE_AND_RESUBMIT
    assert [
        (line.review_status, line.review_reason, line.work_completed_this_period)
        for line in lines_of(pay_app)
    ] == [
        ("approved", "", D("10000.00")),
        ("rejected", "Only 2,000.00 in place.", D("3000.00")),
        ("no_action", "", D("0.00")),
    ]


def test_a_rejection_without_a_reason_is_refused_next_to_the_line(login, world):
    # given
    pay_app = submitted(world)
    first, second, _third = lines_of(pay_app)
    version = pay_app.version
    # when
    response = login("admin").post(
        review_url(pay_app),
        {
            "version": str(version),
            f"review-{first.pk}-status": "approved",
            f"review-{second.pk}-status": "rejected",
            f"review-{second.pk}-reason": "  ",
            "status": "revise_and_resubmit",
            "comment": "See line 2.",
        },
    )
    # then
    assert response.status_code == 400
    assertContains(
        response,
        '<span class="cell-error">Line 2: give a reason for rejecting it.</span>',
        html=True,
        status_code=400,
    )
    assertContains(
        response,
        f'<label><input type="radio" name="review-{second.pk}-status" value="rejected" checked> '
        "Reject</label>",
        html=True,
        status_code=400,
    )
    assertContains(response, "See line 2.", status_code=400)
    pay_app.refresh_from_db()
    assert (pay_app.status, pay_app.version) == (S.UNDER_REVIEW, version)
    assert {line.review_status for line in lines_of(pay_app)} == {"no_action"}


def test_a_second_admin_with_a_stale_page_gets_a_conflict_and_nothing_changes(client, world):
    # given two admins opened the page; the first sets Pending Owner Approval
    second_admin = factories.UserFactory(email="admin2@summit.example", company=world.contractor)
    Membership.objects.create(
        user=second_admin, project=world.project, permission=Membership.Permission.ADMIN
    )
    pay_app = submitted(world)
    stale = pay_app.version
    pay_app_review(
        actor=world.admin, pay_app=pay_app, version=stale, status=S.PENDING_OWNER_APPROVAL
    )
    first = lines_of(pay_app)[0]
    # when the second admin approves from the stale page
    client.force_login(second_admin)
    response = client.post(
        review_url(pay_app),
        {
            "version": str(stale),
            f"review-{first.pk}-status": "rejected",
            f"review-{first.pk}-reason": "Not in place.",
            "status": "approved",
        },
    )
    # then
    assert response.status_code == 409
    assertContains(
        response,
        "This pay app changed since you opened it (another review or an edit): reload it and "
        "review again.",
        status_code=409,
    )
    pay_app.refresh_from_db()
    assert (pay_app.status, pay_app.version) == (S.PENDING_OWNER_APPROVAL, stale + 1)
    first.refresh_from_db()
    assert first.review_status == "no_action"


def test_the_contact_sees_the_reasons_and_the_comment_in_revise_and_resubmit(login, world):
    # given
    pay_app = submitted(world)
    send_back(world, pay_app)
    _first, second, _third = lines_of(pay_app)
    # when
    response = login("contact").get(url(pay_app))
    # then the comment is at the top, each line's decision next to its inputs
    assertContains(
        response,
        '<div class="review-comment review-comment--revise" role="note">'
        '<h2 class="review-comment__title">Reviewer\'s comment</h2>'
        "<p>Line 2 is ahead of the schedule.</p></div>",
        html=True,
    )
    assertContains(
        response,
        '<span class="review-note review-note--rejected"><span class="pill pill--rejected">'
        "Rejected</span> Only 2,000.00 in place.</span>",
        html=True,
    )
    assertContains(
        response,
        '<span class="review-note review-note--approved"><span class="pill pill--approved">'
        "Approved</span></span>",
        html=True,
    )
    assertContains(response, '<tr class="is-rejected">')
    assert parse(response).inputs[cell(second, "work_completed_this_period")] == "3,000.00"


def test_the_whole_loop_on_the_page_and_its_history(login, world):
    # given the contact bills and submits through the page
    pay_app = pay_app_create(
        actor=world.contact, contract=world.commitment, billing_period=world.period
    )
    first, second, _third = lines_of(pay_app)
    contact = login("contact")
    contact.post(
        url(pay_app),
        {
            "version": "1",
            cell(first, "work_completed_this_period"): "10,000.00",
            cell(second, "work_completed_this_period"): "3,000.00",
        },
    )
    contact.post(f"/pay-apps/{pay_app.pk}/submit/", {"version": "2"})
    # when the admin sends it back, the contact revises and resubmits, the admin approves
    admin = login("admin")
    admin.post(
        review_url(pay_app),
        {
            "version": "3",
            f"review-{second.pk}-status": "rejected",
            f"review-{second.pk}-reason": "Only 2,000.00 in place.",
            "status": "revise_and_resubmit",
        },
    )
    contact = login("contact")
    contact.post(
        url(pay_app), {"version": "4", cell(second, "work_completed_this_period"): "2,000.00"}
    )
    resubmit = contact.post(f"/pay-apps/{pay_app.pk}/submit/", {"version": "5"}, follow=True)
    admin = login("admin")
    approve = admin.post(
        review_url(pay_app),
        {
            "version": "6",
            f"review-{second.pk}-status": "approved",
            f"review-{second.pk}-reason": "",
            "status": "approved",
            "comment": "Thank you.",
        },
        follow=True,
    )
    # then
    assertContains(resubmit, "Pay app #1 submitted for review.")
    assertContains(approve, "Review recorded: Approved.")
    pay_app.refresh_from_db()
    assert pay_app.status == S.APPROVED
    assert pay_app.certified_earned_less_retainage == D("10800.00")
    history = parse(approve).texts["history-title"]
    assert history == "History"
    steps = [
        " ".join(item.split())
        for item in approve.content.decode().split('<p class="history__head"><strong>')[1:]
    ]
    assert [step.split("</strong>")[0] for step in steps] == [
        "Created",
        "Amounts edited",
        "Submitted",
        "Reviewed",
        "Amounts edited",
        "Resubmitted",
        "Reviewed",
    ]
    assertContains(approve, "<li>Status: Under Review → Revise &amp; Resubmit</li>", html=True)
    assertContains(
        approve,
        "<li>Line 2: review: No action → Rejected: Only 2,000.00 in place.</li>",
        html=True,
    )
    assertContains(approve, "<li>Line 2: E work this period: $3,000.00 → $2,000.00</li>", html=True)
    assertContains(approve, "<li>Status: Under Review → Approved</li>", html=True)
    assertContains(approve, '<p class="history__reason">Reason: Thank you.</p>', html=True)
    # and an approved pay app has no inputs, even for an admin
    assert [name for name in parse(approve).inputs if name.startswith(("line-", "review-"))] == []


def test_an_admin_corrects_the_status_with_a_reason(login, world):
    # given an approved pay app
    pay_app = submitted(world)
    pay_app_review(actor=world.admin, pay_app=pay_app, version=pay_app.version, status="approved")
    pay_app.refresh_from_db()
    client = login("admin")
    # when the reason is missing, then given
    refused = client.post(
        f"/pay-apps/{pay_app.pk}/status/",
        {"version": str(pay_app.version), "status": "draft", "reason": ""},
    )
    response = client.post(
        f"/pay-apps/{pay_app.pk}/status/",
        {"version": str(pay_app.version), "status": "draft", "reason": "Wrong period billed."},
        follow=True,
    )
    # then
    assert refused.status_code == 400
    assertContains(refused, "This field is required.", status_code=400)
    assertContains(response, "Status corrected.")
    assertContains(response, "<li>Status: Approved → Draft</li>", html=True)
    assertContains(
        response, '<p class="history__reason">Reason: Wrong period billed.</p>', html=True
    )
    pay_app.refresh_from_db()
    assert pay_app.status == S.DRAFT


def test_a_standard_user_cannot_correct_a_status(login, world):
    # given
    pay_app = submitted(world)
    # when
    response = login("standard").post(
        f"/pay-apps/{pay_app.pk}/status/",
        {"version": str(pay_app.version), "status": "approved", "reason": "Looks fine."},
    )
    # then
    assert response.status_code == 403
    pay_app.refresh_from_db()
    assert pay_app.status == S.UNDER_REVIEW


def test_review_outcome_must_be_chosen(login, world):
    # given
    pay_app = submitted(world)
    # when
    response = login("admin").post(
        review_url(pay_app), {"version": str(pay_app.version), "status": "draft"}
    )
    # then
    assert response.status_code == 400
    assertContains(response, "The review was not recorded: choose an outcome.", status_code=400)
    assert PayApp.objects.get(pk=pay_app.pk).status == S.UNDER_REVIEW
    assert (
        PayAppLine.objects.filter(pay_app=pay_app).exclude(review_status="no_action").count() == 0
    )
