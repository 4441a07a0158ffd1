"""Every UI string has an Azerbaijani and a Russian translation, and the compiled catalogs
are up to date: a missing string fails the suite, not a user's screen."""

import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
TRANSLATIONS = ROOT / "tracker" / "translations"
LANGUAGES = ("az", "ru")


@pytest.fixture(scope="module")
def source_strings(tmp_path_factory: pytest.TempPathFactory) -> Catalog:
    """The strings in the code and templates now, extracted as `make translations` does."""
    output = tmp_path_factory.mktemp("babel") / "messages.pot"
    command = [
        str(Path(sys.executable).with_name("pybabel")),
        "extract",
        "-F",
        "pyproject.toml",
        "-k",
        "_l",
        "--no-location",
        "-o",
        str(output),
        ".",
    ]
    subprocess.run(command, cwd=ROOT, check=True, capture_output=True)
    with output.open("rb") as pot:
        return read_po(pot)


def catalog(language: str) -> Catalog:
    with (TRANSLATIONS / language / "LC_MESSAGES" / "messages.po").open("rb") as po:
        return read_po(po, locale=language)


def message_ids(catalog: Catalog) -> set[str]:
    return {str(message.id) for message in catalog if message.id}


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_string_is_translated(source_strings: Catalog, language: str) -> None:
    translations = catalog(language)
    missing = sorted(
        str(message.id)
        for message in source_strings
        if message.id
        and (
            message.id not in translations
            or not translations[message.id].string
            or translations[message.id].fuzzy
        )
    )
    assert missing == [], f"{language}: run `make translations`, then translate these"


@pytest.mark.parametrize("language", LANGUAGES)
def test_placeholders_survive_translation(language: str) -> None:
    broken = [
        (str(message.id), errors)
        for message in catalog(language)
        if message.id and (errors := list(message.check(catalog(language))))
    ]
    assert broken == []


def plain(value: object) -> object:
    """Plural ids and strings come back as lists from one reader and tuples from the other."""
    return tuple(value) if isinstance(value, list | tuple) else value


@pytest.mark.parametrize("language", LANGUAGES)
def test_compiled_catalog_matches_the_po_file(language: str) -> None:
    with (TRANSLATIONS / language / "LC_MESSAGES" / "messages.mo").open("rb") as mo:
        compiled = read_mo(mo)
    expected = {plain(m.id): plain(m.string) for m in catalog(language) if m.id and m.string}
    actual = {plain(m.id): plain(m.string) for m in compiled if m.id}
    assert actual == expected, f"{language}: run `make translations` to recompile"
