"""The seeds' workflow, step by step, through the REST API only (DOMAIN.md §3-5).

Invite to Bill: the Admin opens the Subcontractor tab (counts), marks two commitments, sends the
invites (the counts move, each contact is emailed); the contact accepts. Progress billing: the
contact creates the pay app, enters its lines and submits; the Admin rejects a line with a
reason (Revise & Resubmit, the contact is emailed the reason); the contact sees why, corrects
the line and resubmits; the Admin approves. The history holds every step and the G702 is exact.
"""

from __future__ import annotations

from django.core import mail


def _counts(api, user, period):
    response = api(user).get(f"/api/v1/billing-periods/{period.pk}/invites/")
    assert response.status_code == 200
    return response.json()["counts"]


def test_invite_bill_review_revise_and_approve_through_the_api(
    world, api, django_capture_on_commit_callbacks
):
    # given: the project's admin is on the commitment's invoice distribution list
    world.commitment.distribution.add(world.admin)
    admin, contact = api(world.admin), api(world.contact)
    period = world.period

    # when the admin opens the Subcontractor tab
    # then both commitments have a contact and are not invited yet
    assert _counts(api, world.admin, period) == {
        "no_contacts": 0,
        "not_invited": 2,
        "invited": 0,
        "accepted": 0,
        "declined": 0,
    }

    # when the admin marks both commitments and clicks Send Invites
    with django_capture_on_commit_callbacks(execute=True):
        sent = admin.post(
            f"/api/v1/billing-periods/{period.pk}/send-invites/",
            {
                "commitments": [world.commitment.pk, world.other_commitment.pk],
                "invoice_type": "work_and_materials",
            },
            format="json",
        )
    # then a success banner, the rows move from Not Invited to Invited, each contact is emailed
    assert sent.status_code == 200
    assert sent.json()["message"] == "2 invites sent."
    assert _counts(api, world.admin, period)["invited"] == 2
    assert sorted(message.to[0] for message in mail.outbox) == [
        "billing@acme.example",
        "billing@bolt.example",
    ]
    invitation = next(m for m in mail.outbox if m.to == ["billing@acme.example"])
    assert invitation.subject == (
        f"Riverside Clinic: {world.admin.display_name} has invited you to bill."
    )

    # when the contact accepts the invite from its own row
    rows = contact.get(f"/api/v1/billing-periods/{period.pk}/invites/").json()["results"]
    assert [row["commitment"] for row in rows] == [world.commitment.pk]
    accepted = contact.post(f"/api/v1/invites/{rows[0]['id']}/accept/")
    # then
    assert accepted.status_code == 200
    assert (accepted.json()["status"], accepted.json()["changed"]) == ("accepted", True)
    assert _counts(api, world.admin, period)["accepted"] == 1

    # when the contact creates the period's pay app
    created = contact.post(
        f"/api/v1/commitments/{world.commitment.pk}/pay-apps/",
        {"billing_period": period.pk, "invoice_number": "ACME-1001"},
        format="json",
    )
    # then a Draft with every SOV line
    assert created.status_code == 201
    pay_app = created.json()
    assert (pay_app["status"], pay_app["number"], pay_app["version"]) == ("draft", 1, 1)
    url = f"/api/v1/pay-apps/{pay_app['id']}/"
    first, second, third = (line["id"] for line in pay_app["lines"])

    # when the contact enters the period's work and stored materials, line by line
    version = pay_app["version"]
    for line, fields in [
        (first, {"work_completed_this_period": "10000.00"}),
        (second, {"work_completed_this_period": "3000.00"}),
        (third, {"materials_presently_stored": "2000.00"}),
    ]:
        edited = contact.patch(f"{url}lines/{line}/", {"version": version, **fields}, format="json")
        assert edited.status_code == 200, edited.json()
        assert edited.json()["version"] == version + 1
        version = edited.json()["version"]
    # and submits
    with django_capture_on_commit_callbacks(execute=True):
        submitted = contact.post(f"{url}submit/", {"version": version}, format="json")
    # then it is Under Review and the distribution list is emailed
    assert submitted.status_code == 200
    assert submitted.json()["status"] == "under_review"
    assert submitted.json()["g702"]["current_payment_due"] == "13500.00"
    assert mail.outbox[-1].to == ["admin@summit.example"]

    # when the admin rejects line 2 with a reason and returns the pay app
    with django_capture_on_commit_callbacks(execute=True):
        reviewed = admin.post(
            f"{url}review/",
            {
                "status": "revise_and_resubmit",
                "comment": "Please bill line 2 as installed.",
                "version": submitted.json()["version"],
                "lines": [
                    {"id": first, "status": "approved"},
                    {"id": second, "status": "rejected", "reason": "Only 2,000.00 in place."},
                    {"id": third, "status": "approved"},
                ],
            },
            format="json",
        )
    # then it is Revise & Resubmit and the contact is emailed the reason
    assert reviewed.status_code == 200
    assert reviewed.json()["status"] == "revise_and_resubmit"
    returned = mail.outbox[-1]
    assert returned.to == ["billing@acme.example"]
    assert "Revise & Resubmit" in returned.subject
    assert "Only 2,000.00 in place." in returned.body
    assert "Please bill line 2 as installed." in returned.body

    # when the contact opens the pay app
    seen = contact.get(url).json()
    # then it sees which line was rejected and why; its amounts are untouched
    assert [(line["review_status"], line["review_reason"]) for line in seen["lines"]] == [
        ("approved", ""),
        ("rejected", "Only 2,000.00 in place."),
        ("approved", ""),
    ]
    assert seen["review_comment"] == "Please bill line 2 as installed."
    assert seen["lines"][1]["work_completed_this_period"] == "3000.00"

    # when the contact corrects line 2 and resubmits
    corrected = contact.patch(
        f"{url}lines/{second}/",
        {"version": seen["version"], "work_completed_this_period": "2000.00"},
        format="json",
    )
    assert corrected.status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        resubmitted = contact.post(
            f"{url}submit/", {"version": corrected.json()["version"]}, format="json"
        )
    # then it is Under Review again
    assert resubmitted.status_code == 200
    assert resubmitted.json()["status"] == "under_review"

    # when the admin approves
    with django_capture_on_commit_callbacks(execute=True):
        approved = admin.post(
            f"{url}review/",
            {
                "status": "approved",
                "version": resubmitted.json()["version"],
                "lines": [{"id": second, "status": "approved"}],
            },
            format="json",
        )
    # then the pay app is Approved, the contact is told, and the G702 is exact
    assert approved.status_code == 200
    final = approved.json()
    assert final["status"] == "approved"
    assert mail.outbox[-1].to == ["billing@acme.example"]
    assert "Approved" in mail.outbox[-1].subject
    assert [
        (
            line["work_completed_this_period"],
            line["materials_presently_stored"],
            line["total_completed_and_stored"],
            line["percent_complete"],
            line["balance_to_finish"],
            line["retainage_held"],
        )
        for line in final["lines"]
    ] == [
        ("10000.00", "0.00", "10000.00", "20.00", "40000.00", "1000.00"),
        ("2000.00", "0.00", "2000.00", "6.67", "28000.00", "200.00"),
        ("0.00", "2000.00", "2000.00", "10.00", "18000.00", "200.00"),
    ]
    assert {key: value for key, value in final["g702"].items() if not key.startswith("co_")} == {
        "original_contract_sum": "100000.00",
        "net_change_by_change_orders": "0.00",
        "contract_sum_to_date": "100000.00",
        "total_completed_and_stored_to_date": "14000.00",
        "retainage_on_completed_work": "1200.00",
        "retainage_on_stored_materials": "200.00",
        "total_retainage": "1400.00",
        "total_earned_less_retainage": "12600.00",
        "less_previous_certificates": "0.00",
        "current_payment_due": "12600.00",
        "balance_to_finish_including_retainage": "87400.00",
    }

    # and the history lists every step, by whom
    history = admin.get(f"{url}history/").json()
    assert [(event["action"], event["actor"]["email"]) for event in history["results"]] == [
        ("pay_app_created", "billing@acme.example"),
        ("lines_updated", "billing@acme.example"),
        ("lines_updated", "billing@acme.example"),
        ("lines_updated", "billing@acme.example"),
        ("submitted", "billing@acme.example"),
        ("reviewed", "admin@summit.example"),
        ("lines_updated", "billing@acme.example"),
        ("resubmitted", "billing@acme.example"),
        ("reviewed", "admin@summit.example"),
    ]
    rejection = history["results"][5]
    assert rejection["changes"]["status"] == ["under_review", "revise_and_resubmit"]
    assert rejection["changes"]["line 2 review"] == [
        "no_action",
        "rejected: Only 2,000.00 in place.",
    ]
    assert rejection["reason"] == "Please bill line 2 as installed."
    assert history["results"][-1]["changes"]["status"] == ["under_review", "approved"]
