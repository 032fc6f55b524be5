"""The G703 grid at scale (issue 6): a big pay app's page, its live totals and its save.

The grid's rows are drawn in Python (sitebill/web/pay_app_grid.py), not by the template engine;
these tests hold the rows of a 300-line pay app to what a person needs from them (every input
with its label, the figures the API gives), keep people's text escaped, and pin what changed
with the speed work: the page script sends only the rows someone touched, so the preview
answers those rows and the save reads them; a whole grid posted at once is still accepted; the
figures are computed once per request.
"""

from __future__ import annotations

import json
import re
from decimal import ROUND_HALF_UP, Decimal
from html.parser import HTMLParser
from typing import Any
from unittest import mock

import pytest
from django.test import Client
from django.utils.html import escape
from hypothesis import given
from hypothesis import strategies as st
from rest_framework.test import APIClient

from sitebill.billing.models import PayApp, PayAppLine
from sitebill.billing.selectors import StoredLine
from sitebill.billing.services.pay_apps import (
    LineChange,
    LineReview,
    pay_app_create,
    pay_app_lines_update,
    pay_app_review,
    pay_app_submit,
)
from sitebill.contracts.models import SOVLine
from sitebill.web import pay_app_grid
from sitebill.web.forms_pay_app import amount_text, percent_text
from sitebill.web.pay_app_grid import amount_input, lines_to_show, money_cell
from sitebill.web.templatetags.sitebill import money, percent
from sitebill.web.views import pay_apps as views
from tests import factories

D = Decimal
LINES = 300
# A description and a reason that are HTML if not escaped.
TRICKY = """Pour <b>slab</b> & "cure" it's <script>alert(1)</script>"""
REASON = 'Not <i>in</i> place & "late"'
GRID_INPUTS = ("work_completed_this_period", "percent_complete", "materials_presently_stored")
LABELS = {
    "work_completed_this_period": "work completed this period",
    "percent_complete": "work % complete to date",
    "materials_presently_stored": "materials presently stored",
}


# --------------------------------------------------------------------------------------------
# The scene: a 300-line commitment of the world's vendor, billed by its contact


def big_pay_app(world: Any, lines: int = LINES) -> PayApp:
    """Pay app #1 of a `lines`-line commitment: E on most lines, stored materials on every 7th,
    line 4 with HTML-looking text, as the contact billed it (a Draft)."""
    contract = factories.ContractFactory(
        project=world.project, number="SC-300", title="Big concrete", counterparty=world.vendor
    )
    contract.contacts.add(world.contact)
    SOVLine.objects.bulk_create(
        SOVLine(
            contract=contract,
            position=n,
            item_number=f"{n + 1}",
            description=TRICKY if n == 3 else f"Concrete work, area {n + 1}",
            cost_code=f"03-{300 + n % 9}",
            scheduled_value=D("10000.00") + D(n * 37) + D("0.25") * (n % 4),
        )
        for n in range(lines)
    )
    pay_app = pay_app_create(actor=world.contact, contract=contract, billing_period=world.period)
    pay_app_lines_update(
        actor=world.contact,
        pay_app=pay_app,
        version=None,
        changes=[
            LineChange(
                line_id=line.pk,
                work_completed_this_period=(line.scheduled_value * (n % 10) / 10).quantize(
                    D("0.01")
                ),
                materials_presently_stored=D("250.00") if n % 7 == 0 else None,
            )
            for n, line in enumerate(lines_of(pay_app))
        ],
    )
    pay_app.refresh_from_db()
    return pay_app


def lines_of(pay_app: PayApp) -> list[PayAppLine]:
    return list(pay_app.lines.order_by("position", "id"))


def logged_in(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def api_lines(user: Any, pay_app: PayApp) -> dict[int, dict[str, Any]]:
    """The pay app's G703 rows as the API gives them to `user`, by line id."""
    client = APIClient()
    client.force_authenticate(user)
    response = client.get(f"/api/v1/pay-apps/{pay_app.pk}/")
    assert response.status_code == 200
    return {row["id"]: row for row in response.json()["lines"]}


class Grid(HTMLParser):
    """What the page shows: inputs by name (their attributes), label texts by the id they are
    for, legends, and the text of every element with an id."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.inputs: dict[str, dict[str, str]] = {}
        self.radios: dict[str, list[str]] = {}
        self.labels: dict[str, str] = {}
        self.legends: list[str] = []
        self.texts: dict[str, str] = {}
        self.pending: set[str] = set()
        self._open: list[tuple[str, str | None, str | None]] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {key: value or "" for key, value in attrs}
        if tag == "input":
            if attributes.get("type") == "radio":
                self.radios.setdefault(attributes["name"], []).append(attributes["value"])
            elif attributes.get("name"):
                self.inputs[attributes["name"]] = attributes
                if "data-pending" in attributes:
                    self.pending.add(attributes["name"])
            return
        self._open.append((tag, attributes.get("id"), attributes.get("for")))
        if attributes.get("id"):
            self.texts[attributes["id"]] = ""
        if tag == "label" and attributes.get("for"):
            self.labels[attributes["for"]] = ""
        if tag == "legend":
            self.legends.append("")

    def handle_endtag(self, tag: str) -> None:
        while self._open:
            if self._open.pop()[0] == tag:
                break

    def handle_data(self, data: str) -> None:
        for tag, element_id, label_for in self._open:
            if element_id:
                self.texts[element_id] += data
            if tag == "label" and label_for:
                self.labels[label_for] += data
            if tag == "legend":
                self.legends[-1] += data

    def text(self, element_id: str) -> str:
        return " ".join(self.texts[element_id].split())


def amount(text: str) -> Decimal:
    """ "$1,250.00" -> 1250.00, "($5.00)" -> -5.00, "12.50%" -> 12.50."""
    negative = text.startswith("(")
    value = D(re.sub(r"[$,()%]", "", text))
    return -value if negative else value


def assert_figures_match_the_api(grid: Grid, rows: dict[int, dict[str, Any]]) -> None:
    for pk, row in rows.items():
        assert amount(grid.text(f"c{pk}-g")) == D(row["total_completed_and_stored"]), pk
        assert amount(grid.text(f"c{pk}-pct")) == D(row["percent_complete"]), pk
        assert amount(grid.text(f"c{pk}-h")) == D(row["balance_to_finish"]), pk
        assert amount(grid.text(f"c{pk}-ret")) == D(row["retainage_held"]), pk


# --------------------------------------------------------------------------------------------
# The page of 300 lines, in each mode


def test_a_300_line_grid_shows_every_line_with_labelled_inputs_and_the_apis_figures(world):
    # given a 300-line Draft billed by the contact
    pay_app = big_pay_app(world)
    lines = lines_of(pay_app)
    # when the contact opens it (the edit grid)
    response = logged_in(world.contact).get(f"/pay-apps/{pay_app.pk}/")
    # then every line has its inputs, each labelled with the line and the column
    assert response.status_code == 200
    grid = Grid(response.content.decode())
    rows = api_lines(world.contact, pay_app)
    assert len(rows) == len(lines) == LINES
    for line in lines:
        row = rows[line.pk]
        for field in GRID_INPUTS:
            name = f"line-{line.pk}-{field}"
            attributes = grid.inputs[name]
            assert attributes["id"] == name
            assert attributes["aria-describedby"] == f"err-{name}"
            assert grid.labels[name] == (
                f"Line {line.item_number} {line.description}: {LABELS[field]}"
            )
        # what the inputs show is what the API holds
        work = grid.inputs[f"line-{line.pk}-work_completed_this_period"]["value"]
        stored = grid.inputs[f"line-{line.pk}-materials_presently_stored"]["value"]
        assert D(work.replace(",", "")) == D(row["work_completed_this_period"])
        assert D(stored.replace(",", "")) == D(row["materials_presently_stored"])
        assert grid.inputs[f"line-{line.pk}-entry"]["value"] == ""
    # and G, G/C, H and the retainage held are the API's
    assert_figures_match_the_api(grid, rows)
    # and nothing of the grid is pending: no POST was refused
    assert grid.pending == set()


def test_an_admin_reviews_300_lines_each_with_its_choice_and_labelled_reason(world):
    # given the 300-line pay app submitted, line 2 rejected in an earlier round
    pay_app = big_pay_app(world)
    second = lines_of(pay_app)[1]
    pay_app_submit(actor=world.contact, pay_app=pay_app)
    pay_app_review(
        actor=world.admin,
        pay_app=pay_app,
        version=None,
        status=PayApp.Status.REVISE_AND_RESUBMIT,
        lines=[LineReview(line_id=second.pk, status="rejected", reason=REASON)],
    )
    pay_app_submit(actor=world.contact, pay_app=pay_app)
    # when the Admin opens it (the review grid)
    response = logged_in(world.admin).get(f"/pay-apps/{pay_app.pk}/")
    # then every line has Approve / Reject and a labelled reason; no amount is an input
    grid = Grid(response.content.decode())
    lines = lines_of(pay_app)
    for line in lines:
        assert grid.radios[f"review-{line.pk}-status"] == ["approved", "rejected"]
        reason = f"review-{line.pk}-reason"
        assert grid.labels[reason] == f"Line {line.item_number} {line.description}: reason"
        assert f"line-{line.pk}-work_completed_this_period" not in grid.inputs
    assert sorted(grid.legends) == sorted(
        f"Line {line.item_number} {line.description}: review" for line in lines
    )
    # a new round starts blank: the earlier verdict shows beside the line, not in the form
    assert grid.inputs[f"review-{second.pk}-reason"]["value"] == ""
    assert (
        '<span class="review-note review-note--rejected"><span class="pill pill--rejected">'
        f"Rejected</span> {escape(REASON)}</span>"
    ) in response.content.decode()
    assert_figures_match_the_api(grid, api_lines(world.admin, pay_app))


def test_a_read_only_user_sees_the_300_lines_figures_and_no_input(world):
    # given
    pay_app = big_pay_app(world)
    # when
    response = logged_in(world.read_only).get(f"/pay-apps/{pay_app.pk}/")
    # then
    grid = Grid(response.content.decode())
    assert [name for name in grid.inputs if name.startswith(("line-", "review-"))] == []
    assert_figures_match_the_api(grid, api_lines(world.read_only, pay_app))


def test_text_from_people_is_escaped_in_the_grid_and_its_history(world):
    # given line 4's description is HTML-looking, and line 2 was rejected with such a reason
    pay_app = big_pay_app(world, lines=6)
    first, second, *_ = lines_of(pay_app)
    pay_app_submit(actor=world.contact, pay_app=pay_app)
    pay_app_review(
        actor=world.admin,
        pay_app=pay_app,
        version=None,
        status=PayApp.Status.REVISE_AND_RESUBMIT,
        lines=[LineReview(line_id=second.pk, status="rejected", reason=REASON)],
    )
    pay_app.refresh_from_db()
    # when the contact types markup into a cell and saves (refused: not an amount)
    response = logged_in(world.contact).post(
        f"/pay-apps/{pay_app.pk}/",
        {
            "version": str(pay_app.version),
            f"line-{first.pk}-work_completed_this_period": '<b>"1"</b>',
        },
    )
    # then the page shows every one of them as text, never as markup
    assert response.status_code == 400
    html = response.content.decode()
    assert "<script>" not in html and "<b>slab</b>" not in html and "<i>in</i>" not in html
    assert "Pour &lt;b&gt;slab&lt;/b&gt; &amp; &quot;cure&quot; it&#x27;s" in html
    assert "Not &lt;i&gt;in&lt;/i&gt; place &amp; &quot;late&quot;" in html
    assert 'value="&lt;b&gt;&quot;1&quot;&lt;/b&gt;"' in html
    grid = Grid(html)
    assert grid.inputs[f"line-{first.pk}-work_completed_this_period"]["value"] == '<b>"1"</b>'
    assert grid.text(f"err-line-{first.pk}-work_completed_this_period") == (
        "Enter an amount like 1,250.00."
    )


# --------------------------------------------------------------------------------------------
# Live totals and the save: the touched rows


def test_the_preview_answers_only_the_rows_that_were_posted(world):
    # given the 300-line Draft
    pay_app = big_pay_app(world)
    lines = lines_of(pay_app)
    first, tenth = lines[0], lines[9]
    before = api_lines(world.contact, pay_app)
    # when the page script posts the two rows the contact touched
    response = logged_in(world.contact).post(
        f"/pay-apps/{pay_app.pk}/preview/",
        {
            "version": str(pay_app.version),
            f"line-{first.pk}-work_completed_this_period": "1,000.00",
            f"line-{first.pk}-entry": "amount",
            f"line-{tenth.pk}-percent_complete": "50",
            f"line-{tenth.pk}-entry": "percent",
        },
    )
    # then their computed cells come back, and no other row's
    assert response.status_code == 200
    html = response.content.decode()
    assert set(re.findall(r'id="c(\d+)-g"', html)) == {str(first.pk), str(tenth.pk)}
    grid = Grid(html)
    assert amount(grid.text(f"c{first.pk}-g")) == D("1000.00") + D(
        before[first.pk]["materials_presently_stored"]
    )
    assert amount(grid.text(f"c{tenth.pk}-pct")) == D("50.00")
    # the totals are the whole pay app's, with the two edits
    saved_e = sum(D(row["work_completed_this_period"]) for row in before.values())
    half = (tenth.scheduled_value / 2).quantize(D("0.01"), rounding=ROUND_HALF_UP)
    tenth_e = half - tenth.work_completed_previous
    expected_e = (
        saved_e
        - first.work_completed_this_period
        + D("1000.00")
        - tenth.work_completed_this_period
        + tenth_e
    )
    assert amount(grid.text("t-e")) == expected_e
    # and the sibling values of just those rows
    sync = json.loads(response.headers["HX-Trigger"])["paygrid:sync"]["lines"]
    assert set(sync) == {str(first.pk), str(tenth.pk)}
    assert sync[str(tenth.pk)]["work_completed_this_period"] == amount_text(tenth_e)


def test_under_a_sliding_scale_the_preview_answers_every_row(world):
    # given retainage held depends on the whole pay app
    pay_app = big_pay_app(world, lines=12)
    contract = pay_app.contract
    contract.retainage_rules = [{"rate": "10.00", "until": "percent_complete", "limit": "50.00"}]
    contract.save(update_fields=["retainage_rules"])
    first = lines_of(pay_app)[0]
    # when one row is posted
    response = logged_in(world.contact).post(
        f"/pay-apps/{pay_app.pk}/preview/",
        {"version": str(pay_app.version), f"line-{first.pk}-work_completed_this_period": "10"},
    )
    # then every row's computed cells come back
    assert len(set(re.findall(r'id="c(\d+)-ret"', response.content.decode()))) == 12


def test_saving_the_touched_rows_of_300_saves_them_and_keeps_the_others(world):
    # given
    pay_app = big_pay_app(world)
    lines = lines_of(pay_app)
    first, last = lines[0], lines[-1]
    # when the page script posts the two touched rows and Save
    response = logged_in(world.contact).post(
        f"/pay-apps/{pay_app.pk}/",
        {
            "version": str(pay_app.version),
            "action": "save",
            f"line-{first.pk}-work_completed_this_period": "1,234.56",
            f"line-{first.pk}-percent_complete": "0.00",
            f"line-{first.pk}-materials_presently_stored": "250.00",
            f"line-{first.pk}-entry": "amount",
            f"line-{last.pk}-materials_presently_stored": "99.00",
        },
    )
    # then those are saved, and every other line is as it was
    assert response.status_code == 302
    after = {line.pk: line for line in lines_of(pay_app)}
    assert after[first.pk].work_completed_this_period == D("1234.56")
    assert after[last.pk].materials_presently_stored == D("99.00")
    for line in lines[1:-1]:
        assert after[line.pk].work_completed_this_period == line.work_completed_this_period
        assert after[line.pk].materials_presently_stored == line.materials_presently_stored
    pay_app.refresh_from_db()
    assert pay_app.version == 3


def test_a_whole_300_line_grid_posted_at_once_is_saved(world):
    # given the grid as a browser without the script posts it: every input of every line
    # (over 1,200 fields, more than Django's default of 1,000)
    pay_app = big_pay_app(world)
    client = logged_in(world.contact)
    grid = Grid(client.get(f"/pay-apps/{pay_app.pk}/").content.decode())
    fields = {
        name: attributes.get("value", "")
        for name, attributes in grid.inputs.items()
        if name.startswith("line-") or name == "version"
    }
    first = lines_of(pay_app)[0]
    fields[f"line-{first.pk}-work_completed_this_period"] = "777.00"
    assert len(fields) > 1000
    # when
    response = client.post(f"/pay-apps/{pay_app.pk}/", fields)
    # then
    assert response.status_code == 302
    first.refresh_from_db()
    assert first.work_completed_this_period == D("777.00")


def test_a_refused_save_marks_the_posted_rows_so_the_script_sends_them_again(world):
    # given
    pay_app = big_pay_app(world, lines=20)
    first, second, third = lines_of(pay_app)[:3]
    # when a save of two rows is refused (one cell is not an amount)
    response = logged_in(world.contact).post(
        f"/pay-apps/{pay_app.pk}/",
        {
            "version": str(pay_app.version),
            f"line-{first.pk}-work_completed_this_period": "12,3x",
            f"line-{second.pk}-work_completed_this_period": "3,000.00",
        },
    )
    # then both rows are marked pending (the script keeps sending them), no other row is
    assert response.status_code == 400
    grid = Grid(response.content.decode())
    assert grid.pending == {f"line-{first.pk}-entry", f"line-{second.pk}-entry"}
    assert grid.inputs[f"line-{second.pk}-work_completed_this_period"]["value"] == "3,000.00"
    assert f"line-{third.pk}-entry" in grid.inputs


def test_the_page_and_the_save_compute_the_figures_once(world):
    # given
    pay_app = big_pay_app(world, lines=30)
    client = logged_in(world.contact)
    first = lines_of(pay_app)[0]
    with (
        mock.patch.object(views, "figures_for_lines", wraps=views.figures_for_lines) as figures,
        mock.patch.object(views, "pay_app_preview", wraps=views.pay_app_preview) as preview,
    ):
        # when the page is opened
        assert client.get(f"/pay-apps/{pay_app.pk}/").status_code == 200
        # then its figures are computed once
        assert figures.call_count == 1
        assert preview.call_count == 0
        figures.reset_mock()
        # when a row is saved
        response = client.post(
            f"/pay-apps/{pay_app.pk}/",
            {
                "version": str(pay_app.version),
                f"line-{first.pk}-work_completed_this_period": "1.00",
            },
        )
        # then the view checks the changed line alone (the service computes the figures)
        assert response.status_code == 302
        assert figures.call_count == 0
        assert preview.call_count == 1
        assert [line.pk for line in preview.call_args.args[1]] == [first.pk]


# --------------------------------------------------------------------------------------------
# The pieces


AMOUNTS = st.decimals(
    min_value=D("-1E13"), max_value=D("1E13"), allow_nan=False, allow_infinity=False, places=2
)
NUMBERS = st.one_of(
    AMOUNTS,
    st.decimals(
        min_value=D("-1E6"), max_value=D("1E6"), allow_nan=False, allow_infinity=False, places=4
    ),
    st.sampled_from([D("0"), D("-0"), D("-0.00"), D("0E-2"), D("1E+2"), D("100"), D("1E-7")]),
)


@given(NUMBERS)
def test_the_grids_formatting_is_the_template_filters(value):
    percents = pay_app_grid._Percents()
    assert money_cell(value) == money(value)
    assert amount_input(value) == amount_text(value)
    assert percents.cell(value) == percent(value)
    assert percents.rate(value) == percent(value)
    assert percents.rate(value) == percent(value)  # remembered
    assert percents.input(value) == percent_text(value)
    assert percents.input(value) == percent_text(value)


def test_a_line_row_holds_the_columns_of_a_line_under_the_same_names(world):
    # given
    pay_app = big_pay_app(world, lines=5)
    # when
    rows = lines_to_show(pay_app)
    # then each column is the model's, with the model's value
    attnames = {field.attname for field in PayAppLine._meta.concrete_fields}
    assert set(StoredLine._fields) <= attnames
    for row, line in zip(rows, lines_of(pay_app), strict=True):
        assert isinstance(row, StoredLine)
        assert row.pk == line.pk
        assert row.is_change_order == line.is_change_order
        for name in StoredLine._fields:
            assert getattr(row, name) == getattr(line, name), name
        model = row.as_model()
        assert isinstance(model, PayAppLine)
        assert [getattr(model, name) for name in StoredLine._fields] == list(row)


@pytest.mark.parametrize("role", ["admin", "contact"])
def test_the_page_of_300_lines_costs_the_queries_of_3(world, role, django_assert_max_num_queries):
    # given
    big = big_pay_app(world)
    client = logged_in(world.role(role))
    client.get("/")
    # when / then (tests/performance/test_query_counts.py holds the counts of every page)
    with django_assert_max_num_queries(12):
        assert client.get(f"/pay-apps/{big.pk}/").status_code == 200
