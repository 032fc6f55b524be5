"""The pay app over the API, made fast (issue 6): the same answer, field by field.

The G703 rows and the G702 of `GET /api/v1/pay-apps/{id}/` (and of the client pay app, and of
every write that answers the pay app) are built as plain dicts with precomputed formatters
instead of DRF's field-by-field serializers. These tests hold the new path to the answer the
old serializers gave (saved, ids named, in test_pay_app_api_speed.golden.json) on a pay app with
everything a row can show: change-order lines (carried and new, added and deducted), stored
materials, retainage released this period and before, a sliding-scale retainage rule, a rate
with 4 places, an overbilled line with its warning, a rejected line with its reason, unit-priced
lines, a payment and an MC/Client pay app prefilled from progress billings.

The one-line PATCH answers what a client needs after an edit: the new `version`, the new G702,
the warnings and the edited line (every line on a sliding scale, where the amount held is spread
over all of them), not the 2,000 other lines. Its golden ("after PATCH") is the old answer, the
whole pay app: the new answer is held to its parts.

The golden file was written by the serializers before they were made fast. Rewrite it
(SITEBILL_WRITE_GOLDEN=1) only when an answer is meant to change, and read the diff.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from rest_framework import serializers

from sitebill.accounts.models import Company, User
from sitebill.api.fields import _format_rate, money_text, money_texts, rate_text, rate_texts
from sitebill.api.serializers import billing as billing_serializers
from sitebill.api.serializers.billing import G702Output, PayAppLineOutput, g703_rows
from sitebill.api.views import billing as billing_views
from sitebill.billing.models import PayApp, PayAppLine
from sitebill.billing.selectors import StoredLine, figures_for_lines
from sitebill.billing.services import pay_apps as pay_app_services
from sitebill.billing.services.pay_apps import (
    LineChange,
    LineReview,
    pay_app_create,
    pay_app_lines_update,
    pay_app_review,
    pay_app_submit,
)
from sitebill.billing.services.payments import payment_record
from sitebill.contracts.models import Contract
from sitebill.contracts.services import change_order_create, contract_create
from sitebill.core.money import quantize
from sitebill.upstream.services import client_pay_app_create
from tests import factories
from tests.upstream.builders import approve, lines_of, next_period, refreshed, scene

D = Decimal
S = PayApp.Status
GOLDEN = Path(__file__).with_suffix(".golden.json")
WRITE_GOLDEN = os.environ.get("SITEBILL_WRITE_GOLDEN") == "1"
BILLING_DATE = dt.date(2026, 11, 30)

SLIDING_SCALE = [
    {"rate": "10.00", "until": "percent_complete", "limit": "50.00"},
    {"rate": "5.00", "until": "percent_complete", "limit": "100.00"},
]
SOV = [
    ("1", "Mobilization", "01-500", "12000.00"),
    ("2", "Footings", "03-300", "48500.55"),
    ("3", "Slab on grade", "03-350", "30000.00"),
    ("4", "Rebar supply", "03-200", "25333.33"),
    ("5", "Finishes", "03-400", "9999.99"),
    ("6", "Cleanup", "01-700", "1000.00"),
]


# --- The scene -----------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _same_names_in_any_order() -> None:
    """The factories' sequences from 0, so that names like "User 3" or "Work item 2" are the
    same whichever tests ran before (the world fixture is built after this)."""
    for factory_class in vars(factories).values():
        if isinstance(factory_class, type) and hasattr(factory_class, "reset_sequence"):
            factory_class.reset_sequence(0, force=True)


def _line(pay_app: PayApp, item_number: str) -> PayAppLine:
    return next(line for line in lines_of(pay_app) if line.item_number == item_number)


def _edit(world: Any, pay_app: PayApp, edits: dict[str, dict[str, str]], actor: Any = None) -> None:
    pay_app = refreshed(pay_app)
    pay_app_lines_update(
        actor=actor or world.admin,
        pay_app=pay_app,
        version=pay_app.version,
        changes=[
            LineChange(
                line_id=_line(pay_app, item).pk, **{key: D(value) for key, value in fields.items()}
            )
            for item, fields in edits.items()
        ],
    )


def sliding_scale_pay_app(world: Any) -> tuple[PayApp, PayApp]:
    """SC-900, on a sliding scale (10% to 50% complete, then 5%), and its pay apps:

    #1 (period 1): billed with stored materials, a change order of an addition and a deduction,
    approved, partly paid. #2 (period 2, created by the Admin for the contact): a new change
    order, work and stored materials, a release on two lines, a rate of 7.125%, an overbilled
    line (the project warns), then returned with line 3 rejected: Revise & Resubmit.
    """
    contract = contract_create(
        actor=world.admin,
        project=world.project,
        kind="subcontract",
        number="SC-900",
        title="Structural concrete",
        counterparty=world.vendor,
        status=Contract.Status.APPROVED,
        retainage_work_percent="10",
        retainage_stored_percent="5",
        retainage_rules=SLIDING_SCALE,
        lines=[
            {"item_number": n, "description": d, "cost_code": c, "scheduled_value": v}
            for n, d, c, v in SOV
        ],
    )
    contract.contacts.add(world.contact)
    change_order_create(
        actor=world.admin,
        contract=contract,
        number="001",
        title="Extra footings, less cleanup",
        status="approved",
        lines=[
            {"item_number": "CO1-1", "description": "Extra footings", "amount": "4200.00"},
            {"item_number": "CO1-2", "description": "Less cleanup", "amount": "-300.00"},
        ],
    )
    first = pay_app_create(
        actor=world.admin,
        contract=contract,
        billing_period=world.period,
        on_behalf_of=world.contact,
        billing_date=BILLING_DATE,
        invoice_number="INV-1",
    )
    _edit(
        world,
        first,
        {
            "1": {"work_completed_this_period": "12000.00"},
            "2": {
                "work_completed_this_period": "20000.00",
                "materials_presently_stored": "5000.00",
            },
            "3": {"work_completed_this_period": "7333.33"},
            "4": {"materials_presently_stored": "10000.00"},
            "CO1-1": {"work_completed_this_period": "2100.00"},
        },
    )
    first = approve(world, first)
    payment_record(
        actor=world.admin,
        pay_app=first,
        date=dt.date(2026, 12, 5),
        amount="10000.00",
        method="check",
        reference="CHK-881",
    )
    period = next_period(world)
    change_order_create(
        actor=world.admin,
        contract=contract,
        number="002",
        title="Added ramp",
        status="approved",
        lines=[{"item_number": "CO2-1", "description": "Ramp", "amount": "3500.50"}],
    )
    second = pay_app_create(
        actor=world.admin,
        contract=contract,
        billing_period=period,
        on_behalf_of=world.contact,
        billing_date=dt.date(2026, 12, 31),
        invoice_number="INV-2",
    )
    _edit(
        world,
        second,
        {
            "2": {"work_completed_this_period": "15000.00", "materials_presently_stored": "0.00"},
            "3": {"percent_complete": "66.6667"},
            "4": {"work_completed_this_period": "9000.00", "materials_presently_stored": "1000.00"},
            "5": {"work_completed_this_period": "10500.00"},
            "CO1-2": {"work_completed_this_period": "-150.00"},
            "CO2-1": {"work_completed_this_period": "1750.25"},
        },
    )
    _edit(
        world,
        second,
        {
            "1": {"retainage_released_this_period": "300.00"},
            "2": {"retainage_work_percent": "7.125", "retainage_released_this_period": "125.50"},
        },
    )
    pay_app_submit(actor=world.contact, pay_app=refreshed(second))
    second = refreshed(second)
    pay_app_review(
        actor=world.admin,
        pay_app=second,
        version=second.version,
        status=S.REVISE_AND_RESUBMIT,
        comment="Line 3 is ahead of the site.",
        lines=_reviews(second),
    )
    return refreshed(first), refreshed(second)


def _reviews(pay_app: PayApp) -> list[LineReview]:
    return [
        LineReview(line_id=_line(pay_app, "1").pk, status="approved", reason=""),
        LineReview(line_id=_line(pay_app, "3").pk, status="rejected", reason="Only 60% poured."),
    ]


def unit_priced_pay_app(world: Any) -> PayApp:
    """SC-901, unit-based: quantities and unit prices with 4 places."""
    contract = contract_create(
        actor=world.admin,
        project=world.project,
        kind="subcontract",
        number="SC-901",
        title="Piles",
        counterparty=world.vendor,
        status=Contract.Status.APPROVED,
        retainage_work_percent="10",
        retainage_stored_percent="10",
        accounting_method=Contract.AccountingMethod.UNIT,
        lines=[
            {
                "item_number": "1",
                "description": "Piles",
                "quantity": "120",
                "unit": "ea",
                "unit_price": "812.3456",
            },
            {
                "item_number": "2",
                "description": "Caps",
                "quantity": "40.5",
                "unit": "cy",
                "unit_price": "150",
            },
        ],
    )
    pay_app = pay_app_create(
        actor=world.admin, contract=contract, billing_period=world.period, billing_date=BILLING_DATE
    )
    _edit(world, pay_app, {"1": {"quantity_this_period": "12.5"}})
    return refreshed(pay_app)


def client_pay_app(world: Any) -> PayApp:
    """The MC/Client pay app of tests/upstream/builders.scene, prefilled with retainage."""
    parts = scene(world)
    return client_pay_app_create(
        actor=world.admin,
        contract=parts["contract"],
        billing_period=world.period,
        prefill=True,
        include_retainage=True,
        billing_date=BILLING_DATE,
    )


# --- Naming the ids (they differ from run to run and between databases) -------------------------


def _labels() -> dict[str, dict[int, str]]:
    pay_apps = {p.pk: f"{p.contract.number}#{p.number}" for p in PayApp.objects.select_related()}
    return {
        "pay_app": pay_apps,
        "line": {
            line.pk: f"{pay_apps[line.pay_app_id]}/{line.item_number}"
            for line in PayAppLine.objects.all()
        },
        "contract": dict(Contract.objects.values_list("pk", "number")),
        "company": dict(Company.objects.values_list("pk", "name")),
        "user": dict(User.objects.values_list("pk", "email")),
        "period": {p.pk: f"period {p.number}" for p in _periods()},
    }


def _periods() -> list[Any]:
    from sitebill.billing.models import BillingPeriod

    return list(BillingPeriod.objects.all())


# The table each id-carrying key names, by where it sits.
TOP_IDS = {
    "id": "pay_app",
    "commitment": "contract",
    "client_contract": "contract",
    "billing_period": "period",
    "vendor": "company",
    "client": "company",
}
PERSON_IDS = {"id": "user"}
LINE_IDS = {"id": "line"}
SOURCE_IDS = {"pay_app": "pay_app", "commitment": "contract", "vendor": "company", "line": "line"}


def named(body: dict[str, Any]) -> dict[str, Any]:
    """`body` with every id replaced by what it names, and the submission time by a mark."""
    labels = _labels()

    def name(row: dict[str, Any], keys: dict[str, str]) -> dict[str, Any]:
        out = dict(row)
        for key, table in keys.items():
            if out.get(key) is not None:
                out[key] = labels[table][out[key]]
        return out

    out = name(body, TOP_IDS)
    if out.get("submitted_at"):
        out["submitted_at"] = "<submitted>"
    for person in ("created_by", "on_behalf_of"):
        if out.get(person):
            out[person] = name(out[person], PERSON_IDS)
    if "lines" in out:
        out["lines"] = [name(row, LINE_IDS) for row in out["lines"]]
    if "line" in out:
        out["line"] = name(out["line"], LINE_IDS)
    if "sources" in out:
        out["sources"] = [name(row, SOURCE_IDS) for row in out["sources"]]
    if "unmatched" in out:
        out["unmatched"] = [name(row, SOURCE_IDS) for row in out["unmatched"]]
    if "line_sources" in out:
        out["line_sources"] = [
            {
                **name(row, {"line": "line"}),
                "sources": [name(source, SOURCE_IDS) for source in row["sources"]],
            }
            for row in out["line_sources"]
        ]
    return out


def _golden(name: str, body: dict[str, Any]) -> dict[str, Any]:
    """The saved answer `name`; with SITEBILL_WRITE_GOLDEN=1, `body` is saved as it."""
    saved = json.loads(GOLDEN.read_text()) if GOLDEN.exists() else {}
    if WRITE_GOLDEN:
        saved[name] = body
        GOLDEN.write_text(json.dumps(saved, indent=1) + "\n")
    expected: dict[str, Any] = saved[name]
    return expected


def _saved(name: str) -> dict[str, Any]:
    """A saved answer, only read (an answer of the old shape the new one is held to)."""
    saved: dict[str, Any] = json.loads(GOLDEN.read_text())[name]
    return saved


# --- The answers, field by field -----------------------------------------------------------------


def test_the_pay_app_answer_is_the_old_serializers_answer_field_by_field(world, api):
    # given pay app #2 on a sliding scale, with change orders, stored materials, releases
    _first, second = sliding_scale_pay_app(world)
    # when
    response = api(world.admin).get(f"/api/v1/pay-apps/{second.pk}/")
    # then
    assert response.status_code == 200
    body = named(response.json())
    expected = _golden("SC-900#2", body)
    assert list(body) == list(expected)
    assert [list(row) for row in body["lines"]] == [list(row) for row in expected["lines"]]
    assert body == expected
    assert body["warnings"] == expected["warnings"] != []


def test_an_approved_and_partly_paid_pay_app_is_answered_as_before(world, api):
    # given pay app #1, approved, 10,000.00 of it paid
    first, _second = sliding_scale_pay_app(world)
    # when
    response = api(world.contact).get(f"/api/v1/pay-apps/{first.pk}/")
    # then
    assert response.status_code == 200
    body = named(response.json())
    assert body == _golden("SC-900#1", body)
    assert body["payment_status"] == "partially_paid"


def test_a_unit_priced_pay_app_is_answered_as_before(world, api):
    # given
    pay_app = unit_priced_pay_app(world)
    # when
    response = api(world.admin).get(f"/api/v1/pay-apps/{pay_app.pk}/")
    # then
    assert response.status_code == 200
    body = named(response.json())
    assert body == _golden("SC-901#1", body)
    assert body["lines"][0]["unit_price"] == "812.3456"


def test_the_client_pay_app_is_answered_as_before(world, api):
    # given
    pay_app = client_pay_app(world)
    # when
    response = api(world.admin).get(f"/api/v1/client-pay-apps/{pay_app.pk}/")
    # then
    assert response.status_code == 200
    body = named(response.json())
    expected = _golden("CC-001#1", body)
    assert body == expected
    for part in ("sources", "line_sources", "unmatched"):
        assert [list(row) for row in body[part]] == [list(row) for row in expected[part]]
    assert [list(row) for row in body["line_sources"][0]["sources"]] == [
        list(row) for row in expected["line_sources"][0]["sources"]
    ]


def test_the_project_pay_app_list_is_answered_as_before(world, api):
    # given
    unit_priced_pay_app(world)
    sliding_scale_pay_app(world)
    # when
    response = api(world.admin).get(f"/api/v1/projects/{world.project.pk}/pay-apps/")
    # then
    assert response.status_code == 200
    body = response.json()
    rows = [named(row) for row in body["results"]]
    assert rows == _golden("project list", {"results": rows})["results"]


# --- The answers of the writes ------------------------------------------------------------------


def test_a_line_edit_on_a_sliding_scale_answers_the_version_the_g702_and_every_line(world, api):
    # given pay app #2 on a sliding scale
    _first, second = sliding_scale_pay_app(world)
    line = _line(second, "6")
    # when the contact enters work and stored materials on line 6
    response = api(world.contact).patch(
        f"/api/v1/pay-apps/{second.pk}/lines/{line.pk}/",
        {
            "version": second.version,
            "work_completed_this_period": "250.00",
            "materials_presently_stored": "80.00",
        },
        format="json",
    )
    # then the answer is the old answer's version, G702, warnings and rows: every row, since
    # the amount held is spread over all the lines
    assert response.status_code == 200
    body = named(response.json())
    before = _saved("SC-900#2 after PATCH")
    assert list(body) == ["id", "version", "g702", "lines", "warnings"]
    assert body == {key: before[key] for key in body}
    assert body["version"] == second.version + 1
    # and it is what a read of the pay app now shows
    now = named(api(world.contact).get(f"/api/v1/pay-apps/{second.pk}/").json())
    assert body == {key: now[key] for key in body}


def test_a_line_edit_at_flat_rates_answers_only_the_edited_line(world, api):
    # given a unit-priced pay app at flat rates
    pay_app = unit_priced_pay_app(world)
    line = _line(pay_app, "2")
    # when
    response = api(world.admin).patch(
        f"/api/v1/pay-apps/{pay_app.pk}/lines/{line.pk}/",
        {"version": pay_app.version, "quantity_this_period": "10.25"},
        format="json",
    )
    # then
    assert response.status_code == 200
    body = named(response.json())
    now = named(api(world.admin).get(f"/api/v1/pay-apps/{pay_app.pk}/").json())
    assert body == {
        "id": "SC-901#1",
        "version": pay_app.version + 1,
        "g702": now["g702"],
        "lines": [now["lines"][1]],
        "warnings": [],
    }
    assert (body["lines"][0]["quantity_this_period"], body["lines"][0]["unit_price"]) == (
        "10.25",
        "150.00",
    )
    assert body["lines"][0]["work_completed_this_period"] == "1537.50"


def test_a_bulk_edit_answers_the_whole_pay_app_as_before(world, api):
    # given
    _first, second = sliding_scale_pay_app(world)
    api(world.contact).patch(
        f"/api/v1/pay-apps/{second.pk}/lines/{_line(second, '6').pk}/",
        {
            "version": second.version,
            "work_completed_this_period": "250.00",
            "materials_presently_stored": "80.00",
        },
        format="json",
    )
    # when
    response = api(world.admin).post(
        f"/api/v1/pay-apps/{second.pk}/lines/",
        {
            "version": second.version + 1,
            "lines": [
                {"id": _line(second, "6").pk, "retainage_stored_percent": "2.5"},
                {"id": _line(second, "CO2-1").pk, "work_completed_this_period": "0.00"},
            ],
        },
        format="json",
    )
    # then
    assert response.status_code == 200
    body = named(response.json())
    assert body == _golden("SC-900#2 after POST lines", body)
    assert body == named(api(world.admin).get(f"/api/v1/pay-apps/{second.pk}/").json())


@pytest.mark.parametrize(
    ("path", "payload"),
    [
        ("retainage/", {"work_percent": "7.5", "stored_percent": "2.25"}),
        ("release-retainage/", {"percent": "10"}),
    ],
    ids=["set every rate", "release"],
)
def test_the_other_line_writes_answer_what_a_read_then_shows(world, api, path, payload):
    # given a pay app at flat rates and (setting rates) one on a sliding scale
    pay_apps = [unit_priced_pay_app(world)]
    if path == "retainage/":
        pay_apps.append(sliding_scale_pay_app(world)[1])
    for pay_app in pay_apps:
        # when
        response = api(world.admin).post(
            f"/api/v1/pay-apps/{pay_app.pk}/{path}",
            {"version": pay_app.version, **payload},
            format="json",
        )
        # then
        assert response.status_code == 200, response.json()
        assert response.json() == api(world.admin).get(f"/api/v1/pay-apps/{pay_app.pk}/").json()


# --- The fast paths against the declarations they stand for ------------------------------------


def test_the_g703_rows_are_what_the_declared_fields_give_one_by_one(world):
    # given the figures of pay app #2, its lines read as columns and as model instances
    _first, second = sliding_scale_pay_app(world)
    figures = billing_views._pay_app_figures(second)
    from_models = figures_for_lines(second, lines_of(second))
    # when
    rows = g703_rows(figures.rows)
    # then each row is DRF's field-by-field answer of PayAppLineOutput, keys in its order
    declared = serializers.Serializer.to_representation
    assert rows == [declared(PayAppLineOutput(), row) for row in from_models.rows]
    assert [list(row) for row in rows] == [list(PayAppLineOutput().fields)] * len(rows)
    assert G702Output().to_representation(figures.g702) == declared(G702Output(), figures.g702)
    assert figures.g702 == from_models.g702
    assert figures.warnings == from_models.warnings


def test_the_line_columns_are_every_stored_column_of_a_pay_app_line():
    assert StoredLine._fields == tuple(field.attname for field in PayAppLine._meta.concrete_fields)


# Any coefficient at any exponent from 10^-12 to 10^12 (plain and scientific notation, trailing
# zeros, negative zeros), amounts and rates as stored, and a few named edge cases.
DECIMALS = st.one_of(
    st.builds(
        lambda coefficient, exponent: Decimal(coefficient).scaleb(exponent),
        st.integers(-(10**30), 10**30),
        st.integers(-12, 12),
    ),
    st.decimals(min_value=-(10**14), max_value=10**14, places=2),
    st.decimals(min_value=-(10**10), max_value=10**10, places=4),
    st.sampled_from(
        [D("-0.00"), D("-0"), D("0E+3"), D("1E+2"), D("1.00E+2"), D("12.3450"), D("1E-7")]
    ),
)


def _reference_money(value: Decimal) -> str:
    return str(quantize(Decimal(value)))


def _reference_rate(value: Decimal) -> str:
    return _format_rate(Decimal(value))


@given(value=DECIMALS)
def test_the_fast_formatters_write_what_the_reference_formatting_writes(value):
    for fast, reference in [(money_text, _reference_money), (rate_text, _reference_rate)]:
        try:
            expected = reference(value)
        except (ValueError, ArithmeticError) as error:
            with pytest.raises(type(error)):
                fast(value)
        else:
            assert fast(value) == expected


@given(values=st.lists(DECIMALS, max_size=12))
def test_a_column_formatted_at_once_is_each_value_formatted_alone(values):
    # each value must be one the formatters take (the column of a G703 always is)
    def formats(value: Decimal) -> bool:
        try:
            money_text(value), rate_text(value)
        except (ValueError, ArithmeticError):
            return False
        return True

    column = [value for value in values if formats(value)]
    column += column[::-1]  # the same values again, negative zeros after zeros and before
    assert money_texts(column) == [money_text(value) for value in column]
    assert rate_texts(column) == [rate_text(value) for value in column]


# --- The figures, once per request ---------------------------------------------------------------


@pytest.fixture
def figures_computed(monkeypatch) -> list[int]:
    """The pay apps whose figures were computed, wherever the request computed them."""
    computed: list[int] = []

    def counting(pay_app: PayApp, lines: Any) -> Any:
        computed.append(pay_app.pk)
        return figures_for_lines(pay_app, lines)

    for module in (billing_views, billing_serializers, pay_app_services):
        monkeypatch.setattr(module, "figures_for_lines", counting)
    return computed


def test_a_read_and_an_edit_compute_the_figures_once(world, api, figures_computed):
    # given
    _first, second = sliding_scale_pay_app(world)
    figures_computed.clear()
    line = _line(second, "6")
    # when
    read = api(world.admin).get(f"/api/v1/pay-apps/{second.pk}/")
    edited = api(world.admin).patch(
        f"/api/v1/pay-apps/{second.pk}/lines/{line.pk}/",
        {"version": second.version, "work_completed_this_period": "10.00"},
        format="json",
    )
    saved = api(world.admin).post(
        f"/api/v1/pay-apps/{second.pk}/lines/",
        {"version": second.version + 1, "lines": [{"id": line.pk, "percent_complete": "5"}]},
        format="json",
    )
    # then
    assert [read.status_code, edited.status_code, saved.status_code] == [200, 200, 200]
    assert figures_computed == [second.pk] * 3
