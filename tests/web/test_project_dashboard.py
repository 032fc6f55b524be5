"""The project dashboard page and its downloads: figures, chart, who may open them, queries."""

from __future__ import annotations

import csv
import io
import xml.etree.ElementTree as ET
from decimal import Decimal

import pytest
from pytest_django.asserts import assertContains, assertNotContains, assertRedirects

from tests import factories
from tests.erp.builders import approved_pay_app
from tests.reports.scene import build

D = Decimal
NS = "{http://www.w3.org/2000/svg}"
PAGES = ["dashboard/", "dashboard.csv", "dashboard.xlsx", "dashboard.svg"]


def url(world, page: str = "dashboard/") -> str:
    return f"/projects/{world.project.pk}/{page}"


def test_the_page_shows_each_contracts_figures_and_the_totals(login, world):
    # given
    scene = build(world)
    # when
    response = login("read_only").get(url(world))
    # then
    assert response.status_code == 200
    assertContains(
        response,
        f"""
        <tr>
          <th scope="row" class="dashboard-table__contract">
            <a href="/commitments/{world.other_commitment.pk}/">SC-002</a> Electrical
            <span class="dashboard-table__party">Bolt Electric</span>
          </th>
          <td class="num">$40,000.00</td>
          <td class="num">$5,000.00</td>
          <td class="nowrap"><a href="/pay-apps/{scene.sc2_second.pk}/">#2</a>
            <span class="pill pill--draft">Draft</span></td>
          <td class="num">$4,000.00</td>
          <td class="num">$400.00</td>
          <td class="num">$0.00</td>
          <td class="num">$35,000.00</td>
        </tr>
        """,
        html=True,
    )
    assertContains(
        response,
        """
        <tr class="dashboard-table__total">
          <th scope="row">Commitments total</th>
          <td class="num">$145,000.00</td>
          <td class="num">$32,000.00</td>
          <td></td>
          <td class="num">$31,000.00</td>
          <td class="num">$3,100.00</td>
          <td class="num">$10,000.00</td>
          <td class="num">$113,000.00</td>
        </tr>
        """,
        html=True,
    )
    client = scene.client_contract
    assertContains(
        response,
        f"""
        <tr>
          <th scope="row" class="dashboard-table__contract">
            <a href="/client-contracts/{client.pk}/">PC-001</a> Prime contract
            <span class="dashboard-table__party">Harbor Health</span>
          </th>
          <td class="num">$100,000.00</td>
          <td class="num">$20,000.00</td>
          <td class="nowrap"><a href="/pay-apps/{scene.client_first.pk}/">#1</a>
            <span class="pill pill--approved">Approved</span></td>
          <td class="num">$20,000.00</td>
          <td class="num">$2,000.00</td>
          <td class="num">$18,000.00</td>
          <td class="num">$80,000.00</td>
        </tr>
        """,
        html=True,
    )
    assertNotContains(response, "Client contracts total")  # one client contract: its row is all


def test_the_page_draws_the_chart_inline_without_inline_style(login, world):
    # given
    build(world)
    # when
    response = login("standard").get(url(world))
    # then
    html = response.content.decode()
    assert "style=" not in html  # CSP: style-src 'self'
    start, end = html.index("<svg"), html.index("</svg>") + len("</svg>")
    root = ET.fromstring(html[start:end])
    assert root.get("role") == "img"
    assert root.get("aria-labelledby") == "billed-chart-title"
    assert [
        (rect.get("data-period"), rect.get("data-series"), rect.get("data-value"))
        for rect in root.iter(f"{NS}rect")
        if rect.get("data-series")
    ] == [
        ("1", "payable", "19000.00"),
        ("1", "receivable", "20000.00"),
        ("2", "payable", "31000.00"),
        ("2", "receivable", "20000.00"),
    ]
    assertContains(
        response,
        f'<a class="button button--small" href="/projects/{world.project.pk}/dashboard.svg" '
        "download>Download SVG</a>",
        html=True,
    )


def test_without_approved_pay_apps_the_page_says_there_is_no_chart_yet(login, world):
    # when
    response = login("admin").get(url(world))
    # then
    assertContains(
        response,
        '<p class="empty">No approved pay apps yet: the chart starts with the first approved '
        "pay app.</p>",
        html=True,
    )
    assertNotContains(response, "<svg")
    assertContains(
        response,
        '<tr><td colspan="8" class="empty">No client contract you can see on this project.'
        "</td></tr>",
        html=True,
    )


def test_the_dashboard_tab_is_shown_to_members_only(login, world):
    # given
    tab = f'<a href="/projects/{world.project.pk}/dashboard/">Dashboard</a>'
    # then
    assertContains(login("read_only").get(f"/projects/{world.project.pk}/"), tab, html=True)
    assertNotContains(login("contact").get(f"/projects/{world.project.pk}/"), "Dashboard")
    current = login("admin").get(url(world))
    assertContains(
        current,
        f'<a href="/projects/{world.project.pk}/dashboard/" aria-current="page">Dashboard</a>',
        html=True,
    )


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("admin", 200),
        ("standard", 200),
        ("read_only", 200),
        ("contact", 404),
        ("other_contact", 404),
        ("stranger", 404),
    ],
)
def test_members_open_it_anyone_else_is_told_not_found(login, world, page, role, status):
    # when
    response = login(role).get(url(world, page))
    # then
    assert response.status_code == status


@pytest.mark.parametrize("page", PAGES)
def test_anonymous_is_sent_to_log_in(client, world, page):
    assertRedirects(
        client.get(url(world, page)),
        f"/login/?next={url(world, page)}",
        fetch_redirect_response=False,
    )


def test_a_missing_project_is_not_found(login, world):
    assert login("admin").get("/projects/999999/dashboard/").status_code == 404


def test_a_private_commitment_is_left_out_of_the_page_and_the_csv_for_read_only(login, world):
    # given
    build(world)
    world.other_commitment.private = True
    world.other_commitment.save(update_fields=["private"])
    client = login("read_only")
    # when
    page = client.get(url(world))
    rows = list(csv.reader(io.StringIO(client.get(url(world, "dashboard.csv")).content.decode())))
    # then
    assertNotContains(page, "SC-002")
    assert [row[1] for row in rows[1:]] == [
        "SC-001",
        "Commitments total",
        "PC-001",
        "Client contracts total",
    ]
    assert rows[2][6] == "105000.00"


def test_the_csv_download(login, world):
    # given
    build(world)
    # when
    response = login("admin").get(url(world, "dashboard.csv"))
    # then
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    number = world.project.number.lower()
    assert response["Content-Disposition"] == f'attachment; filename="{number}-dashboard.csv"'
    assert response["Cache-Control"] == "private, no-store"
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[1][:2] == ["Payable", "SC-001"]
    assert rows[1][6:] == [
        "105000.00", "27000.00", "2", "Approved", "27000.00", "2700.00", "10000.00", "78000.00"
    ]  # fmt: skip


def test_the_xlsx_download(login, world):
    # given
    build(world)
    # when
    response = login("admin").get(url(world, "dashboard.xlsx"))
    # then
    assert response["Content-Type"] == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert response.content.startswith(b"PK")


def test_the_svg_download_is_the_chart_as_a_file(login, world):
    # given
    build(world)
    # when
    response = login("admin").get(url(world, "dashboard.svg"))
    # then
    assert response["Content-Type"] == "image/svg+xml"
    assert response["Content-Disposition"].startswith("attachment; filename=")
    assert response["X-Content-Type-Options"] == "nosniff"
    root = ET.fromstring(response.content)
    assert root.tag == f"{NS}svg"
    assert len([r for r in root.iter(f"{NS}rect") if r.get("data-series")]) == 4


def add_billed_commitments(world, count: int) -> None:
    for n in range(count):
        commitment = factories.ContractFactory(project=world.project, number=f"SC-1{n:02d}")
        factories.SOVLineFactory(contract=commitment, scheduled_value=D("1000.00"))
        approved_pay_app(world, ("100.00",), contract=commitment)


def test_the_page_costs_the_same_queries_for_2_or_12_commitments(
    login, world, django_assert_max_num_queries
):
    # given
    approved_pay_app(world)
    approved_pay_app(world, ("4000.00",), contract=world.other_commitment)
    client = login("read_only")
    with django_assert_max_num_queries(20) as few:
        client.get(url(world))
    add_billed_commitments(world, 10)
    # when / then
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(url(world))
    assertContains(response, "SC-109")
