"""SOV import over the API: preview, all-or-nothing apply, errors naming row and column."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from sitebill.contracts.models import SOVLine
from tests import factories

GOOD = (
    b'Item,Description,Cost Code,Scheduled Value\n10,Rebar,03-210,"1,250.00"\n11,Forms,03-200,800\n'
)
BAD = b"Item,Description,Cost Code,Scheduled Value\n10,Rebar,03-210,12x\n11,Forms,03-200,800\n"


def post(user, contract, content, name="sov.csv", preview=False):
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    url = f"/api/v1/commitments/{contract.pk}/sov-import/" + ("?preview=true" if preview else "")
    return client.post(url, {"file": SimpleUploadedFile(name, content)}, format="multipart")


@pytest.fixture
def empty_commitment(world):
    return factories.ContractFactory(
        project=world.project, number="SC-050", counterparty=world.vendor
    )


def test_a_preview_lists_the_rows_and_saves_nothing(world, empty_commitment):
    response = post(world.admin, empty_commitment, GOOD, preview=True)
    assert response.status_code == 200
    assert response.json()["total"] == "2050.00"
    assert [r["scheduled_value"] for r in response.json()["rows"]] == ["1250.00", "800.00"]
    assert SOVLine.objects.filter(contract=empty_commitment).count() == 0


def test_an_import_adds_every_row(world, empty_commitment):
    response = post(world.admin, empty_commitment, GOOD)
    assert response.status_code == 201
    assert list(
        SOVLine.objects.filter(contract=empty_commitment).values_list(
            "item_number", "scheduled_value"
        )
    ) == [("10", Decimal("1250.00")), ("11", Decimal("800.00"))]


def test_one_bad_row_names_row_and_column_and_nothing_is_imported(world, empty_commitment):
    response = post(world.admin, empty_commitment, BAD)
    assert response.status_code == 400
    body = response.json()
    assert (
        body["message"] == "The file has 1 error; nothing was imported."
        or "nothing was imported" in body["message"]
    )
    assert any(m.startswith("Row 2, column scheduled_value") for m in body["fields"]["file"])
    assert SOVLine.objects.filter(contract=empty_commitment).count() == 0


def test_a_file_that_is_not_a_spreadsheet_is_refused(world, empty_commitment):
    response = post(world.admin, empty_commitment, b"\x89PNG\r\n\x1a\n\x00\x00", name="sov.xlsx")
    assert response.status_code == 400
    assert "The file is not a CSV or XLSX spreadsheet." in str(response.json())
    assert SOVLine.objects.filter(contract=empty_commitment).count() == 0


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("standard", 403),
        ("read_only", 403),
        ("contact", 404),
        ("other_contact", 404),
        ("stranger", 404),
        ("anonymous", 401),
    ],
)
def test_only_an_admin_imports(world, empty_commitment, role, expected):
    response = post(world.role(role), empty_commitment, GOOD)
    assert response.status_code == expected
    assert SOVLine.objects.filter(contract=empty_commitment).count() == 0
