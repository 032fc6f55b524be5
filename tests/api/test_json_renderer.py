"""The API's JSON renderer (orjson) writes DRF's JSON renderer's bytes, or leaves it to DRF.

`sitebill.api.renderers.JSONRenderer` is held to `rest_framework.renderers.JSONRenderer` on
Hypothesis-drawn documents of every type the API's answers hold (and a few they don't), and
on the API's own answers: the same bytes, or the same refusal.
"""

from __future__ import annotations

import collections
import datetime as dt
import enum
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rest_framework import renderers
from rest_framework.utils.serializer_helpers import ReturnDict, ReturnList

from sitebill.api.renderers import JSONRenderer
from tests.api.test_pay_app_api_speed import sliding_scale_pay_app

OURS = JSONRenderer()
DRFS = renderers.JSONRenderer()

aware = st.datetimes(timezones=st.sampled_from([dt.UTC, dt.timezone(dt.timedelta(hours=-5))]))
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**64 - 1),
    st.integers(),  # beyond 64 bits too: DRF writes those
    st.text(),
    st.sampled_from(["\u2028", "a\u2029b", "\x00\x1f\x7f", 'quote " and \\ slash', "é → …"]),
    st.decimals(allow_nan=False, allow_infinity=False),
    st.datetimes(),
    aware,
    st.dates(),
    st.times(),
    st.uuids(),
)
documents = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.lists(inner, max_size=4).map(tuple),
        st.dictionaries(st.text(max_size=8), inner, max_size=4),
        st.dictionaries(st.integers(), inner, max_size=2),  # keys that are not strings
        st.dictionaries(st.text(max_size=8), inner, max_size=4).map(
            lambda items: ReturnDict(items, serializer=None)
        ),
        st.lists(inner, max_size=4).map(lambda items: ReturnList(items, serializer=None)),
    ),
    max_leaves=20,
)


def rendered(renderer: Any, data: Any, accepted: str | None = None) -> bytes | str:
    """The bytes, or the name of the error the renderer refused the document with."""
    try:
        written: bytes = renderer.render(data, accepted, {})
    except (TypeError, ValueError) as error:
        return type(error).__name__
    return written


@settings(max_examples=500)
@given(documents)
def test_a_document_is_written_byte_for_byte_as_drf_writes_it(data):
    assert rendered(OURS, data) == rendered(DRFS, data)


def test_text_drf_cannot_encode_is_refused_as_drf_refuses_it():
    # a lone surrogate (text that is not valid Unicode) cannot be written as UTF-8
    data = {"name": "\ud800"}
    assert rendered(OURS, data) == rendered(DRFS, data) == "UnicodeEncodeError"


def test_an_answer_asked_for_indented_is_indented_as_drf_indents_it():
    data = {"lines": [{"id": 1, "amount": "1,250.00", "when": dt.date(2026, 11, 23)}]}
    accepted = "application/json; indent=4"
    assert OURS.render(data, accepted, {}) == DRFS.render(data, accepted, {})
    assert b'\n    "lines"' in OURS.render(data, accepted, {})


@pytest.mark.parametrize(
    "data",
    [{"amount": Decimal("1E+16")}, {"ids": {3}}, {"rows": Decimal("0.1")}],
    ids=["a Decimal outside a field (DRF: a float)", "a set (DRF: a list)", "a small Decimal"],
)
def test_a_value_drf_writes_as_a_float_or_a_list_is_left_to_drf(data, monkeypatch):
    # given DRF's renderer, watched
    calls = []
    drfs_render = renderers.JSONRenderer.render

    def watched(self: Any, *args: Any, **kwargs: Any) -> Any:
        calls.append(args[0])
        return drfs_render(self, *args, **kwargs)

    monkeypatch.setattr(renderers.JSONRenderer, "render", watched)
    # when / then: the same bytes, written by DRF's renderer
    assert OURS.render(data, None, {}) == drfs_render(DRFS, data, None, {})
    assert calls == [data]


class Colour(enum.Enum):
    RED = 1


def moved() -> collections.OrderedDict[str, int]:
    ordered = collections.OrderedDict([("a", 1), ("b", 2)])
    ordered.move_to_end("a")
    return ordered


@pytest.mark.parametrize(
    ("data", "ours", "drfs"),
    [
        ([1e-7], b"[1e-7]", b"[1e-07]"),  # the same number
        ([float("nan")], b"[null]", "ValueError"),
        ([Colour.RED], b"[1]", "TypeError"),
        (moved(), b'{"a":1,"b":2}', b'{"b":2,"a":1}'),
    ],
    ids=["a float", "NaN", "a plain enum", "a reordered OrderedDict"],
)
def test_the_known_differences_are_on_values_the_api_never_writes(data, ours, drfs):
    # sitebill/api/renderers.py names these; the API writes no float, enum or OrderedDict
    assert rendered(OURS, data) == ours
    assert rendered(DRFS, data) == drfs


def test_nothing_is_written_for_no_data():
    assert OURS.render(None, None, {}) == DRFS.render(None, None, {}) == b""


def test_the_pay_apps_answer_is_what_drf_would_have_written(world, api):
    # given a pay app with every kind of line (change orders, releases, a rejected line)
    _first, second = sliding_scale_pay_app(world)
    # when the API answers it
    response = api(world.admin).get(f"/api/v1/pay-apps/{second.pk}/")
    # then the bytes are DRF's renderer's of the same data
    assert response.status_code == 200
    assert type(response.accepted_renderer) is JSONRenderer
    assert response.content == DRFS.render(response.data, "application/json", {})
