"""The API's JSON: DRF's `JSONRenderer`, its bytes written by orjson.

The G703 of a 2,000-line pay app is 1.4 MB of JSON; the standard library's encoder took
12-15 ms of every read of it (measured here), orjson about a tenth of that. The answer is
the same, byte for byte (`tests/api/test_json_renderer.py` holds the two renderers to it on
Hypothesis-drawn documents and on the API's own answers):

- compact separators, UTF-8 text as it is (DRF's COMPACT_JSON and UNICODE_JSON, both on),
  U+2028 and U+2029 escaped as DRF escapes them;
- dates, times, UUIDs, lazy strings and the other types DRF's encoder turns into a string
  go through that encoder (`default`); anything it would turn into something else (a
  Decimal into a float, a queryset into a list), any integer beyond 64 bits, a dict key
  that is not a string, and text that is not valid Unicode go to DRF's own renderer, as
  does an answer asked for indented (`Accept: application/json; indent=4`).

Differences are left only on values the API never writes (its money, rates and quantities
are strings, its counts and ids integers, its objects plain dicts): a float is written in
orjson's shortest form ("1e-7" where the standard library writes "1e-07": the same number),
NaN or an infinity as null where DRF's strict renderer refuses it, a plain `enum.Enum` as its
value where DRF refuses it, and a dict subclass (an OrderedDict after `move_to_end`, a dict
overriding `items`) in the order its items are stored. The tests name each of these.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson
from rest_framework import renderers
from rest_framework.utils.encoders import JSONEncoder

_OPTIONS = orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS
_DRF = JSONEncoder()


class _NotAString(TypeError):
    """DRF's encoder would write this value as something other than a string."""


def _default(value: Any) -> str:
    """What DRF's encoder writes for a value JSON has no type for, when that is a string."""
    written = _DRF.default(value)
    if type(written) is not str:
        raise _NotAString(type(value).__name__)
    return written


class JSONRenderer(renderers.JSONRenderer):
    def render(
        self,
        data: Any,
        accepted_media_type: str | None = None,
        renderer_context: Mapping[str, Any] | None = None,
    ) -> bytes:
        if data is None:
            return b""
        indent = self.get_indent(accepted_media_type or "", dict(renderer_context or {}))
        if indent is not None or self.ensure_ascii or not self.compact:
            return super().render(data, accepted_media_type, renderer_context)
        try:
            written = orjson.dumps(data, default=_default, option=_OPTIONS)
        except TypeError:  # orjson.JSONEncodeError is one; so is _NotAString
            return super().render(data, accepted_media_type, renderer_context)
        # DRF's escapes, so that the answer is also a strict JavaScript subset.
        return written.replace(b"\xe2\x80\xa8", b"\\u2028").replace(b"\xe2\x80\xa9", b"\\u2029")
