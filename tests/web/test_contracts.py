"""The commitment page (and client contract page): facts, SOV, change orders, SOV import."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from pytest_django.asserts import assertContains, assertNotContains, assertRedirects

from sitebill.contracts.models import ChangeOrder, Contract, SOVLine
from sitebill.core.models import Event
from sitebill.web.views.contracts import SOV_IMPORT_SESSION_KEY
from tests import factories

GOOD_CSV = (
    "Item Number,Description,Cost Code,Scheduled Value\n"
    '4,Curbs and gutters,03-500,"12,500.00"\n'
    "5,Sidewalks,03-600,7500\n"
)
BAD_CSV = (
    "Item Number,Description,Cost Code,Scheduled Value\n"
    "4,Curbs and gutters,03-500,12500.00\n"
    "5,Sidewalks,03-600,lots\n"
)


def upload(text: str, name: str = "sov.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode("utf-8"), content_type="text/csv")


def import_url(contract: Contract) -> str:
    return f"/contracts/{contract.pk}/sov-import/"


def confirm_url(contract: Contract) -> str:
    return f"/contracts/{contract.pk}/sov-import/confirm/"


@pytest.mark.parametrize("role", ["admin", "standard", "read_only", "contact"])
def test_the_commitment_page_shows_its_facts_and_sov(login, world, role):
    # given
    world.commitment.retainage_rules = [
        {"rate": "10.00", "until": "percent_complete", "limit": "50.00"},
        {"rate": "5.00", "until": "amount_held", "limit": "20000.00"},
    ]
    world.commitment.save(update_fields=["retainage_rules"])
    # when
    response = login(role).get(f"/commitments/{world.commitment.pk}/")
    # then
    assert response.status_code == 200
    assertContains(response, "<h1>SC-001 Concrete</h1>", html=True)
    assertContains(response, "<dt>Vendor</dt><dd>Acme Concrete</dd>", html=True)
    assertContains(
        response,
        '<dt>Status</dt><dd><span class="pill pill--approved">Approved</span></dd>',
        html=True,
    )
    assertContains(response, "<dt>Retainage on work</dt><dd>10.00%</dd>", html=True)
    assertContains(response, "<dt>Retainage on stored materials</dt><dd>10.00%</dd>", html=True)
    assertContains(
        response,
        '<ol class="rules"><li>10.00% until 50.00% complete</li>'
        "<li>5.00% until $20,000.00 is held</li></ol>",
        html=True,
    )
    assertContains(response, "<dt>Stored materials billing</dt><dd>Enabled</dd>", html=True)
    assertContains(
        response,
        f'{world.contact.name} <span class="muted">&lt;billing@acme.example&gt;</span>',
        html=True,
    )
    line = SOVLine.objects.get(contract=world.commitment, item_number="1")
    assertContains(
        response,
        f"""<tr><td>1</td><td>{line.description}</td><td>03-300</td>
        <td class="num">$50,000.00</td></tr>""",
        html=True,
    )
    assertContains(
        response,
        '<tr><th scope="row" colspan="3">Total</th><td class="num">$100,000.00</td></tr>',
        html=True,
    )
    assertContains(response, "No change orders.")


def test_change_orders_are_listed_with_their_lines_and_status(login, world):
    # given
    co = factories.ChangeOrderFactory(
        contract=world.commitment, number="001", title="Extra footing", status="approved"
    )
    factories.ChangeOrderLineFactory(
        change_order=co,
        item_number="CO1-1",
        description="Footing F4",
        cost_code="03-300",
        amount=Decimal("4200.00"),
    )
    factories.ChangeOrderLineFactory(
        change_order=co,
        item_number="CO1-2",
        description="Credit for formwork",
        cost_code="03-100",
        amount=Decimal("-700.00"),
    )
    draft = factories.ChangeOrderFactory(
        contract=world.commitment, number="002", title="Canopy", status=ChangeOrder.Status.DRAFT
    )
    factories.ChangeOrderLineFactory(change_order=draft, amount=Decimal("900.00"))
    # when
    response = login("read_only").get(f"/commitments/{world.commitment.pk}/")
    # then
    assertContains(
        response,
        '<h3 class="change-order__title">CO 001 Extra footing '
        '<span class="pill pill--approved">Approved</span></h3>',
        html=True,
    )
    assertContains(
        response,
        "<tr><td>CO1-2</td><td>Credit for formwork</td><td>03-100</td>"
        '<td class="num">($700.00)</td></tr>',
        html=True,
    )
    assertContains(
        response,
        '<tr><th scope="row" colspan="3">Total CO 001</th><td class="num">$3,500.00</td></tr>',
        html=True,
    )
    assertContains(
        response,
        '<h3 class="change-order__title">CO 002 Canopy '
        '<span class="pill pill--draft">Draft</span></h3>',
        html=True,
    )
    # the revised sum counts the approved change order only
    assertContains(
        response,
        '<dt>Revised contract sum</dt><dd class="num-inline"><strong>$103,500.00</strong></dd>',
        html=True,
    )


def test_a_unit_based_commitment_shows_quantity_unit_and_unit_price(login, world):
    # given
    contract = factories.ContractFactory(
        project=world.project,
        number="SC-010",
        title="Paving",
        accounting_method=Contract.AccountingMethod.UNIT,
    )
    factories.SOVLineFactory(
        contract=contract,
        item_number="1",
        description="Asphalt",
        cost_code="32-100",
        quantity=Decimal("1500.0000"),
        unit="SF",
        unit_price=Decimal("30.0000"),
        scheduled_value=Decimal("45000.00"),
    )
    # when
    response = login("admin").get(f"/commitments/{contract.pk}/")
    # then
    assertContains(
        response,
        '<tr><td>1</td><td>Asphalt</td><td>32-100</td><td class="num">1,500</td><td>SF</td>'
        '<td class="num">$30.00</td><td class="num">$45,000.00</td></tr>',
        html=True,
    )
    assertContains(
        response,
        '<tr><th scope="row" colspan="6">Total</th><td class="num">$45,000.00</td></tr>',
        html=True,
    )


def test_a_client_contract_has_its_own_page(login, world):
    # given
    prime = factories.ContractFactory(
        project=world.project,
        kind=Contract.Kind.CLIENT,
        number="PC-001",
        title="Prime contract",
        counterparty=factories.CompanyFactory(name="Riverside Health", kind="client"),
    )
    # when
    response = login("admin").get(f"/client-contracts/{prime.pk}/")
    # then
    assert response.status_code == 200
    assertContains(response, "<dt>Client</dt><dd>Riverside Health</dd>", html=True)
    assertNotContains(response, "Payment application contacts")
    # and it is not a commitment
    assert login("admin").get(f"/commitments/{prime.pk}/").status_code == 404
    assert login("admin").get(f"/client-contracts/{world.commitment.pk}/").status_code == 404


@pytest.mark.parametrize("role", ["other_contact", "stranger"])
def test_a_contact_of_another_vendor_or_a_stranger_gets_not_found(login, world, role):
    # when
    response = login(role).get(f"/commitments/{world.commitment.pk}/")
    # then
    assert response.status_code == 404
    assertContains(response, "Contract not found.", status_code=404)
    assertNotContains(response, "Concrete", status_code=404)


def test_a_missing_commitment_is_not_found(login, world):
    assert login("admin").get("/commitments/999999/").status_code == 404


# --- SOV import ------------------------------------------------------------------------------


def test_an_admin_sees_the_import_form_and_the_template_link(login, world):
    # when
    response = login("admin").get(f"/commitments/{world.commitment.pk}/")
    # then
    assertContains(response, '<h2 id="sov-import-title">Import SOV</h2>', html=True)
    assertContains(response, '<label for="id_file">SOV file (CSV or XLSX):</label>', html=True)
    assertContains(response, 'accept=".csv,.xlsx"')
    assertContains(
        response,
        '<a href="/sov-import-template.csv" download>Download the template CSV</a>',
        html=True,
    )


def test_the_template_csv_downloads(login, world):
    # when
    response = login("read_only").get("/sov-import-template.csv")
    # then
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv"
    assert 'filename="sov_import_template.csv"' in response["Content-Disposition"]
    assert b"".join(response.streaming_content).startswith(b"Item Number,Description")


@pytest.mark.parametrize("role", ["standard", "read_only", "contact"])
def test_users_who_are_not_admins_see_no_import_form(login, world, role):
    # when
    response = login(role).get(f"/commitments/{world.commitment.pk}/")
    # then
    assertNotContains(response, "Import SOV")
    assertNotContains(response, 'name="file"')


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("standard", 403),
        ("read_only", 403),
        ("contact", 403),
        ("other_contact", 404),
        ("stranger", 404),
    ],
)
def test_only_an_admin_may_import_and_a_refusal_saves_nothing(login, world, role, status):
    # given
    client = login(role)
    before = SOVLine.objects.count()
    # when
    preview = client.post(import_url(world.commitment), {"file": upload(GOOD_CSV)})
    confirm = client.post(confirm_url(world.commitment), {"token": "anything"})
    # then
    assert preview.status_code == status
    assert confirm.status_code == status
    if status == 403:
        assertContains(preview, "You need Admin permission for this.", status_code=403)
    assert SOVLine.objects.count() == before
    assert SOV_IMPORT_SESSION_KEY not in client.session


def test_a_preview_with_a_bad_row_names_row_and_column_and_imports_nothing(login, world):
    # given
    client = login("admin")
    before = SOVLine.objects.count()
    # when
    response = client.post(import_url(world.commitment), {"file": upload(BAD_CSV)})
    # then
    assert response.status_code == 200
    assertContains(
        response,
        '<div class="alert alert--error" role="alert">1 problem found. Nothing was imported: '
        "fix the file and upload it again.</div>",
        html=True,
    )
    assertContains(
        response,
        '<tr><td>Row 3</td><td>scheduled_value</td><td>"lots" is not a number '
        "(write it like 1250.00 or 1,250.00)</td></tr>",
        html=True,
    )
    assertNotContains(response, "Import 1 line")
    assert SOVLine.objects.count() == before
    assert SOV_IMPORT_SESSION_KEY not in client.session


def test_a_good_file_is_previewed_then_imported_on_confirm(login, world):
    # given
    client = login("admin")
    before = SOVLine.objects.count()
    # when the admin previews
    preview = client.post(import_url(world.commitment), {"file": upload(GOOD_CSV)})
    # then the preview lists the rows and the total and saves nothing
    assertContains(
        preview,
        '<tr><td>2</td><td>4</td><td>Curbs and gutters</td><td>03-500</td><td class="num"></td>'
        '<td></td><td class="num"></td><td class="num">$12,500.00</td></tr>',
        html=True,
    )
    assertContains(
        preview,
        '<tr><th scope="row" colspan="7">Total</th><td class="num">$20,000.00</td></tr>',
        html=True,
    )
    assertContains(
        preview,
        '<button type="submit" class="button button--primary">Import 2 lines</button>',
        html=True,
    )
    assert SOVLine.objects.count() == before
    token = client.session[SOV_IMPORT_SESSION_KEY]["token"]
    assertContains(
        preview, f'<input type="hidden" name="token" value="{token}" id="id_token">', html=True
    )

    # when the admin confirms
    response = client.post(confirm_url(world.commitment), {"token": token}, follow=True)

    # then
    assertRedirects(response, f"/commitments/{world.commitment.pk}/")
    assertContains(
        response,
        '<div class="alert alert--success" role="status">Imported 2 SOV lines.</div>',
        html=True,
    )
    lines = SOVLine.objects.filter(contract=world.commitment).order_by("position")
    assert [(line.item_number, line.scheduled_value) for line in lines] == [
        ("1", Decimal("50000.00")),
        ("2", Decimal("30000.00")),
        ("3", Decimal("20000.00")),
        ("4", Decimal("12500.00")),
        ("5", Decimal("7500.00")),
    ]
    assert SOVLine.objects.count() == before + 2
    assert Event.objects.filter(action="sov_imported", target_id=world.commitment.pk).count() == 1
    assert SOV_IMPORT_SESSION_KEY not in client.session
    assertContains(
        response,
        '<tr><th scope="row" colspan="3">Total</th><td class="num">$120,000.00</td></tr>',
        html=True,
    )


def test_a_confirm_without_a_matching_preview_imports_nothing(login, world):
    # given a preview on one commitment
    client = login("admin")
    client.post(import_url(world.commitment), {"file": upload(GOOD_CSV)})
    token = client.session[SOV_IMPORT_SESSION_KEY]["token"]
    before = SOVLine.objects.count()
    # when the token is wrong, or used on another contract
    wrong = client.post(confirm_url(world.commitment), {"token": "forged"}, follow=True)
    elsewhere = client.post(confirm_url(world.other_commitment), {"token": token}, follow=True)
    # then
    for response in (wrong, elsewhere):
        assertContains(
            response,
            '<div class="alert alert--error" role="alert">'
            "This import preview has expired. Upload the file again.</div>",
            html=True,
        )
    assert SOVLine.objects.count() == before


def test_a_confirm_after_the_sov_was_locked_shows_why_and_imports_nothing(login, world):
    # given a good preview, then the first pay app arrives
    client = login("admin")
    client.post(import_url(world.commitment), {"file": upload(GOOD_CSV)})
    token = client.session[SOV_IMPORT_SESSION_KEY]["token"]
    world.commitment.pay_apps.create(
        billing_period=world.period, number=1, created_by=world.contact
    )
    before = SOVLine.objects.count()
    # when
    response = client.post(confirm_url(world.commitment), {"token": token})
    # then
    assert response.status_code == 200
    assertContains(
        response,
        "SC-001 already has pay apps. Its SOV is locked: add a change order instead.",
    )
    assertNotContains(response, "Import 2 lines")
    assert SOVLine.objects.count() == before


def test_an_htmx_preview_returns_only_the_import_panel(login, world):
    # when
    response = login("admin").post(
        import_url(world.commitment), {"file": upload(GOOD_CSV)}, HTTP_HX_REQUEST="true"
    )
    # then
    assert response.status_code == 200
    content = response.content.decode()
    assert content.lstrip().startswith('<section id="sov-import"')
    assert "<html" not in content
    assert "Import 2 lines" in content


def test_a_file_that_is_not_csv_or_xlsx_is_refused_at_the_field(login, world):
    # when
    response = login("admin").post(
        import_url(world.commitment), {"file": upload("hello", name="notes.txt")}
    )
    # then
    assertContains(
        response,
        '<ul class="errorlist" id="id_file_error"><li>Choose a .csv or .xlsx file.</li></ul>',
        html=True,
    )
