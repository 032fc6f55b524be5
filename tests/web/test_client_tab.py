"""The Client tab of the Progress Billings tool (MC/Client payment applications, DOMAIN.md
§5.5) and the Sources card of a client pay app on the pay app page."""

from __future__ import annotations

from decimal import Decimal

import pytest
from pytest_django.asserts import assertContains, assertNotContains, assertRedirects

from sitebill.billing.models import PayApp, PayAppSource
from sitebill.billing.services.pay_apps import pay_app_set_status
from sitebill.core.models import Event
from sitebill.upstream.services import client_pay_app_create
from tests.upstream.builders import client_contract, progress_billing, refreshed, scene

D = Decimal
S = PayApp.Status


def tab_url(world) -> str:
    return f"/projects/{world.project.pk}/progress-billings/?tab=client"


def new_url(contract) -> str:
    return f"/client-contracts/{contract.pk}/pay-apps/new/"


def sources_url(pay_app) -> str:
    return f"/client-pay-apps/{pay_app.pk}/sources/"


def counts():
    return (PayApp.objects.count(), PayAppSource.objects.count(), Event.objects.count())


def prefilled(world, contract):
    return client_pay_app_create(
        actor=world.admin, contract=contract, billing_period=world.period, prefill=True
    )


@pytest.fixture
def s(world):
    return scene(world)


# --------------------------------------------------------------------------------------------
# The tab


def test_the_client_tab_lists_client_contracts_with_their_pay_apps(login, world, s):
    # given
    pay_app = prefilled(world, s["contract"])
    # when
    response = login("read_only").get(tab_url(world))
    # then
    assertContains(
        response,
        f'<a href="/projects/{world.project.pk}/progress-billings/?tab=client" '
        'aria-current="page">Client</a>',
        html=True,
    )
    assertContains(
        response,
        f'<h3 id="client-contract-{s["contract"].pk}" class="card__title">'
        f'<a href="/client-contracts/{s["contract"].pk}/">CC-001</a> Clinic prime contract</h3>',
        html=True,
    )
    assertContains(
        response,
        f"""<tr><td><a href="/pay-apps/{pay_app.pk}/">#1</a></td>
        <td>Period 1: Nov 1 – Nov 30, 2026</td>
        <td><span class="pill pill--draft">Draft</span></td>
        <td class="num">$29,000.00</td><td class="num">$29,450.00</td>
        <td>Prefilled</td></tr>""",
        html=True,
    )
    # and a Read Only user gets no form
    assertNotContains(response, "Create MC/Client payment application")


@pytest.mark.parametrize("role", ["admin", "standard"])
def test_admin_and_standard_users_get_the_create_form(login, world, s, role):
    # when
    response = login(role).get(tab_url(world))
    # then
    pk = s["contract"].pk
    assertContains(response, f'<form method="post" action="/client-contracts/{pk}/pay-apps/new/"')
    assertContains(
        response,
        f'<input type="checkbox" name="prefill" id="id_client_{pk}_prefill" '
        f'aria-describedby="id_client_{pk}_prefill_helptext" checked>',
        html=True,
    )
    assertContains(
        response,
        f'<input type="checkbox" name="include_retainage" id="id_client_{pk}_include_retainage" '
        f'aria-describedby="id_client_{pk}_include_retainage_helptext">',
        html=True,
    )
    assertContains(
        response,
        f'<option value="{world.period.pk}" selected>',
    )
    assertContains(response, "No MC/Client payment application yet.")


def test_without_an_open_period_the_tab_says_so_and_offers_no_form(login, world, s):
    # given
    world.period.status = "closed"
    world.period.save(update_fields=["status"])
    # when
    response = login("admin").get(tab_url(world))
    # then
    assertContains(response, "This project has no Open billing period")
    assertNotContains(response, "<summary>Create MC/Client payment application</summary>")


def test_a_contact_sees_no_client_contract(login, world, s):
    response = login("contact").get(tab_url(world))
    assertContains(response, "No client contracts you can see on this project.")
    assertNotContains(response, "CC-001")


# --------------------------------------------------------------------------------------------
# Creating one


def test_a_standard_user_creates_a_prefilled_client_pay_app_and_lands_on_it(login, world, s):
    # when
    client = login("standard")
    response = client.post(
        new_url(s["contract"]),
        {"billing_period": world.period.pk, "prefill": "on", "invoice_number": "OWN-1"},
    )
    # then
    pay_app = PayApp.objects.get(contract=s["contract"])
    assertRedirects(response, f"/pay-apps/{pay_app.pk}/", fetch_redirect_response=False)
    assert pay_app.invoice_number == "OWN-1"
    assert [line.work_completed_this_period for line in pay_app.lines.order_by("position")] == [
        D("18000.00"),
        D("4000.00"),
        D("7000.00"),
    ]
    page = client.get(response["Location"])
    assertContains(
        page,
        "MC/Client payment application #1 created as a Draft and prefilled from progress billings.",
    )


def test_without_the_checkbox_nothing_is_prefilled(login, world, s):
    # when
    login("admin").post(new_url(s["contract"]), {"billing_period": world.period.pk})
    # then
    pay_app = PayApp.objects.get(contract=s["contract"])
    assert {line.work_completed_this_period for line in pay_app.lines.all()} == {D("0.00")}
    assert pay_app.sources.count() == 0


@pytest.mark.parametrize(
    ("role", "code"), [("read_only", 403), ("contact", 404), ("stranger", 404)]
)
def test_others_cannot_create_and_nothing_changes(login, world, s, role, code):
    # given
    before = counts()
    # when
    response = login(role).post(
        new_url(s["contract"]), {"billing_period": world.period.pk, "prefill": "on"}
    )
    # then
    assert response.status_code == code
    assert counts() == before


def test_a_refused_prefill_keeps_the_form_and_says_why(login, world):
    # given a project that blocks overbilling and a prefill above a line's value
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
    response = login("admin").post(
        new_url(contract),
        {"billing_period": world.period.pk, "prefill": "on", "invoice_number": "OWN-9"},
    )
    # then
    assert response.status_code == 400
    assert counts() == before
    assertContains(
        response,
        "Nothing was created: the prefill from progress billings was refused.",
        status_code=400,
    )
    assertContains(
        response,
        "Line 1: total completed and stored (4001.00) is above the scheduled value (4000.00)",
        status_code=400,
    )
    assertContains(response, 'value="OWN-9"', status_code=400)
    assertContains(response, '<details class="inline-edit card__intro" open>', status_code=400)


def test_a_second_pay_app_for_the_period_is_a_conflict(login, world, s):
    # given
    prefilled(world, s["contract"])
    before = counts()
    # when
    response = login("admin").post(
        new_url(s["contract"]), {"billing_period": world.period.pk, "prefill": "on"}
    )
    # then
    assertContains(response, "already has a pay app for Period 1", status_code=409)
    assert counts() == before


def test_the_create_url_is_post_only(login, world, s):
    assert login("admin").get(new_url(s["contract"])).status_code == 405


# --------------------------------------------------------------------------------------------
# The pay app page and its Sources card


def test_a_client_pay_app_opens_on_the_pay_app_page_with_its_sources_card(login, world, s):
    # given
    pay_app = prefilled(world, s["contract"])
    # when
    response = login("admin").get(f"/pay-apps/{pay_app.pk}/")
    # then
    assertContains(
        response,
        f'<dt>Client contract</dt><dd><a href="/client-contracts/{s["contract"].pk}/">'
        "CC-001 Clinic prime contract</a></dd>",
        html=True,
    )
    assertContains(response, '<div id="client-sources-banner"></div>', html=True)
    assertContains(response, f'hx-get="/client-pay-apps/{pay_app.pk}/sources/" hx-trigger="load"')


def test_a_progress_billing_page_has_no_sources_card(login, world, s):
    response = login("admin").get(f"/pay-apps/{s['sc1'].pk}/")
    assertNotContains(response, "client-sources")
    assert login("admin").get(sources_url(s["sc1"])).status_code == 404


def test_the_sources_card_lists_each_lines_sources_and_the_unmatched_lines(login, world, s):
    # given
    pay_app = prefilled(world, s["contract"])
    # when
    response = login("read_only").get(sources_url(pay_app), HTTP_HX_REQUEST="true")
    # then
    sc1, sc2, sc3 = s["sc1"], s["sc2"], s["sc3"]
    assertContains(
        response,
        f"""<li><a href="/pay-apps/{sc1.pk}/">SC-001 #1</a> Acme Concrete, line 1 (03-300):
        E $10,000.00</li>""",
        html=True,
    )
    assertContains(
        response,
        f"""<li><a href="/pay-apps/{sc1.pk}/">SC-001 #1</a> Acme Concrete, line 2 (03-350):
        E $3,000.00, F $2,000.00</li>""",
        html=True,
    )
    assertContains(
        response,
        f"""<li><a href="/pay-apps/{sc2.pk}/">SC-002 #1</a> Bolt Electric, line 1 (03-300):
        E $5,000.00</li>""",
        html=True,
    )
    assertContains(
        response,
        f"""<tr><td><a href="/pay-apps/{sc3.pk}/">SC-003 #1</a> Volt Works</td>
        <td>2 Trenching</td><td>31-200</td>
        <td class="num">$1,500.00</td><td class="num">$0.00</td></tr>""",
        html=True,
    )
    assertContains(response, "($1,500.00 of work this period)")
    # and, nothing having changed, the banner is empty (swapped out of band)
    assertContains(response, '<div id="client-sources-banner" hx-swap-oob="true"></div>', html=True)
    # and the Under Review SC-004 is not a source
    assertNotContains(response, "SC-004")


def test_a_source_changed_since_the_prefill_raises_a_warning(login, world, s):
    # given
    pay_app = prefilled(world, s["contract"])
    sc1 = refreshed(s["sc1"])
    pay_app_set_status(
        actor=world.admin,
        pay_app=sc1,
        version=sc1.version,
        status=S.UNDER_REVIEW,
        reason="Quantities to check again.",
    )
    # when
    response = login("admin").get(sources_url(pay_app), HTTP_HX_REQUEST="true")
    # then
    assertContains(
        response,
        "A progress billing this pay app was prefilled from has changed since.",
    )
    assertContains(
        response,
        f"<li>SC-001 Concrete, pay app #1: version {sc1.version} was used, it is now version "
        f"{sc1.version + 1} (Under Review).</li>",
        html=True,
    )
    assertContains(response, '<span class="pill pill--revise-and-resubmit">Changed</span>')
    # and the tab flags it too
    tab = login("admin").get(tab_url(world))
    assertContains(tab, '<span class="pill pill--revise-and-resubmit">Source changed</span>')


def test_without_htmx_the_sources_are_a_page_of_their_own(login, world, s):
    # given
    pay_app = prefilled(world, s["contract"])
    # when
    response = login("standard").get(sources_url(pay_app))
    # then
    assertContains(response, "<h1>Sources of pay app #1 · CC-001 Clinic prime contract</h1>")
    assertContains(response, '<div id="client-sources-banner">', count=1)
    assertContains(response, "Progress billings used")


def test_a_source_on_a_private_commitment_is_not_named_to_who_may_not_see_it(login, world, s):
    # given
    world.other_commitment.private = True
    world.other_commitment.save(update_fields=["private"])
    pay_app = prefilled(world, s["contract"])
    # when
    response = login("standard").get(sources_url(pay_app), HTTP_HX_REQUEST="true")
    # then
    assertContains(response, "<li>Private commitment (03-300): E $5,000.00</li>", html=True)
    assertNotContains(response, "SC-002")
    assertNotContains(response, "Bolt Electric")


@pytest.mark.parametrize("role", ["contact", "other_contact", "stranger"])
def test_contacts_never_see_a_client_pay_app_or_its_sources(login, world, s, role):
    # given
    pay_app = prefilled(world, s["contract"])
    # when / then
    assert login(role).get(sources_url(pay_app)).status_code == 404
    assert login(role).get(f"/pay-apps/{pay_app.pk}/").status_code == 404


def test_a_client_pay_app_without_prefill_says_so(login, world, s):
    # given
    pay_app = client_pay_app_create(
        actor=world.admin, contract=s["contract"], billing_period=world.period
    )
    # when
    response = login("admin").get(sources_url(pay_app), HTTP_HX_REQUEST="true")
    # then
    assertContains(response, "This pay app was not prefilled from progress billings.")


def test_a_read_only_user_is_refused_before_the_form_is_read(login, world, s):
    assert login("read_only").post(new_url(s["contract"]), {}).status_code == 403


def test_retainage_without_the_prefill_is_refused_next_to_the_checkbox(login, world, s):
    # given
    before = counts()
    # when
    response = login("admin").post(
        new_url(s["contract"]), {"billing_period": world.period.pk, "include_retainage": "on"}
    )
    # then
    assert counts() == before
    assertContains(response, "Only with a prefill from progress billings.", status_code=400)
    assertContains(
        response,
        "Retainage is carried from the progress billings: check &#x27;Prefill from progress "
        "billings&#x27; too, or leave &#x27;Include retainage&#x27; unchecked.",
        status_code=400,
    )


def test_a_form_without_a_period_says_so(login, world, s):
    response = login("admin").post(new_url(s["contract"]), {"prefill": "on"})
    assertContains(
        response,
        "The pay app was not created: correct the fields marked below.",
        status_code=400,
    )
    assert PayApp.objects.filter(contract=s["contract"]).count() == 0
