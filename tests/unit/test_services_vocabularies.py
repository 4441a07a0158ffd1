"""Vocabularies as data: known codes, labels, and an admin adding terms."""

import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from tests.conftest import table_counts
from tests.factories import ACTOR_ID, make_incident
from tracker.domain.errors import InvalidInput
from tracker.services.vocabularies import (
    add_term,
    detect_script,
    known_codes,
    label_for,
    list_terms,
    require_code,
)


def test_seeded_codes_are_known(session: Session) -> None:
    assert {"DET", "RAID", "SELF"} <= known_codes(session, "incident_type")
    assert require_code(session, "perpetrator_type", "state_agent", "perpetrator_type") == (
        "state_agent"
    )
    with pytest.raises(InvalidInput, match="type: unknown incident type 'XYZ'; known: DET, RAID"):
        require_code(session, "incident_type", "XYZ", "type")


def test_labels_in_three_languages(session: Session) -> None:
    detention = next(term for term in list_terms(session, "incident_type") if term.code == "DET")
    assert label_for(detention, "en") == "Arbitrary detention"
    assert label_for(detention, "ru") == "Произвольное задержание"
    assert label_for(detention, "fr") == "Arbitrary detention"


def test_admin_adds_a_term_that_records_may_then_use(session: Session) -> None:
    term = add_term(
        session, vocabulary="incident_type", code="EVIC", label_en="Eviction", actor_id=ACTOR_ID
    )
    assert term.label_az == "Eviction"
    assert list_terms(session, "incident_type")[-1] == term  # new terms sort last
    assert "EVIC" in known_codes(session, "incident_type")
    assert make_incident(session, type="EVIC").type == "EVIC"


@pytest.mark.parametrize(
    ("vocabulary", "code", "label", "message"),
    [
        ("incident_type", "DET", "Detention again", "code: 'DET' already exists"),
        ("colours", "RED", "Red", "vocabulary: no vocabulary named 'colours'"),
        ("incident_type", "has space", "x", "code: use 1 to 40"),
        ("incident_type", "NEW", " ", "label_en: an English label is required"),
    ],
)
def test_invalid_terms_change_nothing(
    engine: Engine, session: Session, vocabulary: str, code: str, label: str, message: str
) -> None:
    before = table_counts(engine)
    with pytest.raises(InvalidInput, match=message):
        add_term(session, vocabulary=vocabulary, code=code, label_en=label, actor_id=ACTOR_ID)
    session.rollback()
    assert table_counts(engine) == before


def test_detect_script() -> None:
    assert detect_script("Əli Məlikov") == "latn"
    assert detect_script("Али Меликов") == "cyrl"
    assert detect_script("123") == "other"


def test_update_term_relabels_and_retires_but_never_recodes(session: Session) -> None:
    from tracker.services.vocabularies import update_term

    term = add_term(
        session, vocabulary="incident_type", code="DOXX", label_en="Doxxing", actor_id=None
    )
    update_term(
        session,
        term_id=term.id,
        expected_version=1,
        changes={"label_az": "Dokslama", "active": False},
        actor_id=None,
    )
    assert term.label_az == "Dokslama"
    assert "DOXX" not in known_codes(session, "incident_type")
    with pytest.raises(InvalidInput, match="never change"):
        update_term(
            session, term_id=term.id, expected_version=2, changes={"code": "DOX"}, actor_id=None
        )
    with pytest.raises(InvalidInput, match="English label"):
        update_term(
            session, term_id=term.id, expected_version=2, changes={"label_en": " "}, actor_id=None
        )
