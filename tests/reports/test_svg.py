"""The chart: an SVG that parses, says what it shows, one bar per period and series with its
exact value, no inline style, escaped text, an empty state."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from decimal import Decimal

import pytest

from sitebill.reports.selectors import project_dashboard
from sitebill.reports.svg import (
    SERIES_PAYABLE,
    SERIES_RECEIVABLE,
    PeriodValues,
    as_document,
    axis_range,
    billed_chart,
    chart_svg,
    compact_money,
    nice_step,
)
from tests.erp.builders import approved_pay_app
from tests.reports.scene import build

D = Decimal
NS = "{http://www.w3.org/2000/svg}"


def parsed(svg: str) -> ET.Element:
    return ET.fromstring(svg)


def bars(root: ET.Element) -> list[tuple[str, str, str]]:
    return [
        (rect.get("data-period"), rect.get("data-series"), rect.get("data-value"))
        for rect in root.iter(f"{NS}rect")
        if rect.get("data-series")
    ]


def period(key: str, *values: str) -> PeriodValues:
    return PeriodValues(
        key=key,
        label=f"Period {key}",
        sublabel="Nov 2026",
        long_label=f"Period {key} (Nov 1 – Nov 30, 2026)",
        values=tuple(D(v) for v in values),
    )


def test_the_dashboard_chart_has_one_bar_per_period_and_series_with_its_value(world):
    # given
    build(world)
    dashboard = project_dashboard(user=world.admin, project=world.project)
    # when
    root = parsed(billed_chart(dashboard))
    # then
    assert root.tag == f"{NS}svg"
    assert bars(root) == [
        ("1", "payable", "19000.00"),
        ("1", "receivable", "20000.00"),
        ("2", "payable", "31000.00"),
        ("2", "receivable", "20000.00"),
    ]


def test_the_chart_is_an_image_labelled_by_its_title_and_described_by_its_desc(world):
    # given
    build(world)
    dashboard = project_dashboard(user=world.admin, project=world.project)
    # when
    root = parsed(billed_chart(dashboard, id_prefix="chart-1"))
    # then
    assert root.get("role") == "img"
    assert (root.get("aria-labelledby"), root.get("aria-describedby")) == (
        "chart-1-title",
        "chart-1-desc",
    )
    title, desc = root.find(f"{NS}title"), root.find(f"{NS}desc")
    assert (title.get("id"), desc.get("id")) == ("chart-1-title", "chart-1-desc")
    assert title.text == "Billed to date by billing period, Riverside Clinic"
    assert desc.text.endswith(
        "Period 1 (Nov 1 – Nov 30, 2026): Commitments (payable) $19,000.00; "
        "Client contract (receivable) $20,000.00. "
        "Period 2 (Dec 1 – Dec 31, 2026): Commitments (payable) $31,000.00; "
        "Client contract (receivable) $20,000.00."
    )


def test_each_bar_has_a_tooltip_with_the_exact_amount(world):
    # given
    approved_pay_app(world)
    dashboard = project_dashboard(user=world.admin, project=world.project)
    # when
    root = parsed(billed_chart(dashboard))
    # then
    [bar] = [rect for rect in root.iter(f"{NS}rect") if rect.get("data-series")]
    assert bar.find(f"{NS}title").text == (
        "Period 1 (Nov 1 – Nov 30, 2026): Commitments (payable) $15,000.00"
    )


def test_axis_labels_money_ticks_and_a_legend_name_what_is_drawn(world):
    # given
    build(world)
    dashboard = project_dashboard(user=world.admin, project=world.project)
    # when
    root = parsed(billed_chart(dashboard))
    # then: 31,000 is the largest value: steps of 10k up to 40k
    texts = [text.text for text in root.iter(f"{NS}text")]
    ticks = [t.text for t in root.iter(f"{NS}text") if t.get("class") == "chart__tick"]
    assert ticks == ["$0", "$10k", "$20k", "$30k", "$40k"]
    assert "Billed to date (USD)" in texts
    assert "Billing period" in texts
    assert "Commitments (payable)" in texts
    assert "Client contract (receivable)" in texts
    assert [t.text for t in root.iter(f"{NS}text") if t.get("class") == "chart__label"] == [
        "Period 1",
        "Period 2",
    ]


def test_bar_heights_are_proportional_to_the_values():
    # given: an axis of 0 to 40k over a 250 px plot
    svg = chart_svg(
        title="t",
        summary="s",
        axis_title="a",
        series=[SERIES_PAYABLE, SERIES_RECEIVABLE],
        periods=[period("1", "40000.00", "10000.00")],
        id_prefix="c",
    )
    # when
    heights = [
        rect.get("height") for rect in parsed(svg).iter(f"{NS}rect") if rect.get("data-series")
    ]
    # then
    assert heights == ["250", "62.5"]


def test_nothing_is_styled_inline_so_the_csp_allows_it(world):
    # given
    build(world)
    svg = billed_chart(project_dashboard(user=world.admin, project=world.project))
    # then
    root = parsed(svg)
    assert all("style" not in element.attrib for element in root.iter())
    assert root.find(f".//{NS}style") is None
    assert "style=" not in svg


def test_text_is_escaped(world):
    # given
    world.project.name = 'Clinic <script>alert("x")</script> & Co'
    world.project.save(update_fields=["name"])
    approved_pay_app(world)
    # when
    svg = billed_chart(project_dashboard(user=world.admin, project=world.project))
    # then
    assert "<script>" not in svg
    title = parsed(svg).find(f"{NS}title")
    assert title.text == 'Billed to date by billing period, Clinic <script>alert("x")</script> & Co'


def test_without_approved_pay_apps_the_chart_says_so(world):
    # when
    root = parsed(billed_chart(project_dashboard(user=world.admin, project=world.project)))
    # then
    assert bars(root) == []
    assert [t.text for t in root.iter(f"{NS}text")] == [
        "No approved pay apps yet: the chart starts with the first one."
    ]
    assert root.find(f"{NS}desc").text.endswith(
        "No approved pay apps yet: the chart starts with the first one."
    )


def test_without_a_client_contract_only_the_commitments_are_drawn(world):
    # given
    approved_pay_app(world)
    # when
    root = parsed(billed_chart(project_dashboard(user=world.admin, project=world.project)))
    # then
    assert bars(root) == [("1", "payable", "15000.00")]
    assert "Client contract (receivable)" not in [t.text for t in root.iter(f"{NS}text")]


def test_many_periods_are_numbered_under_their_bars():
    # given: two years of monthly periods
    periods = [period(str(n), f"{n * 1000}.00") for n in range(1, 25)]
    # when
    root = parsed(
        chart_svg(
            title="t",
            summary="s",
            axis_title="a",
            series=[SERIES_PAYABLE],
            periods=periods,
            id_prefix="c",
        )
    )
    # then
    assert len(bars(root)) == 24
    labels = [t.text for t in root.iter(f"{NS}text") if t.get("class") == "chart__label"]
    assert labels == [str(n) for n in range(1, 25)]


def test_a_float_is_refused():
    with pytest.raises(TypeError, match="Decimal"):
        chart_svg(
            title="t",
            summary="s",
            axis_title="a",
            series=[SERIES_PAYABLE],
            periods=[PeriodValues("1", "P1", "", "P1", (1.5,))],  # type: ignore[arg-type]
            id_prefix="c",
        )


def test_a_negative_value_hangs_below_the_zero_line():
    # given
    svg = chart_svg(
        title="t",
        summary="s",
        axis_title="a",
        series=[SERIES_PAYABLE],
        periods=[period("1", "-500.00"), period("2", "1000.00")],
        id_prefix="c",
    )
    # then
    root = parsed(svg)
    ticks = [t.text for t in root.iter(f"{NS}text") if t.get("class") == "chart__tick"]
    assert ticks == ["−$500", "$0", "$500", "$1k"]
    [baseline] = [line for line in root.iter(f"{NS}line") if line.get("class") == "chart__baseline"]
    negative = next(r for r in root.iter(f"{NS}rect") if r.get("data-value") == "-500.00")
    assert negative.get("y") == baseline.get("y1")


def test_the_download_is_a_standalone_utf8_document(world):
    # given
    approved_pay_app(world)
    svg = billed_chart(project_dashboard(user=world.admin, project=world.project))
    # when
    document = as_document(svg)
    # then
    assert document.startswith(
        b'<?xml version="1.0" encoding="UTF-8"?>\n<svg xmlns="http://www.w3.org/2000/svg"'
    )
    assert ET.fromstring(document).tag == f"{NS}svg"


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (["31000.00"], ("0", "40000", "10000")),
        (["19000.00", "20000.00"], ("0", "20000", "5000")),
        (["0.00"], ("0", "1000", "200")),  # nothing billed: an axis to $1k
        (["1234567.89"], ("0", "1500000", "500000")),
        (["-500.00", "1000.00"], ("-500", "1000", "500")),
        (["0.03"], ("0", "0.03", "0.01")),
    ],
)
def test_the_axis_ends_on_a_round_amount(values, expected):
    low, high, step = axis_range([D(v) for v in values])
    assert (f"{low.normalize():f}", f"{high.normalize():f}", f"{step.normalize():f}") == expected


def test_a_nice_step_is_1_2_or_5_times_a_power_of_ten():
    assert [nice_step(D(v)) for v in ("3", "6200", "0.3", "100")] == [
        D("5"),
        D("1E+4"),
        D("0.5"),
        D("1E+2"),
    ]


@pytest.mark.parametrize(
    ("value", "places", "text"),
    [
        ("0", 2, "$0"),
        ("500", 2, "$500"),
        ("2500", 2, "$2.5k"),
        ("250000", 2, "$250k"),
        ("1500000", 2, "$1.5M"),
        ("-50000", 2, "−$50k"),
        ("12345.67", 1, "$12.3k"),
        ("2000000000", 2, "$2B"),
    ],
)
def test_compact_money(value, places, text):
    assert compact_money(D(value), places=places) == text
