"""Downloading the documents from the pages and the API: who gets them (DOMAIN.md §4: a user
who may not see the pay app gets "not found"), with which type and file name; the list export
keeps the page's filters; the OpenAPI schema documents the files."""

from __future__ import annotations

import csv
import io

import openpyxl
import pytest
import yaml
from django.test import Client
from pypdf import PdfReader
from rest_framework.test import APIClient

from sitebill.billing.models import PayApp
from tests.conftest import ROLES
from tests.documents.conftest import bill, submit

FORMATS = {
    "pdf": "application/pdf",
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
# Who sees the concrete commitment's pay app: its members and its own contact.
SEES = {"admin", "standard", "read_only", "contact"}


@pytest.fixture
def pay_app(world) -> PayApp:
    return submit(world, bill(world, work={0: "10000.00"}))


def web_client(world, role: str) -> Client:
    client = Client()
    user = world.role(role)
    if user is not None:
        client.force_login(user)
    return client


def api_client(world, role: str) -> APIClient:
    client = APIClient()
    user = world.role(role)
    if user is not None:
        client.force_authenticate(user)
    return client


def filename(world, pay_app, fmt: str) -> str:
    from django.utils.text import slugify

    return f"{slugify(world.project.number)}-sc-001-pay-app-{pay_app.number}.{fmt}"


def opens(fmt: str, content: bytes) -> None:
    """The file is what it says it is: pypdf, csv and openpyxl read it."""
    if fmt == "pdf":
        assert len(PdfReader(io.BytesIO(content)).pages) == 2
    elif fmt == "csv":
        assert list(csv.reader(io.StringIO(content.decode())))[-1][1] == "GRAND TOTAL"
    else:
        assert openpyxl.load_workbook(io.BytesIO(content))["G703"]["B5"].value == "GRAND TOTAL"


# --- Pages --------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("role", ROLES)
def test_a_pay_app_document_downloads_from_the_page_for_those_who_see_it(world, pay_app, role, fmt):
    # when
    response = web_client(world, role).get(f"/pay-apps/{pay_app.pk}/{fmt}/")
    # then
    if role == "anonymous":
        assert response.status_code == 302
        assert response["Location"].startswith("/login/")
    elif role in SEES:
        assert response.status_code == 200
        assert response["Content-Type"] == FORMATS[fmt]
        assert response["Content-Disposition"] == (
            f'attachment; filename="{filename(world, pay_app, fmt)}"'
        )
        assert response["X-Content-Type-Options"] == "nosniff"
        opens(fmt, response.content)
    else:  # the other vendor's contact, a stranger: as if it did not exist
        assert response.status_code == 404
        assert response["Content-Type"].startswith("text/html")


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_missing_pay_app_is_not_found(world, fmt):
    response = web_client(world, "admin").get(f"/pay-apps/999999/{fmt}/")
    assert response.status_code == 404


def test_the_documents_are_get_only(world, pay_app):
    response = web_client(world, "admin").post(f"/pay-apps/{pay_app.pk}/pdf/")
    assert response.status_code == 405


def test_the_pay_app_page_offers_the_downloads(world, pay_app):
    page = web_client(world, "contact").get(f"/pay-apps/{pay_app.pk}/").content.decode()
    for fmt in FORMATS:
        assert f'href="/pay-apps/{pay_app.pk}/{fmt}/" download>{fmt.upper()}</a>' in page


# --- The list export ----------------------------------------------------------------------------


@pytest.fixture
def two_pay_apps(world) -> tuple[PayApp, PayApp]:
    concrete = bill(world, work={0: "10000.00"})
    electrical = submit(world, bill(world, world.other_commitment, work={0: "4000.00"}))
    return concrete, electrical


def list_csv(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.content.decode())))


@pytest.mark.parametrize(
    ("role", "commitments"),
    [
        ("admin", ["SC-001", "SC-002"]),
        ("standard", ["SC-001", "SC-002"]),
        ("read_only", ["SC-001", "SC-002"]),
        ("contact", ["SC-001"]),
        ("other_contact", ["SC-002"]),
    ],
)
def test_the_list_export_holds_what_the_user_sees(world, two_pay_apps, role, commitments):
    # when
    response = web_client(world, role).get(f"/projects/{world.project.pk}/pay-apps.csv")
    # then
    assert response.status_code == 200
    assert response["Content-Type"] == FORMATS["csv"]
    rows = list_csv(response)
    assert sorted(row[0] for row in rows[1:]) == commitments


def test_the_list_export_keeps_the_pages_filters(world, two_pay_apps):
    # when: the page filtered on Under Review, its CSV and XLSX links followed
    client = web_client(world, "admin")
    query = "?status=under_review&page=1"
    page = client.get(f"/projects/{world.project.pk}/pay-apps/{query}").content.decode()
    as_csv = client.get(f"/projects/{world.project.pk}/pay-apps.csv{query}")
    as_xlsx = client.get(f"/projects/{world.project.pk}/pay-apps.xlsx{query}")
    # then
    assert (
        f'href="/projects/{world.project.pk}/pay-apps.csv?status=under_review&amp;page=1"' in page
    )
    assert [row[0] for row in list_csv(as_csv)[1:]] == ["SC-002"]
    sheet = openpyxl.load_workbook(io.BytesIO(as_xlsx.content))["Pay Apps"]
    assert [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)] == ["SC-002"]
    assert as_xlsx["Content-Disposition"].endswith('-pay-apps.xlsx"')


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_a_stranger_cannot_export_the_list(world, two_pay_apps, fmt):
    response = web_client(world, "stranger").get(f"/projects/{world.project.pk}/pay-apps.{fmt}")
    assert response.status_code == 404


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_anonymous_is_sent_to_log_in_for_the_list(world, fmt):
    response = web_client(world, "anonymous").get(f"/projects/{world.project.pk}/pay-apps.{fmt}")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_the_list_export_costs_the_same_queries_for_2_or_12_pay_apps(
    world, two_pay_apps, django_assert_max_num_queries
):
    # given: ten more commitments, each with a pay app
    from tests import factories

    for n in range(10):
        contract = factories.ContractFactory(project=world.project, number=f"SC-1{n:02d}")
        factories.SOVLineFactory(contract=contract)
        contract.contacts.add(world.contact)
        bill(world, contract, work={0: "10.00"})
    client = web_client(world, "admin")
    # then: a fixed number of queries, whatever the count (lines prefetched per chunk)
    with django_assert_max_num_queries(12):
        response = client.get(f"/projects/{world.project.pk}/pay-apps.csv")
    assert len(list_csv(response)) == 13


# --- API ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("role", ROLES)
def test_a_pay_app_document_downloads_from_the_api_for_those_who_see_it(world, pay_app, role, fmt):
    # when
    response = api_client(world, role).get(f"/api/v1/pay-apps/{pay_app.pk}/{fmt}/")
    # then
    if role == "anonymous":
        assert response.status_code == 401
        assert response.json()["code"] == "not_authenticated"
    elif role in SEES:
        assert response.status_code == 200
        assert response["Content-Type"] == FORMATS[fmt]
        assert response["Content-Disposition"] == (
            f'attachment; filename="{filename(world, pay_app, fmt)}"'
        )
        opens(fmt, response.content)
    else:
        assert response.status_code == 404
        assert response.json() == {
            "message": "Pay app not found.",
            "code": "not_found",
            "fields": {},
        }


@pytest.mark.parametrize("fmt", FORMATS)
def test_the_api_serves_the_file_whatever_the_client_accepts(world, pay_app, fmt):
    client = api_client(world, "admin")
    response = client.get(f"/api/v1/pay-apps/{pay_app.pk}/{fmt}/", HTTP_ACCEPT=FORMATS[fmt])
    assert response.status_code == 200
    missing = client.get(f"/api/v1/pay-apps/999999/{fmt}/", HTTP_ACCEPT=FORMATS[fmt])
    assert missing.status_code == 404
    assert missing["Content-Type"] == "application/json"


def test_the_api_answers_with_a_token_too(world, pay_app):
    from rest_framework.authtoken.models import Token

    token = Token.objects.create(user=world.contact)
    response = APIClient().get(
        f"/api/v1/pay-apps/{pay_app.pk}/pdf/", HTTP_AUTHORIZATION=f"Token {token.key}"
    )
    assert response.status_code == 200
    assert response.content.startswith(b"%PDF-")


@pytest.fixture
def schema(db):
    response = APIClient().get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi")
    return yaml.safe_load(response.content)


@pytest.mark.parametrize("fmt", FORMATS)
def test_the_schema_documents_each_download_as_a_binary_file(schema, fmt):
    operation = schema["paths"][f"/api/v1/pay-apps/{{pay_app_id}}/{fmt}/"]["get"]
    ok = operation["responses"]["200"]
    assert ok["content"] == {
        FORMATS[fmt].split(";")[0]: {"schema": {"type": "string", "format": "binary"}}
    }
    assert "Content-Disposition" in ok["headers"]
    assert set(operation["responses"]) == {"200", "401", "404"}
