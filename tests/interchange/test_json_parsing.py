"""orjson reads the file when it can; the standard library reads the rest, or names the problem:
either way the value, and every error message, is the one json.loads gives."""

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tracker.domain.errors import InvalidInput
from tracker.interchange.json_format import parse_json

JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**80), max_value=2**80)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=10),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=5), children, max_size=4)
    ),
    max_leaves=12,
)


def as_changes(value: Any) -> bytes:
    """VALUE where a free-form JSON column holds it."""
    return json.dumps({"audit_entry": [{"changes": value}]}, ensure_ascii=False).encode("utf-8")


@given(JSON_VALUES)
def test_any_json_value_reads_as_the_standard_library_reads_it(value: Any) -> None:
    raw = as_changes(value)
    parsed = parse_json(raw)
    assert parsed == json.loads(raw)
    assert json.dumps(parsed) == json.dumps(json.loads(raw))  # 1 stays 1, not 1.0


def test_integers_past_64_bits_in_free_form_values_stay_whole() -> None:
    parsed = parse_json(as_changes({"count": [2**70, -(2**64) - 1]}))
    assert parsed["audit_entry"][0]["changes"] == {"count": [2**70, -(2**64) - 1]}


def test_a_byte_order_mark_and_lone_surrogates_still_read() -> None:
    assert parse_json(b'\xef\xbb\xbf{"a": 1}') == {"a": 1}
    assert parse_json(b'{"a": "\\ud800"}') == {"a": "\ud800"}


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b'{"a": }', "malformed JSON at line 1, column 7: Expecting value"),
        (b'{"a": 1,\n "b": [1, 2}', "malformed JSON at line 2, column 12: Expecting ',' delimiter"),
        (b'{"a": NaN}', "NaN is not a JSON number"),
        (b'{"a": "\xff"}', "the file is not valid UTF-8 (line 1)"),
        (b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
    ],
)
def test_problems_are_named_as_before(raw: bytes, message: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_json(raw)
    assert message in str(caught.value)
