"""Admin pages for vocabularies: listing, adding a term, relabelling with the conflict view."""

import uuid
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from tests.conftest import table_counts
from tests.factories import make_term
from tests.web.conftest import WebClient
from tracker.models import VocabularyTerm
from tracker.services.vocabularies import update_term

VOCABULARY_URL = "/admin/vocabularies/incident_type"
ADD_URL = "/admin/vocabularies/incident_type/terms"


@pytest.fixture
def admin(signed_in: Any) -> WebClient:
    client: WebClient = signed_in("admin")
    return client


def term(engine: Engine, term_id: uuid.UUID) -> VocabularyTerm:
    with Session(engine) as session:
        found = session.get(VocabularyTerm, term_id)
        assert found is not None
        return found


def new_term(engine: Engine) -> VocabularyTerm:
    with Session(engine, expire_on_commit=False) as session:
        created = make_term(session)
        session.commit()
        return created


def edit_values(current: VocabularyTerm, **changes: Any) -> dict[str, Any]:
    values = {
        "label_en": current.label_en,
        "label_az": current.label_az,
        "label_ru": current.label_ru,
        "description": current.description,
        "sort_order": current.sort_order,
        "active": "y" if current.active else "",
        "version": current.version,
    }
    return {**values, **changes}


def test_vocabularies_and_their_terms_are_listed(admin: WebClient) -> None:
    page = admin.get("/admin/vocabularies").get_data(as_text=True)
    assert "incident_type" in page and "perpetrator_type" in page
    terms = admin.get(VOCABULARY_URL).get_data(as_text=True)
    assert "<code>DET</code>" in terms and "<code>RAID</code>" in terms


def test_unknown_vocabulary_or_term_is_not_found(admin: WebClient) -> None:
    assert admin.get("/admin/vocabularies/no_such_list").status_code == 404
    assert admin.get(f"/admin/terms/{uuid.uuid4()}").status_code == 404
    response = admin.post(
        "/admin/vocabularies/no_such_list/terms",
        {"code": "X", "label_en": "X"},
        form_url=VOCABULARY_URL,
    )
    assert response.status_code == 404


def test_add_a_term(admin: WebClient, engine: Engine) -> None:
    values = {"code": "DEPT", "label_en": "Deportation", "label_ru": "Депортация"}
    response = admin.post(ADD_URL, values, form_url=VOCABULARY_URL)
    assert response.status_code == 302
    page = admin.get(VOCABULARY_URL).get_data(as_text=True)
    assert "DEPT" in page and "Депортация" in page


def test_adding_an_existing_code_is_refused_at_the_field(admin: WebClient, engine: Engine) -> None:
    before = table_counts(engine)
    response = admin.post(ADD_URL, {"code": "DET", "label_en": "Again"}, form_url=VOCABULARY_URL)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "already exists" in page and 'value="Again"' in page
    assert table_counts(engine) == before


BAD_TERMS = (
    {"code": "bad code", "label_en": "Label"},
    {"code": "X" * 100_000, "label_en": "Label"},
    {"code": "NUL", "label_en": "nul\x00"},
    {"code": "LONG", "label_en": "y" * 100_000},
    {"code": "NOLABEL", "label_en": ""},
    {"code": "NUL\x00", "label_en": "Label"},
)


def test_adding_bad_input_writes_nothing(admin: WebClient, engine: Engine) -> None:
    before = table_counts(engine)
    for values in BAD_TERMS:
        response = admin.post(ADD_URL, values, form_url=VOCABULARY_URL)
        assert response.status_code == 400, str(values)[:80]
    assert table_counts(engine) == before


def test_markup_in_labels_is_shown_escaped(admin: WebClient) -> None:
    markup = "<script>alert(1)</script>"
    values = {"code": "MARK", "label_en": markup}
    assert admin.post(ADD_URL, values, form_url=VOCABULARY_URL).status_code == 302
    page = admin.get(VOCABULARY_URL).get_data(as_text=True)
    assert markup not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_edit_a_terms_labels(admin: WebClient, engine: Engine) -> None:
    created = new_term(engine)
    url = f"/admin/terms/{created.id}"
    values = edit_values(created, label_az="Deportasiya", active="")
    assert admin.post(url, values).status_code == 302
    saved = term(engine, created.id)
    assert saved.label_az == "Deportasiya" and not saved.active and saved.code == "DEPT"


def test_a_stale_edit_shows_both_versions_and_overwrites_only_when_saved_again(
    admin: WebClient, engine: Engine
) -> None:
    created = new_term(engine)
    url = f"/admin/terms/{created.id}"
    with Session(engine) as session:
        update_term(
            session,
            term_id=created.id,
            expected_version=created.version,
            changes={"label_en": "Expulsion"},
            actor_id=None,
        )
        session.commit()
    before = table_counts(engine)
    mine = edit_values(created, label_en="Forced deportation")
    response = admin.post(url, mine)
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "Expulsion" in page and 'value="Forced deportation"' in page
    assert f'name="version" type="hidden" value="{created.version + 1}"' in page
    assert table_counts(engine) == before
    assert term(engine, created.id).label_en == "Expulsion"
    again = admin.post(url, {**mine, "version": created.version + 1})
    assert again.status_code == 302
    assert term(engine, created.id).label_en == "Forced deportation"


BAD_EDITS = (
    {"label_en": ""},
    {"label_en": "z" * 100_000},
    {"description": "nul\x00"},
    {"sort_order": "many"},
    {"version": "old"},
    {"version": ""},
)


def test_bad_edits_write_nothing(admin: WebClient, engine: Engine) -> None:
    created = new_term(engine)
    before = table_counts(engine)
    for changes in BAD_EDITS:
        response = admin.post(f"/admin/terms/{created.id}", edit_values(created, **changes))
        assert response.status_code == 400, str(changes)[:80]
    assert table_counts(engine) == before
