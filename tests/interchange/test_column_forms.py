"""The column-wide form checks agree with the patterns they stand for, value by value."""

from datetime import datetime

from hypothesis import example, given
from hypothesis import strategies as st

from tracker.interchange.columns import MOMENT_FORM, moment_form_holds, uuid_form_holds
from tracker.interchange.tables import UUID_FORM

HEX = "0123456789abcdefABCDEF"
NEAR_UUID = st.lists(st.sampled_from([*HEX, "-", "g", " ", "\n", "٣"]), min_size=34, max_size=38)
NEAR_MOMENT = st.lists(
    st.sampled_from([*"0123456789", "-", "T", ":", ".", "+", "Z", " ", "٣"]),
    min_size=30,
    max_size=34,
)


def uuid_by_pattern(value: str) -> bool:
    return bool(UUID_FORM.fullmatch(value))


def moment_by_pattern(value: str) -> bool:
    if not MOMENT_FORM.fullmatch(value):
        return False
    try:
        datetime.fromisoformat(value)
    except ValueError:
        return False
    return True


def uuid_like(characters: list[str]) -> str:
    """Mostly the form, hyphens in place, so near misses are common."""
    text = "".join(characters)
    if len(text) == 36 and not text.startswith("-"):
        text = f"{text[:8]}-{text[9:13]}-{text[14:18]}-{text[19:23]}-{text[24:]}"
    return text


@given(st.lists(NEAR_UUID.map(uuid_like), min_size=1, max_size=4))
@example(["0d8c76fe-f91c-482f-88ed-de1346c5a809"])
@example(["0D8C76FE-F91C-482F-88ED-DE1346C5A809"])
@example(["", "0d8c76fe-f91c-482f-88ed-de1346c5a8090d8c76fe-f91c-482f-88ed-de1346c5a809"])
def test_uuids_pass_as_the_pattern_says(values: list[str]) -> None:
    assert uuid_form_holds(values) == all(map(uuid_by_pattern, values))


def moment_like(characters: list[str]) -> str:
    text = "".join(characters)
    if len(text) == 32:
        digits = [char if char.isdigit() else "0" for char in text]
        text = (
            f"{''.join(digits[0:4])}-{''.join(digits[5:7])}-{''.join(digits[8:10])}"
            f"T{''.join(digits[11:13])}:{''.join(digits[14:16])}:{''.join(digits[17:19])}"
            f".{''.join(digits[20:26])}+{''.join(digits[27:29])}:{''.join(digits[30:32])}"
        )
    return text


@given(st.lists(NEAR_MOMENT.map(moment_like), min_size=1, max_size=4))
@example(["2024-02-29T23:59:58.000001+00:00"])
@example(["2023-02-29T10:00:00.000000+00:00"])
@example(["2024-01-01T24:00:00.000000+00:00", "2024-01-01T00:00:00.000000+00:00"])
@example(["2024-01-01T00:00:60.000000+00:00"])
@example(["0000-01-01T00:00:00.000000+00:00"])
@example(["2024-01-01T00:00:00.000000Z"])
@example(["2024-01-01T00:00:00.000000+01:00"])
@example(["2024-01-01T00:00:00.000000+00:00", "2024-01-01T00:00:00.000000+00:01"])
def test_moments_pass_as_the_pattern_says(values: list[str]) -> None:
    assert moment_form_holds(values) == all(map(moment_by_pattern, values))


def test_values_of_another_kind_never_pass() -> None:
    assert not uuid_form_holds([None])
    assert not moment_form_holds([1])
