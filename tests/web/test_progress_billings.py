"""The Progress Billings tool: the Subcontractor tab (Invite to Bill, DOMAIN.md §3) and the
Client tab, per role; Send Invites with htmx and without JS."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.utils import timezone
from pytest_django.asserts import assertContains, assertNotContains, assertRedirects

from sitebill.billing.models import BillingPeriod, Invite, InvoiceType
from sitebill.billing.services.invites import STATUS_ORDER, invites_send
from sitebill.contracts.models import Contract
from sitebill.web.views.progress_billings import CHIP_ORDER
from tests import factories


def url(world) -> str:
    return f"/projects/{world.project.pk}/progress-billings/"


def send_url(world) -> str:
    return f"/projects/{world.project.pk}/progress-billings/send-invites/"


def chip(world, label: str, count: int, status: str = "", current: bool = False) -> str:
    query = f"?period={world.period.pk}" + (f"&amp;status={status}" if status else "")
    slug = status or "all"
    attrs = ' aria-current="true"' if current else ""
    return (
        f'<a class="chip chip--{slug}" href="{url(world)}{query}"{attrs}>'
        f'{label} <span class="chip__count">{count}</span></a>'
    )


def row_cells(contract, *, value: str, status: str, label: str) -> str:
    return f"""<td><a href="/commitments/{contract.pk}/">{contract.number}</a> {contract.title}</td>
      <td>{contract.counterparty.name}</td>
      <td class="num">{value}</td>
      <td class="num">$0.00</td>
      <td class="num">0.00%</td>
      <td><span class="pill pill--{status}">{label}</span></td>"""


def send(client, world, commitments, *, htmx: bool = True, **data):
    payload = {
        "period": world.period.pk,
        "commitments": [c.pk for c in commitments],
        "invoice_type": InvoiceType.WORK_AND_MATERIALS,
        **data,
    }
    extra = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    return client.post(send_url(world), payload, **extra)


# --------------------------------------------------------------------------------------------
# Who sees what


@pytest.mark.parametrize("role", ["admin", "standard", "read_only"])
def test_members_see_every_invoiceable_commitment_with_its_invite_status(login, world, role):
    # when
    response = login(role).get(url(world))
    # then
    assert response.status_code == 200
    assertContains(
        response,
        f'<a href="{url(world)}" aria-current="page">Progress Billings</a>',
        html=True,
    )
    assertContains(response, f'<a href="{url(world)}" aria-current="page">Subcontractor</a>')
    for contract, value in [
        (world.commitment, "$100,000.00"),
        (world.other_commitment, "$40,000.00"),
    ]:
        assertContains(
            response,
            row_cells(contract, value=value, status="not-invited", label="Not Invited"),
            html=True,
        )
    assertContains(response, chip(world, "Not Invited", 2, "not_invited"), html=True)
    assertContains(response, chip(world, "All", 2, current=True), html=True)


@pytest.mark.parametrize(
    ("role", "sees", "hidden"),
    [
        ("contact", "commitment", "other_commitment"),
        ("other_contact", "other_commitment", "commitment"),
    ],
)
def test_a_contact_sees_only_its_own_commitment(login, world, role, sees, hidden):
    # when
    response = login(role).get(url(world))
    # then
    assert response.status_code == 200
    assertContains(response, f'<a href="/commitments/{getattr(world, sees).pk}/">')
    assertNotContains(response, f'<a href="/commitments/{getattr(world, hidden).pk}/">')
    assertContains(response, chip(world, "Not Invited", 1, "not_invited"), html=True)
    assertNotContains(response, "Send Invites")


def test_a_stranger_gets_not_found(login, world):
    assert login("stranger").get(url(world)).status_code == 404


def test_anonymous_is_sent_to_log_in(client, world):
    # when
    response = client.get(url(world))
    # then
    assertRedirects(response, f"/login/?next={url(world)}", fetch_redirect_response=False)


def test_only_an_admin_sees_checkboxes_the_invoice_type_and_send_invites(login, world):
    # when
    response = login("admin").get(url(world))
    # then
    assertContains(
        response,
        f'<input type="checkbox" name="commitments" value="{world.commitment.pk}" '
        f'id="commitment-{world.commitment.pk}" aria-label="Select SC-001 Concrete">',
        html=True,
    )
    assertContains(response, "data-select-all")
    assertContains(
        response,
        """<select id="invoice-type" name="invoice_type">
        <option value="work_and_materials" selected>Work &amp; Materials</option>
        <option value="work_materials_and_retainage">Work, Materials &amp; Retainage</option>
        <option value="retainage_release">Retainage Release</option></select>""",
        html=True,
    )
    assertContains(response, 'hx-post="' + send_url(world) + '"')
    assertContains(response, 'hx-target="#subcontractor-panel"')
    assertContains(response, 'hx-swap="outerHTML"')
    assertContains(response, 'hx-disabled-elt="this">Send Invites</button>')


@pytest.mark.parametrize("role", ["standard", "read_only", "contact"])
def test_others_see_no_checkboxes_and_no_send_invites(login, world, role):
    # when
    response = login(role).get(url(world))
    # then
    assertNotContains(response, 'name="commitments"')
    assertNotContains(response, "Select every commitment that can be invited")
    assertNotContains(response, "Send Invites")
    assertNotContains(response, 'name="invoice_type"')


def test_only_invoiceable_commitments_are_listed(login, world):
    # given a draft commitment and a client contract
    factories.ContractFactory(project=world.project, number="SC-007", status=Contract.Status.DRAFT)
    factories.ContractFactory(project=world.project, number="CC-001", kind=Contract.Kind.CLIENT)
    # when
    response = login("admin").get(url(world))
    # then
    assertNotContains(response, "SC-007")
    assertNotContains(response, "CC-001")
    assertContains(response, chip(world, "All", 2, current=True), html=True)


def test_a_commitment_without_contacts_says_why_it_cannot_be_invited(login, world):
    # given
    lonely = factories.ContractFactory(project=world.project, number="SC-003", title="Drywall")
    # when
    response = login("admin").get(url(world))
    # then
    assertContains(
        response,
        '<td><span class="pill pill--no-contacts">No Payment Application Contacts</span>'
        '<div class="reason muted">Add a payment application contact to invite this commitment.'
        "</div></td>",
        html=True,
    )
    assertContains(response, '<td class="col-check"></td>', html=True)
    assertNotContains(response, f'value="{lonely.pk}"')
    assertContains(
        response, chip(world, "No Payment Application Contacts", 1, "no_contacts"), html=True
    )


def test_the_chips_cover_every_status_in_workflow_order():
    assert sorted(CHIP_ORDER) == sorted(STATUS_ORDER)
    assert CHIP_ORDER[:4] == ["not_invited", "invited", "accepted", "declined"]


def test_when_nothing_can_be_invited_the_admin_is_told_why_instead_of_a_button(login, world):
    # given every commitment invited
    invites_send(
        actor=world.admin,
        period=world.period,
        contracts=[world.commitment, world.other_commitment],
    )
    # when
    response = login("admin").get(url(world))
    # then
    assertContains(response, "No commitment can be invited now: each row says why.")
    assertNotContains(response, "Send Invites")
    assertNotContains(response, 'name="commitments"')


def test_a_chip_filters_the_rows_and_the_counts_stay(login, world):
    # given SC-001 invited
    invites_send(actor=world.admin, period=world.period, contracts=[world.commitment])
    # when
    response = login("admin").get(url(world) + f"?period={world.period.pk}&status=invited")
    # then
    assertContains(response, chip(world, "Invited", 1, "invited", current=True), html=True)
    assertContains(response, chip(world, "Not Invited", 1, "not_invited"), html=True)
    assertContains(response, f'<a href="/commitments/{world.commitment.pk}/">')
    assertNotContains(response, f'<a href="/commitments/{world.other_commitment.pk}/">')


def test_a_filter_without_rows_says_so(login, world):
    # when
    response = login("admin").get(url(world) + "?status=declined")
    # then
    assertContains(response, "No commitments are Declined for Period 1.")


# --------------------------------------------------------------------------------------------
# Periods


def test_the_period_selector_lists_every_period_and_shows_the_chosen_one(login, world):
    # given period 1 closed, period 2 open
    world.period.status = BillingPeriod.Status.CLOSED
    world.period.save(update_fields=["status"])
    second = factories.BillingPeriodFactory(
        project=world.project,
        number=2,
        start_date=dt.date(2026, 12, 1),
        end_date=dt.date(2026, 12, 31),
    )
    client = login("admin")
    # when the default
    response = client.get(url(world))
    # then the Open one
    assertContains(
        response,
        f"""<select id="period-select" name="period">
        <option value="{second.pk}" selected>Period 2: Dec 1 – Dec 31, 2026 (Open)</option>
        <option value="{world.period.pk}">Period 1: Nov 1 – Nov 30, 2026</option>
        </select>""",
        html=True,
    )
    assertContains(response, "<strong>Period 2</strong>", html=True)
    # when a closed one is chosen
    response = client.get(url(world) + f"?period={world.period.pk}")
    # then it shows, read-only
    assertContains(response, "<strong>Period 1</strong>", html=True)
    assertContains(
        response, "This billing period is Closed: invites go out for the Open period only."
    )
    assertNotContains(response, "Send Invites")


def test_an_unknown_period_is_not_found(login, world):
    other = factories.BillingPeriodFactory()  # another project's
    assert login("admin").get(url(world) + f"?period={other.pk}").status_code == 404
    assert login("admin").get(url(world) + "?period=abc").status_code == 404


def test_without_a_period_an_admin_is_sent_to_billing_periods(login, world):
    # given
    BillingPeriod.objects.all().delete()
    # when
    response = login("admin").get(url(world))
    # then
    assertContains(
        response,
        "There is no billing period yet. Invites to Bill and progress billings are made for a "
        "billing period.",
    )
    assertContains(
        response,
        f'<a class="button button--primary" href="/projects/{world.project.pk}/billing-periods/">'
        "Create a billing period</a>",
        html=True,
    )
    assertNotContains(response, "Send Invites")


def test_without_a_period_others_are_told_who_creates_one(login, world):
    # given
    BillingPeriod.objects.all().delete()
    # when
    response = login("standard").get(url(world))
    # then
    assertContains(response, "A project Admin creates billing periods.")
    assertNotContains(response, "Create a billing period")


# --------------------------------------------------------------------------------------------
# Pay app column


def test_the_pay_app_of_the_period_links_to_it(login, world):
    # given
    pay_app = world.commitment.pay_apps.create(
        billing_period=world.period, number=1, created_by=world.contact
    )
    # when
    response = login("read_only").get(url(world))
    # then
    assertContains(
        response,
        f'<a class="pill-link" href="/pay-apps/{pay_app.pk}/"><span class="pill pill--draft">'
        'Draft</span> <span class="pill-link__number">#1</span></a>',
        html=True,
    )


@pytest.mark.parametrize("role", ["admin", "standard"])
def test_admin_and_standard_may_create_on_behalf(login, world, role):
    # when
    response = login(role).get(url(world))
    # then
    assertContains(
        response,
        f'<a class="nowrap" href="/commitments/{world.commitment.pk}/pay-apps/new/">'
        "Create on behalf</a>",
        html=True,
    )


@pytest.mark.parametrize("role", ["read_only", "contact"])
def test_others_get_no_create_on_behalf_link(login, world, role):
    # when
    response = login(role).get(url(world))
    # then
    assertNotContains(response, "Create on behalf")
    assertContains(response, '<span class="muted">None</span>', html=True)


# --------------------------------------------------------------------------------------------
# Send Invites


def test_send_invites_with_htmx_returns_the_panel_with_the_banner_and_the_new_counts(
    login, world, django_capture_on_commit_callbacks
):
    # given
    client = login("admin")
    # when
    with django_capture_on_commit_callbacks(execute=True):
        response = send(
            client,
            world,
            [world.commitment, world.other_commitment],
            invoice_type=InvoiceType.WORK_MATERIALS_AND_RETAINAGE,
        )
    # then the panel alone, with the banner
    assert response.status_code == 200
    assertNotContains(response, "<html")
    assert response.content.decode().lstrip().startswith('<section id="subcontractor-panel"')
    assertContains(
        response,
        '<div class="alert alert--success" role="status" tabindex="-1">'
        '<p class="alert__title">2 invites sent.</p></div>',
        html=True,
    )
    assertContains(response, chip(world, "Not Invited", 0, "not_invited"), html=True)
    assertContains(response, chip(world, "Invited", 2, "invited"), html=True)
    assertContains(
        response,
        row_cells(world.commitment, value="$100,000.00", status="invited", label="Invited"),
        html=True,
    )
    # and the contacts have their email
    assert sorted(m.to[0] for m in mail.outbox) == ["billing@acme.example", "billing@bolt.example"]
    assert {m.subject for m in mail.outbox} == {
        f"Riverside Clinic: {world.admin.display_name} has invited you to bill."
    }
    assert "Invoice type:   Work, Materials & Retainage" in mail.outbox[0].body
    assert set(
        Invite.objects.filter(billing_period=world.period).values_list("status", "invoice_type")
    ) == {(Invite.Status.INVITED, InvoiceType.WORK_MATERIALS_AND_RETAINAGE)}


def test_skipped_rows_are_listed_with_the_reason(login, world, django_capture_on_commit_callbacks):
    # given a commitment without contacts, posted anyway
    lonely = factories.ContractFactory(project=world.project, number="SC-003", title="Drywall")
    # when
    with django_capture_on_commit_callbacks(execute=True):
        response = send(login("admin"), world, [world.commitment, lonely])
    # then
    assertContains(
        response,
        """<div class="alert alert--success" role="status" tabindex="-1">
        <p class="alert__title">1 invite sent. 1 skipped.</p>
        <ul class="alert__list"><li>SC-003 Drywall: Add a payment application contact to invite
        this commitment.</li></ul></div>""",
        html=True,
    )
    assert [m.to[0] for m in mail.outbox] == ["billing@acme.example"]


def test_a_double_post_invites_once(login, world, django_capture_on_commit_callbacks):
    # given
    client = login("admin")
    # when the button is clicked twice
    with django_capture_on_commit_callbacks(execute=True):
        send(client, world, [world.commitment])
    with django_capture_on_commit_callbacks(execute=True):
        second = send(client, world, [world.commitment])
    # then
    assert Invite.objects.filter(contract=world.commitment).count() == 1
    assert [m.to[0] for m in mail.outbox] == ["billing@acme.example"]
    assertContains(
        second,
        """<div class="alert alert--success" role="status" tabindex="-1">
        <p class="alert__title">No invites were sent. 1 skipped.</p>
        <ul class="alert__list"><li>SC-001 Concrete: Already invited.</li></ul></div>""",
        html=True,
    )


def test_without_js_the_form_posts_then_redirects_with_a_message(
    login, world, django_capture_on_commit_callbacks
):
    # given
    client = login("admin")
    # when
    with django_capture_on_commit_callbacks(execute=True):
        response = send(client, world, [world.commitment, world.other_commitment], htmx=False)
    # then
    assertRedirects(
        response, url(world) + f"?period={world.period.pk}", fetch_redirect_response=False
    )
    page = client.get(response["Location"])
    assertContains(
        page, '<div class="alert alert--success" role="status">2 invites sent.</div>', html=True
    )
    assertContains(page, chip(world, "Invited", 2, "invited"), html=True)
    assert len(mail.outbox) == 2


def test_nothing_selected_is_an_error_banner_and_changes_nothing(
    login, world, django_capture_on_commit_callbacks
):
    # when
    with django_capture_on_commit_callbacks(execute=True):
        response = send(login("admin"), world, [])
    # then
    assert response.status_code == 200
    assertContains(
        response,
        '<div class="alert alert--error" role="alert" tabindex="-1">'
        "Select at least one commitment.</div>",
        html=True,
    )
    assert not Invite.objects.exists()
    assert mail.outbox == []


def test_past_the_due_date_is_an_error_banner_and_changes_nothing(
    login, world, django_capture_on_commit_callbacks
):
    # given the page was open when the due date passed
    client = login("admin")
    world.period.due_date = timezone.localdate() - dt.timedelta(days=1)
    world.period.save(update_fields=["due_date"])
    # when
    with django_capture_on_commit_callbacks(execute=True):
        response = send(client, world, [world.commitment])
    # then
    due = world.period.due_date
    assertContains(
        response,
        '<div class="alert alert--error" role="alert" tabindex="-1">'
        f"The due date ({due:%b %d, %Y}) has passed: no more invites for this period.</div>",
        html=True,
    )
    assertContains(response, chip(world, "Not Invited", 2, "not_invited"), html=True)
    assert not Invite.objects.exists()
    assert mail.outbox == []


def test_without_js_an_error_comes_back_as_a_message(login, world):
    # given
    client = login("admin")
    # when
    response = send(client, world, [], htmx=False)
    # then
    page = client.get(response["Location"])
    assertContains(
        page,
        '<div class="alert alert--error" role="alert">Select at least one commitment.</div>',
        html=True,
    )


def test_a_closed_period_is_refused(login, world, django_capture_on_commit_callbacks):
    # given
    world.period.status = BillingPeriod.Status.CLOSED
    world.period.save(update_fields=["status"])
    # when
    with django_capture_on_commit_callbacks(execute=True):
        response = send(login("admin"), world, [world.commitment])
    # then
    assertContains(response, "is closed: invites go out for the Open period.")
    assert not Invite.objects.exists()


def test_a_commitment_of_another_project_is_refused(login, world):
    # given
    foreign = factories.ContractFactory()
    # when
    response = send(login("admin"), world, [foreign])
    # then
    assertContains(response, 'class="alert alert--error" role="alert"')
    assertContains(response, "Select a valid choice.")
    assert not Invite.objects.exists()


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("standard", 403),
        ("read_only", 403),
        ("contact", 403),
        ("other_contact", 403),
        ("stranger", 404),
    ],
)
def test_only_an_admin_may_send_invites(
    login, world, role, status, django_capture_on_commit_callbacks
):
    # when
    with django_capture_on_commit_callbacks(execute=True):
        response = send(login(role), world, [world.commitment, world.other_commitment])
    # then
    assert response.status_code == status
    assert not Invite.objects.exists()
    assert mail.outbox == []


def test_anonymous_may_not_send_invites(client, world):
    # when
    response = send(client, world, [world.commitment])
    # then
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")
    assert not Invite.objects.exists()


def test_the_tool_is_read_only_over_get(login, world):
    assert login("admin").get(send_url(world)).status_code == 405


# --------------------------------------------------------------------------------------------
# Client tab


def test_a_contact_sees_no_client_contracts(login, world):
    # given
    factories.ContractFactory(project=world.project, number="CC-001", kind=Contract.Kind.CLIENT)
    # when
    response = login("contact").get(url(world) + "?tab=client")
    # then
    assertContains(response, "No client contracts you can see on this project.")
    assertNotContains(response, "CC-001")


# --------------------------------------------------------------------------------------------
# Queries


def test_the_tool_costs_the_same_queries_for_2_or_12_commitments(
    login, world, django_assert_max_num_queries
):
    # given
    client = login("admin")
    world.commitment.pay_apps.create(
        billing_period=world.period, number=1, created_by=world.contact
    )
    with django_assert_max_num_queries(30) as few:
        client.get(url(world))
    for n in range(10):
        commitment = factories.ContractFactory(project=world.project, number=f"SC-1{n:02d}")
        factories.SOVLineFactory(contract=commitment)
        co = factories.ChangeOrderFactory(contract=commitment)
        factories.ChangeOrderLineFactory(change_order=co)
        commitment.contacts.add(world.contact)
        commitment.pay_apps.create(billing_period=world.period, number=1, created_by=world.contact)
    invites_send(actor=world.admin, period=world.period, contracts=[world.other_commitment])
    # when / then
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(url(world))
    assertContains(response, "SC-109")
