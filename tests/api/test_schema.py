"""The OpenAPI document: valid, warning-free, and saying what API.md says about amounts."""

from __future__ import annotations

import pytest
import yaml
from django.core.management import call_command
from rest_framework.test import APIClient

from sitebill.api.fields import MONEY_PATTERN, PERCENT_PATTERN


@pytest.fixture
def schema(db):
    response = APIClient().get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi")
    assert response.status_code == 200
    return yaml.safe_load(response.content)


def test_the_schema_is_a_valid_openapi_3_document_without_warnings(db, tmp_path):
    # when: drf-spectacular validates against the OpenAPI 3 JSON schema and fails on any warning
    call_command(
        "spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yaml")
    )
    # then
    document = yaml.safe_load((tmp_path / "schema.yaml").read_text())
    assert document["openapi"].startswith("3.")
    assert document["info"]["title"] == "sitebill API"


def test_the_schema_is_served_to_anyone(schema):
    assert schema["openapi"].startswith("3.")
    assert "/api/v1/projects/{project_id}/commitments/" in schema["paths"]


def test_the_browsable_docs_are_served(db):
    response = APIClient().get("/api/docs/")
    assert response.status_code == 200
    assert b"swagger" in response.content.lower()


def test_amounts_and_percentages_are_documented_as_decimal_strings(schema):
    schemas = schema["components"]["schemas"]
    assert schemas["SOVLineRequest"]["properties"]["scheduled_value"] | {"description": None} == {
        "type": "string",
        "format": "decimal",
        "pattern": MONEY_PATTERN,
        "example": "1250.00",
        "description": None,
    }
    assert schemas["ChangeOrderLine"]["properties"]["amount"]["pattern"] == MONEY_PATTERN
    assert schemas["Commitment"]["properties"]["contract_value"]["format"] == "decimal"
    rate = schemas["CommitmentRequest"]["properties"]["retainage_work_percent"]
    assert (rate["type"], rate["format"], rate["pattern"]) == ("string", "decimal", PERCENT_PATTERN)


def test_every_error_answer_has_the_error_body(schema):
    # given
    error_ref = {"$ref": "#/components/schemas/Error"}
    assert set(schema["components"]["schemas"]["Error"]["properties"]) == {
        "message",
        "code",
        "fields",
    }
    # then
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            for status, answer in operation["responses"].items():
                if status.startswith("4"):
                    body = answer["content"]["application/json"]["schema"]
                    assert body == error_ref, (method, path, status)


@pytest.mark.parametrize(
    ("path", "method", "statuses"),
    [
        ("/api/v1/auth/token/", "post", {"200", "400", "429"}),
        ("/api/v1/companies/", "post", {"201", "400", "401", "403"}),
        ("/api/v1/projects/{project_id}/", "get", {"200", "401", "404"}),
        ("/api/v1/projects/{project_id}/commitments/", "post", {"201", "400", "401", "403", "404"}),
        ("/api/v1/commitments/{commitment_id}/", "get", {"200", "401", "404"}),
        (
            "/api/v1/change-orders/{change_order_id}/status/",
            "post",
            {"200", "400", "401", "403", "404", "409"},
        ),
        (
            "/api/v1/projects/{project_id}/billing-periods/",
            "post",
            {"201", "400", "401", "403", "404"},
        ),
    ],
)
def test_the_answers_of_each_operation_are_documented(schema, path, method, statuses):
    assert set(schema["paths"][path][method]["responses"]) == statuses


def test_lists_are_documented_as_pages(schema):
    page = schema["components"]["schemas"]["PaginatedCommitmentList"]
    assert set(page["properties"]) == {"count", "next", "previous", "results"}
    listing = schema["paths"]["/api/v1/projects/{project_id}/commitments/"]["get"]
    assert listing["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/PaginatedCommitmentList"
    }


def test_a_browser_opening_an_endpoint_gets_json(world, api):
    # given: what a browser sends
    accept = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
    # when
    response = api(world.admin).get(
        f"/api/v1/commitments/{world.commitment.pk}/", HTTP_ACCEPT=accept
    )
    # then
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json()["number"] == "SC-001"


def test_a_url_no_view_answers_gets_the_json_error_under_api(client, db):
    response = client.get("/api/v1/pay-apps/-5/")
    assert response.status_code == 404
    assert response.json() == {"message": "Not found.", "code": "not_found", "fields": {}}


def test_a_page_that_does_not_exist_is_a_400_naming_page(world):
    from rest_framework.test import APIClient

    api = APIClient()
    api.force_authenticate(world.admin)
    response = api.get("/api/v1/projects/?page=0")
    assert response.status_code == 400
    assert response.json()["fields"] == {"page": ["Give a page number from 1 to the last page."]}


def test_options_is_not_offered(world):
    from rest_framework.test import APIClient

    api = APIClient()
    api.force_authenticate(world.admin)
    assert api.options("/api/v1/projects/").status_code == 405
