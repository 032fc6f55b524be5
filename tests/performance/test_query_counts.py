"""Speed at scale (issue 6): every figure is read in a number of queries that does not grow with
the number of lines, commitments or pay apps.

Each test runs the same request on a small scene and on a large one, through the real HTTP layer
(the API authenticated as the user, the pages logged in), and holds both to the same constant:
the count measured on the small scene (the larger of SQLite's and PostgreSQL's). A query per
line, per commitment or per pay app makes the large scene fail. The scenes are built in
tests/performance/conftest.py.
"""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.test import Client

from sitebill.billing.models import Invite, InvoiceType, PayApp
from sitebill.billing.services.invites import invite_from_token, invites_send
from sitebill.billing.services.pay_apps import pay_app_create, pay_app_submit
from sitebill.core.models import Event
from sitebill.notifications.models import OutboxEmail
from tests import factories
from tests.performance.conftest import (
    bill_every_line,
    commitment_with_lines,
    commitments,
    second_month,
)
from tests.upstream.builders import approve, client_contract, lines_of, progress_billing

D = Decimal

# The counts measured on the small scenes; SQLite and PostgreSQL agree on every one.
MAX_API_PAY_APP_DETAIL = 4
MAX_PAY_APP_PAGE = {"admin": 11, "contact": 12}
MAX_PAY_APP_REVIEW_PAGE = 11
MAX_API_LINE_PATCH = 12
MAX_PAY_APP_SAVE = 15
MAX_PAY_APP_PREVIEW = 6
MAX_API_SEND_INVITES = 25
MAX_PAGE_SEND_INVITES = 30
MAX_API_CLIENT_PAY_APP_CREATE = 44  # 43, plus the new pay app's stored summary (one UPDATE)
MAX_API_CLIENT_PAY_APP_DETAIL = 9
MAX_API_DOCUMENT = {"pdf": 3, "csv": 2, "xlsx": 2}
MAX_PAGE_DOCUMENT = {"pdf": 5, "csv": 4, "xlsx": 4}
MAX_API_PROJECT_PAY_APPS = 5
MAX_PAY_APP_LIST_PAGE = 11
MAX_API_INVITE_BOARD = 9
MAX_INVITE_BOARD_PAGE = 14
MAX_PROJECT_DASHBOARD_PAGE = 12
MAX_API_PROJECT_DASHBOARD = 9

LINES = pytest.mark.parametrize(
    "lines, change_order_lines", [(3, 1), (60, 5)], ids=["3 lines", "60 lines"]
)
COMMITMENTS = pytest.mark.parametrize("count", [2, 25], ids=["2 commitments", "25 commitments"])


def logged_in(user) -> Client:
    """A browser session of `user`, its first page already served (the session is warm)."""
    client = Client()
    client.force_login(user)
    client.get("/")
    return client


# --------------------------------------------------------------------------------------------
# 1. One pay app over the API


@LINES
def test_the_pay_app_api_answers_in_the_same_number_of_queries_for_3_lines_as_for_60(
    world, api, lines, change_order_lines, django_assert_max_num_queries
):
    # given pay app #2 of a commitment of `lines` lines and a change order
    contract = commitment_with_lines(world, lines, change_order_lines=change_order_lines)
    pay_app = second_month(world, contract)
    client = api(world.admin)
    # when
    with django_assert_max_num_queries(MAX_API_PAY_APP_DETAIL):
        response = client.get(f"/api/v1/pay-apps/{pay_app.pk}/")
    # then
    assert response.status_code == 200
    body = response.json()
    assert len(body["lines"]) == lines + change_order_lines
    assert body["lines"][0]["work_completed_previous"] == "1000.00"
    assert body["g702"]["net_change_by_change_orders"] == f"{1000 * change_order_lines}.00"


# --------------------------------------------------------------------------------------------
# 2. The pay app page and its G703 grid


@LINES
@pytest.mark.parametrize("role", ["admin", "contact"])
def test_the_pay_app_page_costs_the_same_queries_for_3_lines_as_for_60(
    world, role, lines, change_order_lines, django_assert_max_num_queries
):
    # given
    contract = commitment_with_lines(world, lines, change_order_lines=change_order_lines)
    pay_app = second_month(world, contract)
    client = logged_in(world.role(role))
    # when
    with django_assert_max_num_queries(MAX_PAY_APP_PAGE[role]):
        response = client.get(f"/pay-apps/{pay_app.pk}/?edit=1")
    # then
    assert response.status_code == 200
    last = lines_of(pay_app)[-1]
    assert f'name="line-{last.pk}-work_completed_this_period"' in response.content.decode()


@LINES
def test_the_admins_review_grid_costs_the_same_queries_for_3_lines_as_for_60(
    world, lines, change_order_lines, django_assert_max_num_queries
):
    # given pay app #2 submitted: the Admin's page is the review grid
    contract = commitment_with_lines(world, lines, change_order_lines=change_order_lines)
    pay_app = second_month(world, contract)
    pay_app_submit(actor=world.contact, pay_app=pay_app)
    client = logged_in(world.admin)
    # when
    with django_assert_max_num_queries(MAX_PAY_APP_REVIEW_PAGE):
        response = client.get(f"/pay-apps/{pay_app.pk}/")
    # then
    assert response.status_code == 200
    last = lines_of(pay_app)[-1]
    assert f'name="review-{last.pk}-status"' in response.content.decode()


# --------------------------------------------------------------------------------------------
# 3. Editing a line: the API PATCH (G702 in the answer) and the grid's live totals


@LINES
def test_editing_a_line_over_the_api_costs_the_same_queries_for_3_lines_as_for_60(
    world, api, lines, change_order_lines, django_assert_max_num_queries
):
    # given
    contract = commitment_with_lines(world, lines, change_order_lines=change_order_lines)
    pay_app = second_month(world, contract)
    line = lines_of(pay_app)[0]
    client = api(world.contact)
    # when
    with django_assert_max_num_queries(MAX_API_LINE_PATCH):
        response = client.patch(
            f"/api/v1/pay-apps/{pay_app.pk}/lines/{line.pk}/",
            {"work_completed_this_period": "600.00", "version": pay_app.version},
            format="json",
        )
    # then
    assert response.status_code == 200, response.json()
    assert response.json()["version"] == pay_app.version + 1
    assert response.json()["lines"][0]["work_completed_this_period"] == "600.00"
    assert D(response.json()["g702"]["total_completed_and_stored_to_date"]) == D(
        1500 * (lines + change_order_lines) + 100
    )


@LINES
def test_the_live_totals_of_the_grid_cost_the_same_queries_for_3_lines_as_for_60(
    world, lines, change_order_lines, django_assert_max_num_queries
):
    # given the whole grid as the browser posts it, every line changed
    contract = commitment_with_lines(world, lines, change_order_lines=change_order_lines)
    pay_app = second_month(world, contract)
    grid = {f"line-{line.pk}-work_completed_this_period": "600" for line in lines_of(pay_app)}
    client = logged_in(world.contact)
    # when
    with django_assert_max_num_queries(MAX_PAY_APP_PREVIEW):
        response = client.post(
            f"/pay-apps/{pay_app.pk}/preview/",
            {"version": str(pay_app.version), **grid},
            HTTP_HX_REQUEST="true",
        )
    # then nothing is saved, and the totals are the posted grid's
    assert response.status_code == 200
    assert "$600.00" in response.content.decode()
    assert PayApp.objects.get(pk=pay_app.pk).version == pay_app.version


@LINES
def test_saving_the_whole_grid_costs_the_same_queries_for_3_lines_as_for_60(
    world, lines, change_order_lines, django_assert_max_num_queries
):
    # given every line of the grid changed
    contract = commitment_with_lines(world, lines, change_order_lines=change_order_lines)
    pay_app = second_month(world, contract)
    grid = {f"line-{line.pk}-work_completed_this_period": "600" for line in lines_of(pay_app)}
    client = logged_in(world.contact)
    # when
    with django_assert_max_num_queries(MAX_PAY_APP_SAVE):
        response = client.post(
            f"/pay-apps/{pay_app.pk}/", {"version": str(pay_app.version), **grid}
        )
    # then
    assert response.status_code == 302
    assert all(line.work_completed_this_period == D("600.00") for line in lines_of(pay_app))


# --------------------------------------------------------------------------------------------
# 4. Send Invites to many commitments in one request


@COMMITMENTS
def test_sending_invites_over_the_api_costs_the_same_queries_for_2_commitments_as_for_25(
    world, api, count, django_assert_max_num_queries
):
    # given
    chosen = commitments(world, count)
    client = api(world.admin)
    # when
    with django_assert_max_num_queries(MAX_API_SEND_INVITES):
        response = client.post(
            f"/api/v1/billing-periods/{world.period.pk}/send-invites/",
            {"commitments": [c.pk for c in chosen], "invoice_type": "work_and_materials"},
            format="json",
        )
    # then
    assert response.status_code == 200, response.json()
    assert len(response.json()["invited"]) == count
    assert Invite.objects.filter(billing_period=world.period).count() == count
    assert Event.objects.filter(action="invite_sent").count() == count
    # and each contact got one message, naming its own commitment and linking to its own invite
    for commitment in chosen:
        message = OutboxEmail.objects.get(to=commitment.contacts.get().email)
        assert f"Commitment:     {commitment.number} " in message.body
        token = re.search(r"/invites/accept/([^/]+)/", message.body)[1]
        assert invite_from_token(token, "accept").contract == commitment


@COMMITMENTS
def test_sending_invites_from_progress_billings_costs_the_same_queries_for_2_as_for_25(
    world, count, django_assert_max_num_queries
):
    # given
    chosen = commitments(world, count)
    client = logged_in(world.admin)
    # when
    with django_assert_max_num_queries(MAX_PAGE_SEND_INVITES):
        response = client.post(
            f"/projects/{world.project.pk}/progress-billings/send-invites/",
            {
                "period": world.period.pk,
                "commitments": [c.pk for c in chosen],
                "invoice_type": InvoiceType.WORK_AND_MATERIALS,
            },
            HTTP_HX_REQUEST="true",
        )
    # then
    assert response.status_code == 200
    assert f"{count} invites sent." in response.content.decode()
    assert Invite.objects.filter(billing_period=world.period).count() == count


# --------------------------------------------------------------------------------------------
# 5. A client pay app prefilled from many approved progress billings


@pytest.mark.parametrize("count", [2, 20], ids=["2 progress billings", "20 progress billings"])
def test_a_prefilled_client_pay_app_costs_the_same_queries_for_2_sources_as_for_20(
    world, api, count, django_assert_max_num_queries
):
    # given `count` approved progress billings, each billing concrete and electrical work
    contract = client_contract(world)
    for commitment in commitments(world, count):
        progress_billing(
            world, commitment, {"03-300": ("1000.00", "0.00"), "26-100": ("500.00", "0.00")}
        )
    client = api(world.admin)
    # when
    with django_assert_max_num_queries(MAX_API_CLIENT_PAY_APP_CREATE):
        response = client.post(
            f"/api/v1/client-contracts/{contract.pk}/pay-apps/",
            {"billing_period": world.period.pk, "prefill": True, "include_retainage": False},
            format="json",
        )
    # then
    assert response.status_code == 201, response.json()
    body = response.json()
    assert len(body["sources"]) == count
    assert body["lines"][0]["work_completed_this_period"] == f"{1000 * count}.00"
    # and reading it back is as cheap
    with django_assert_max_num_queries(MAX_API_CLIENT_PAY_APP_DETAIL):
        again = client.get(f"/api/v1/client-pay-apps/{body['id']}/")
    assert again.json()["sources"] == body["sources"]


# --------------------------------------------------------------------------------------------
# 6. The documents of a pay app


@LINES
@pytest.mark.parametrize("fmt", ["pdf", "csv", "xlsx"])
def test_a_pay_app_document_costs_the_same_queries_for_3_lines_as_for_60(
    world, api, fmt, lines, change_order_lines, django_assert_max_num_queries
):
    # given
    contract = commitment_with_lines(world, lines, change_order_lines=change_order_lines)
    pay_app = second_month(world, contract)
    client = api(world.admin)
    # when
    with django_assert_max_num_queries(MAX_API_DOCUMENT[fmt]):
        response = client.get(f"/api/v1/pay-apps/{pay_app.pk}/{fmt}/")
    # then
    assert response.status_code == 200
    assert len(b"".join(response)) > 0


@LINES
@pytest.mark.parametrize("fmt", ["pdf", "csv", "xlsx"])
def test_a_pay_app_download_from_its_page_costs_the_same_queries_for_3_lines_as_for_60(
    world, fmt, lines, change_order_lines, django_assert_max_num_queries
):
    # given
    contract = commitment_with_lines(world, lines, change_order_lines=change_order_lines)
    pay_app = second_month(world, contract)
    client = logged_in(world.contact)
    # when
    with django_assert_max_num_queries(MAX_PAGE_DOCUMENT[fmt]):
        response = client.get(f"/pay-apps/{pay_app.pk}/{fmt}/")
    # then
    assert response.status_code == 200
    assert len(b"".join(response)) > 0


# --------------------------------------------------------------------------------------------
# 7. The project's pay app list


def many_pay_apps(world, count: int) -> None:
    """`count` pay apps on as many commitments, every other one billed and approved."""
    for n, commitment in enumerate(commitments(world, count)):
        pay_app = pay_app_create(
            actor=world.admin, contract=commitment, billing_period=world.period
        )
        if n % 2:
            approve(world, bill_every_line(world, pay_app, "2500.00"))


PAY_APPS = pytest.mark.parametrize("count", [5, 120], ids=["5 pay apps", "120 pay apps"])


@PAY_APPS
def test_the_project_pay_app_list_api_costs_the_same_queries_for_5_pay_apps_as_for_120(
    world, api, count, django_assert_max_num_queries
):
    # given
    many_pay_apps(world, count)
    client = api(world.admin)
    # when
    with django_assert_max_num_queries(MAX_API_PROJECT_PAY_APPS):
        response = client.get(f"/api/v1/projects/{world.project.pk}/pay-apps/?page_size=100")
    # then
    assert response.status_code == 200
    assert response.json()["count"] == count
    assert len(response.json()["results"]) == min(count, 100)


@PAY_APPS
def test_the_pay_app_list_page_costs_the_same_queries_for_5_pay_apps_as_for_120(
    world, count, django_assert_max_num_queries
):
    # given
    many_pay_apps(world, count)
    client = logged_in(world.admin)
    # when
    with django_assert_max_num_queries(MAX_PAY_APP_LIST_PAGE):
        response = client.get(f"/projects/{world.project.pk}/pay-apps/")
    # then
    assert response.status_code == 200
    assert f"SC-{200 + min(count, 100) - 1}" in response.content.decode()


# --------------------------------------------------------------------------------------------
# 8. The invite board and the project dashboard


def busy_period(world, count: int) -> list:
    """`count` commitments in every state of the period: a third billed and approved, a third
    invited, a third not invited yet; each with an approved change order."""
    made = commitments(world, count)
    for n, commitment in enumerate(made):
        change_order = factories.ChangeOrderFactory(contract=commitment)
        factories.ChangeOrderLineFactory(change_order=change_order)
        if n % 3 == 0:
            pay_app = pay_app_create(
                actor=world.admin, contract=commitment, billing_period=world.period
            )
            approve(world, bill_every_line(world, pay_app, "4000.00"))
        elif n % 3 == 1:
            invites_send(actor=world.admin, period=world.period, contracts=[commitment])
    return made


@COMMITMENTS
def test_the_invite_board_api_costs_the_same_queries_for_2_commitments_as_for_25(
    world, api, count, django_assert_max_num_queries
):
    # given
    busy_period(world, count)
    client = api(world.admin)
    # when
    with django_assert_max_num_queries(MAX_API_INVITE_BOARD):
        response = client.get(f"/api/v1/billing-periods/{world.period.pk}/invites/")
    # then
    assert response.status_code == 200
    assert len(response.json()["results"]) == count + 2


@COMMITMENTS
def test_the_progress_billings_page_costs_the_same_queries_for_2_commitments_as_for_25(
    world, count, django_assert_max_num_queries
):
    # given
    busy_period(world, count)
    client = logged_in(world.admin)
    # when
    with django_assert_max_num_queries(MAX_INVITE_BOARD_PAGE):
        response = client.get(f"/projects/{world.project.pk}/progress-billings/")
    # then
    assert response.status_code == 200
    assert f"SC-{200 + count - 1}" in response.content.decode()


@COMMITMENTS
def test_the_project_dashboard_costs_the_same_queries_for_2_commitments_as_for_25(
    world, count, django_assert_max_num_queries
):
    # given
    busy_period(world, count)
    client = logged_in(world.read_only)
    # when
    with django_assert_max_num_queries(MAX_PROJECT_DASHBOARD_PAGE):
        response = client.get(f"/projects/{world.project.pk}/dashboard/")
    # then
    assert response.status_code == 200
    assert f"SC-{200 + count - 1}" in response.content.decode()


@COMMITMENTS
def test_the_project_dashboard_api_costs_the_same_queries_for_2_commitments_as_for_25(
    world, api, count, django_assert_max_num_queries
):
    # given
    busy_period(world, count)
    client = api(world.read_only)
    # when
    with django_assert_max_num_queries(MAX_API_PROJECT_DASHBOARD):
        response = client.get(f"/api/v1/projects/{world.project.pk}/dashboard/")
    # then
    assert response.status_code == 200
