"""The dashboard's chart, "Billed to date by billing period", as an SVG document (a string).

Pure: a function of the figures handed to it (no query, no Django), Decimal arithmetic only (no
float anywhere, pixel positions included: they are Decimals rounded to 0.1 px). The document is
built with `xml.etree.ElementTree`, which escapes every text and attribute, so a project or
period label can never break out of its element.

Invariants:
- A grouped bar chart, one group per billing period, one bar per series (commitments, payable;
  the client contract, receivable). Each bar carries `data-period`, `data-series` and
  `data-value` (the exact amount, "15000.00") and a `<title>` tooltip; the `<desc>` lists every
  value in words, so the figures are there for a screen reader and for a test.
- `<svg role="img" aria-labelledby=<title id> aria-describedby=<desc id>>`; the ids start with
  `id_prefix`, so two charts on a page cannot clash.
- No `style` attribute and no `<style>` element (the pages' CSP is `style-src 'self'`): colours,
  fonts and strokes are presentation attributes (`fill`, `stroke`, `font-size`), which also make
  the downloaded file look right on its own; classes (`chart__*`) are hooks for sitebill.css.
- The y axis runs from 0 (or below, for a negative figure) to a "nice" round amount (a 1, 2 or 5
  times a power of ten step, about five steps), its ticks labelled in compact money ("$250k").
- No periods: the same frame with a one-line message, never an empty file.
"""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_UP, Context, Decimal
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sitebill.reports.selectors import Dashboard

SVG_NS = "http://www.w3.org/2000/svg"
WIDTH = 900
HEIGHT = 380

_CTX = Context(prec=40, rounding=ROUND_HALF_UP)
_ZERO = Decimal("0")
_TENTH = Decimal("0.1")
_CENT = Decimal("0.01")

# Layout, in px of the 900 × 380 viewBox.
_LEFT = Decimal(92)
_RIGHT = Decimal(WIDTH - 20)
_TOP = Decimal(64)
_BOTTOM = Decimal(HEIGHT - 66)

_FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, Arial, sans-serif"
_TEXT = "#1d2430"
_MUTED = "#5b6575"
_GRID = "#dde1e7"
_AXIS = "#8a93a3"

PAYABLE = "payable"
RECEIVABLE = "receivable"


@dataclass(frozen=True)
class Series:
    key: str  # data-series
    label: str  # legend and tooltips
    colour: str  # fill, a presentation attribute


SERIES_PAYABLE = Series(PAYABLE, "Commitments (payable)", "#1a5fb4")
SERIES_RECEIVABLE = Series(RECEIVABLE, "Client contract (receivable)", "#c2410c")


@dataclass(frozen=True)
class PeriodValues:
    """One group of bars: a billing period and its value in each series, in series order."""

    key: str  # data-period, e.g. "3"
    label: str  # under the bars, e.g. "Period 3"
    sublabel: str  # under the label, e.g. "Nov 2026"
    long_label: str  # tooltips and <desc>, e.g. "Period 3 (Nov 1 – Nov 30, 2026)"
    values: tuple[Decimal, ...]


def billed_chart(
    dashboard: Dashboard, *, id_prefix: str = "billed-chart", heading: str | None = None
) -> str:
    """The dashboard's "billed to date by period" chart (see `selectors` for the figures)."""
    series = [SERIES_PAYABLE]
    if dashboard.has_client_contracts:
        series.append(SERIES_RECEIVABLE)
    periods = []
    for point in dashboard.periods:
        period = point.period
        values = (point.commitments, point.client) if len(series) == 2 else (point.commitments,)
        periods.append(
            PeriodValues(
                key=str(period.number),
                label=f"Period {period.number}",
                sublabel=f"{period.end_date:%b %Y}",
                long_label=f"Period {period.number} ({_span(period.start_date, period.end_date)})",
                values=values,
            )
        )
    return chart_svg(
        title=f"Billed to date by billing period, {dashboard.project.name}",
        summary=(
            "Total completed and stored to date (G) of approved pay apps at the end of each "
            "billing period; a contract with no approved pay app in a period counts with its "
            "last approved one."
        ),
        axis_title=f"Billed to date ({dashboard.project.currency})",
        series=series,
        periods=periods,
        id_prefix=id_prefix,
        heading=heading,
        empty_message="No approved pay apps yet: the chart starts with the first one.",
    )


def chart_svg(
    *,
    title: str,
    summary: str,
    axis_title: str,
    series: Sequence[Series],
    periods: Sequence[PeriodValues],
    id_prefix: str,
    heading: str | None = None,
    empty_message: str = "No data yet.",
) -> str:
    """A grouped bar chart as an `<svg>` element (no XML declaration: `as_document` adds it)."""
    for period in periods:
        if len(period.values) != len(series):
            raise ValueError(
                f"{period.label}: {len(period.values)} values for {len(series)} series"
            )
        for value in period.values:
            if not isinstance(value, Decimal):
                raise TypeError(f"a chart value must be a Decimal, not {type(value).__name__}")
    title_id, desc_id = f"{id_prefix}-title", f"{id_prefix}-desc"
    svg = ET.Element(
        "svg",
        {
            "xmlns": SVG_NS,
            "class": "chart",
            "width": str(WIDTH),
            "height": str(HEIGHT),
            "viewBox": f"0 0 {WIDTH} {HEIGHT}",
            "role": "img",
            "aria-labelledby": title_id,
            "aria-describedby": desc_id,
            "font-family": _FONT,
            "font-size": "12",
            "fill": _TEXT,
        },
    )
    _sub(svg, "title", {"id": title_id}, title)
    _sub(svg, "desc", {"id": desc_id}, _description(summary, series, periods, empty_message))
    _sub(svg, "rect", {"class": "chart__background", "width": "100%", "height": "100%"}).set(
        "fill", "#ffffff"
    )
    if heading:
        _sub(
            svg,
            "text",
            {"class": "chart__heading", "x": "16", "y": "24", "font-size": "15"},
            heading,
        ).set("font-weight", "600")
    if not periods:
        _sub(
            svg,
            "text",
            {
                "class": "chart__empty",
                "x": str(WIDTH // 2),
                "y": str(HEIGHT // 2),
                "text-anchor": "middle",
                "font-size": "14",
                "fill": _MUTED,
            },
            empty_message,
        )
        return ET.tostring(svg, encoding="unicode")
    _legend(svg, series, y=Decimal(44) if heading else Decimal(26))
    low, high, step = axis_range([v for p in periods for v in p.values])
    _y_axis(svg, low, high, step, axis_title)
    _bars(svg, series, periods, low, high)
    return ET.tostring(svg, encoding="unicode")


def as_document(svg: str) -> bytes:
    """A standalone .svg file: the XML declaration and the element, UTF-8."""
    return f'<?xml version="1.0" encoding="UTF-8"?>\n{svg}\n'.encode()


# --- Axis ----------------------------------------------------------------------------------------


def axis_range(values: Sequence[Decimal]) -> tuple[Decimal, Decimal, Decimal]:
    """(low, high, step): round amounts around 0 and every value, about five steps apart."""
    top = max([*values, _ZERO])
    bottom = min([*values, _ZERO])
    if top == bottom:  # nothing billed yet: an axis to $1k, so the bars sit on a real scale
        top = Decimal(1000)
    step = nice_step(_CTX.divide(top - bottom, Decimal(5)))
    high = _CTX.multiply(_CTX.divide(top, step).to_integral_value(ROUND_CEILING), step)
    low = _CTX.multiply(_CTX.divide(bottom, step).to_integral_value(ROUND_FLOOR), step)
    return low, high, step


def nice_step(raw: Decimal) -> Decimal:
    """The smallest 1, 2 or 5 × 10^n at least `raw` (and at least a cent)."""
    if raw <= _CENT:
        return _CENT
    magnitude = Decimal(1).scaleb(raw.adjusted())
    for multiple in (Decimal(1), Decimal(2), Decimal(5), Decimal(10)):
        step = _CTX.multiply(multiple, magnitude)
        if step >= raw:
            return step
    raise AssertionError("unreachable: 10 × 10^adjusted exceeds any value")  # pragma: no cover


def compact_money(value: Decimal, *, places: int = 2) -> str:
    """ "$0", "$500", "$2.5k", "$250k", "$1.5M", "−$50k": a tick or bar label."""
    sign = "−" if value < 0 else ""
    amount = abs(value)
    for size, suffix in ((Decimal(10) ** 9, "B"), (Decimal(10) ** 6, "M"), (Decimal(1000), "k")):
        if amount >= size:
            return f"{sign}${_trimmed(_CTX.divide(amount, size), places)}{suffix}"
    return f"{sign}${_trimmed(amount, places)}"


def money_words(value: Decimal) -> str:
    """ "$15,000.00", "-$300.00": an exact amount in the tooltips and the description."""
    text = f"${abs(value):,.2f}"
    return f"-{text}" if value < 0 else text


def _trimmed(value: Decimal, places: int) -> str:
    rounded = value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    text = f"{rounded:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _y(value: Decimal, low: Decimal, high: Decimal) -> Decimal:
    """The y pixel of an amount: `high` at the top of the plot, `low` at its bottom."""
    share = _CTX.divide(high - value, high - low)
    return _TOP + _CTX.multiply(share, _BOTTOM - _TOP)


def _px(value: Decimal) -> str:
    text = f"{value.quantize(_TENTH, rounding=ROUND_HALF_UP):f}"
    return text.removesuffix(".0")


def _y_axis(svg: ET.Element, low: Decimal, high: Decimal, step: Decimal, title: str) -> None:
    grid = _sub(svg, "g", {"class": "chart__grid"})
    tick = low
    while tick <= high:
        y = _px(_y(tick, low, high))
        is_zero = tick == 0
        _sub(
            grid,
            "line",
            {
                "class": "chart__baseline" if is_zero else "chart__gridline",
                "x1": _px(_LEFT),
                "x2": _px(_RIGHT),
                "y1": y,
                "y2": y,
                "stroke": _AXIS if is_zero else _GRID,
                "stroke-width": "1",
            },
        )
        _sub(
            grid,
            "text",
            {
                "class": "chart__tick",
                "x": _px(_LEFT - 8),
                "y": y,
                "text-anchor": "end",
                "dominant-baseline": "middle",
                "fill": _MUTED,
            },
            compact_money(tick),
        )
        tick += step
    middle = _px((_TOP + _BOTTOM) / 2)
    _sub(
        svg,
        "text",
        {
            "class": "chart__axis-title",
            "x": "18",
            "y": middle,
            "transform": f"rotate(-90 18 {middle})",
            "text-anchor": "middle",
            "fill": _MUTED,
        },
        title,
    )
    _sub(
        svg,
        "text",
        {
            "class": "chart__axis-title",
            "x": _px((_LEFT + _RIGHT) / 2),
            "y": str(HEIGHT - 8),
            "text-anchor": "middle",
            "fill": _MUTED,
        },
        "Billing period",
    )


def _legend(svg: ET.Element, series: Sequence[Series], *, y: Decimal) -> None:
    legend = _sub(svg, "g", {"class": "chart__legend"})
    x = _LEFT
    for one in series:
        _sub(
            legend,
            "rect",
            {
                "class": f"chart__swatch chart__swatch--{one.key}",
                "x": _px(x),
                "y": _px(y - 10),
                "width": "12",
                "height": "12",
                "rx": "2",
                "fill": one.colour,
            },
        )
        _sub(legend, "text", {"x": _px(x + 18), "y": _px(y)}, one.label)
        x += Decimal(48 + 7 * len(one.label))  # about 7 px a character at 12 px


def _bars(
    svg: ET.Element,
    series: Sequence[Series],
    periods: Sequence[PeriodValues],
    low: Decimal,
    high: Decimal,
) -> None:
    count = Decimal(len(periods))
    band = _CTX.divide(_RIGHT - _LEFT, count)
    group = min(_CTX.multiply(band, Decimal("0.7")), Decimal(56 * len(series)))
    bar = _CTX.divide(group, Decimal(len(series)))
    gap = Decimal(2) if bar > 6 else _ZERO
    wide = band >= 72  # room for "Period 12", its month and the bar values
    # Narrow bands: number the periods only, and only every k-th when even that crowds.
    every = (
        1 if band >= 24 else int(_CTX.divide(Decimal(24), band).to_integral_value(ROUND_CEILING))
    )
    zero_y = _y(_ZERO, low, high)
    bars = _sub(svg, "g", {"class": "chart__bars"})
    for index, period in enumerate(periods):
        left = _LEFT + _CTX.multiply(band, Decimal(index))
        centre = left + band / 2
        cell = _sub(bars, "g", {"class": "chart__period", "data-period": period.key})
        x = centre - group / 2
        for one, value in zip(series, period.values, strict=True):
            y = _y(value, low, high)
            top, bottom = min(y, zero_y), max(y, zero_y)
            rect = _sub(
                cell,
                "rect",
                {
                    "class": f"chart__bar chart__bar--{one.key}",
                    "data-period": period.key,
                    "data-series": one.key,
                    "data-value": f"{value:f}",
                    "x": _px(x + gap / 2),
                    "y": _px(top),
                    "width": _px(bar - gap),
                    "height": _px(bottom - top),
                    "fill": one.colour,
                },
            )
            _sub(rect, "title", {}, f"{period.long_label}: {one.label} {money_words(value)}")
            if wide:
                _sub(
                    cell,
                    "text",
                    {
                        "class": "chart__value",
                        "x": _px(x + bar / 2),
                        "y": _px(top - 5 if value >= 0 else bottom + 14),
                        "text-anchor": "middle",
                        "font-size": "11",
                        "fill": _TEXT,
                    },
                    compact_money(value, places=1),
                )
            x += bar
        if index % every == 0:
            _sub(
                cell,
                "text",
                {"class": "chart__label", "x": _px(centre), "y": _px(_BOTTOM + 20)},
                period.label if wide else period.key,
            ).set("text-anchor", "middle")
        if wide:
            _sub(
                cell,
                "text",
                {
                    "class": "chart__sublabel",
                    "x": _px(centre),
                    "y": _px(_BOTTOM + 36),
                    "text-anchor": "middle",
                    "fill": _MUTED,
                    "font-size": "11",
                },
                period.sublabel,
            )


def _description(
    summary: str, series: Sequence[Series], periods: Sequence[PeriodValues], empty: str
) -> str:
    if not periods:
        return f"{summary} {empty}"
    parts = [summary]
    for period in periods:
        values = "; ".join(
            f"{one.label} {money_words(value)}"
            for one, value in zip(series, period.values, strict=True)
        )
        parts.append(f"{period.long_label}: {values}.")
    return " ".join(parts)


def _span(start: dt.date, end: dt.date) -> str:
    """ "Nov 1 – Nov 30, 2026", or "Dec 1, 2026 – Jan 31, 2027" across a year's end."""
    if start.year == end.year:
        return f"{start:%b} {start.day} – {end:%b} {end.day}, {end.year}"
    return f"{start:%b} {start.day}, {start.year} – {end:%b} {end.day}, {end.year}"


def _sub(
    parent: ET.Element, tag: str, attributes: dict[str, str], text: str | None = None
) -> ET.Element:
    element = ET.SubElement(parent, tag, attributes)
    if text is not None:
        element.text = text
    return element
