"""Person pages: identity shown only to roles allowed, consent, merges, edits and bad input."""

import uuid
from datetime import date
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from tests.conftest import table_counts
from tests.factories import ACTOR_ID, make_person
from tests.web.conftest import Account
from tests.web.sample import Sample, make_sample
from tracker.models import AuditEntry, Person, PersonMerge
from tracker.services.consents import record_consent
from tracker.services.people import add_person_name, update_person
from tracker.services.restrictions import set_restriction

CANARY = "Canary Realname"
ALIAS = "Canary Aliasname"
CONTACT = "Canary phone 0555"


@pytest.fixture
def sample(engine: Engine) -> Sample:
    return make_sample(engine)


def add_identity(engine: Engine, person_id: uuid.UUID) -> None:
    with Session(engine) as session:
        add_person_name(session, person_id=person_id, text=ALIAS, actor_id=ACTOR_ID)
        person = session.get(Person, person_id)
        assert person is not None
        update_person(
            session,
            person_id=person_id,
            expected_version=person.version,
            changes={"contact_info": CONTACT},
            actor_id=ACTOR_ID,
        )
        session.commit()


def load(engine: Engine, person_id: uuid.UUID) -> Person:
    with Session(engine) as session:
        person = session.get(Person, person_id)
        assert person is not None
        return person


def person_urls(sample: Sample) -> list[str]:
    return ["/persons/", f"/persons/{sample.person_id}", "/persons/?q=V-"]


def test_identity_values_reach_only_roles_that_may_see_them(
    engine: Engine, sample: Sample, signed_in: Any
) -> None:
    add_identity(engine, sample.person_id)
    for role in ("lawyer", "reviewer", "admin"):
        page = signed_in(role).get(f"/persons/{sample.person_id}").get_data(as_text=True)
        assert CANARY in page and ALIAS in page and CONTACT in page, role
    for role in ("analyst", "documenter"):
        client = signed_in(role)
        urls = person_urls(sample)
        if role == "documenter":
            urls.append(f"/persons/{sample.person_id}/edit")
        for url in urls:
            response = client.get(url)
            assert response.status_code == 200, (role, url)
            page = response.get_data(as_text=True)
            assert "Canary" not in page, (role, url)
        assert "withheld" in client.get(f"/persons/{sample.person_id}").get_data(as_text=True)


def test_searching_by_name_finds_people_only_for_identity_roles(
    engine: Engine, sample: Sample, signed_in: Any
) -> None:
    add_identity(engine, sample.person_id)
    code = load(engine, sample.person_id).pseudonym_code
    # Names are sealed: only a whole name matches, through its blind index.
    whole = "/persons/?q=canary+ALIASNAME"
    assert code in signed_in("lawyer").get(whole).get_data(as_text=True)
    assert code not in signed_in("lawyer").get("/persons/?q=aliasname").get_data(as_text=True)
    assert code not in signed_in("analyst").get(whole).get_data(as_text=True)
    assert code in signed_in("analyst").get(f"/persons/?q={code}").get_data(as_text=True)


def test_a_restricted_person_is_hidden_from_others(
    engine: Engine, sample: Sample, signed_in: Any, accounts: dict[str, Account]
) -> None:
    with Session(engine) as session:
        set_restriction(
            session,
            model=Person,
            record_id=sample.person_id,
            user_ids=[accounts["lawyer"].user_id],
            actor_id=ACTOR_ID,
        )
        session.commit()
    code = load(engine, sample.person_id).pseudonym_code
    reviewer = signed_in("reviewer")
    assert reviewer.get(f"/persons/{sample.person_id}").status_code == 404
    assert reviewer.get(f"/persons/{sample.person_id}/edit").status_code == 404
    assert code not in reviewer.get("/persons/").get_data(as_text=True)
    assert signed_in("lawyer").get(f"/persons/{sample.person_id}").status_code == 200
    assert signed_in("admin").get(f"/persons/{sample.person_id}").status_code == 200


def test_a_documenter_creates_a_person_and_cannot_read_the_name_back(
    engine: Engine, signed_in: Any
) -> None:
    client = signed_in("documenter")
    response = client.post(
        "/persons/new",
        {
            "role_letter": "W",
            "first_recorded_year": "2019",
            "real_name": "Canary Newname",
            "exact_address": "Canary street 1",
            "age_band": "25_34",
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    person_id = uuid.UUID(response.location.rsplit("/", 1)[1])
    person = load(engine, person_id)
    assert person.pseudonym_code.startswith("W-2019-")
    assert (person.real_name, person.exact_address) == ("Canary Newname", "Canary street 1")
    page = client.get(response.location).get_data(as_text=True)
    assert person.pseudonym_code in page and "Canary" not in page


def test_a_documenter_keeps_withheld_fields_by_leaving_them_empty(
    engine: Engine, sample: Sample, signed_in: Any
) -> None:
    client = signed_in("documenter")
    url = f"/persons/{sample.person_id}/edit"
    fields = {"version": "1", "real_name": "", "age_band": "18_24", "description": "Seen twice"}
    assert client.post(url, fields).status_code == 302
    person = load(engine, sample.person_id)
    assert (person.real_name, person.age_band, person.description) == (
        CANARY,
        "18_24",
        "Seen twice",
    )
    fields = {**fields, "version": str(person.version), "real_name": "Canary Corrected"}
    assert client.post(url, fields).status_code == 302
    assert load(engine, sample.person_id).real_name == "Canary Corrected"


def test_an_edit_conflict_shows_both_versions_and_overwrites_nothing(
    engine: Engine, sample: Sample, signed_in: Any
) -> None:
    client = signed_in("documenter")
    url = f"/persons/{sample.person_id}/edit"
    with Session(engine) as session:
        update_person(
            session,
            person_id=sample.person_id,
            expected_version=1,
            changes={"description": "Theirs", "real_name": "Canary Theirname"},
            actor_id=ACTOR_ID,
        )
        session.commit()
    response = client.post(url, {"version": "1", "description": "Mine", "age_band": "unknown"})
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "Theirs" in page and "Mine" in page and "Canary" not in page
    assert 'name="version" type="hidden" value="2"' in page
    assert load(engine, sample.person_id).description == "Theirs"
    again = client.post(url, {"version": "2", "description": "Mine", "age_band": "unknown"})
    assert again.status_code == 302
    assert load(engine, sample.person_id).description == "Mine"


def test_delete_with_a_reason_then_an_admin_restores(
    engine: Engine, sample: Sample, signed_in: Any
) -> None:
    documenter = signed_in("documenter")
    show = f"/persons/{sample.person_id}"
    refused = documenter.post(f"{show}/delete", {"version": "1", "reason": ""}, form_url=show)
    assert refused.status_code == 400
    deleted = documenter.post(
        f"{show}/delete", {"version": "1", "reason": "Entered twice"}, form_url=show
    )
    assert deleted.status_code == 302
    assert load(engine, sample.person_id).is_deleted
    with Session(engine) as session:
        reasons = list(session.exec(select(AuditEntry.reason)))
    assert "Entered twice" in reasons
    assert documenter.get(show).status_code == 404
    admin = signed_in("admin")
    assert "Entered" not in admin.get("/persons/").get_data(as_text=True)
    code = load(engine, sample.person_id).pseudonym_code
    assert code in admin.get("/persons/?deleted=1").get_data(as_text=True)
    restored = admin.post(f"{show}/restore", {"version": "2"}, form_url=show)
    assert restored.status_code == 302
    assert not load(engine, sample.person_id).is_deleted


def test_consent_is_recorded_and_then_allows_sensitive_fields(
    engine: Engine, sample: Sample, signed_in: Any
) -> None:
    client = signed_in("lawyer")
    show, edit = f"/persons/{sample.person_id}", f"/persons/{sample.person_id}/edit"
    fields = {"version": "1", "real_name": CANARY, "age_band": "unknown", "gender_identity": "x"}
    before = table_counts(engine)
    refused = client.post(edit, fields)
    assert refused.status_code == 400
    assert "record_sensitive" in refused.get_data(as_text=True)
    assert table_counts(engine) == before
    consent = {
        "scope": "record_sensitive",
        "status": "granted",
        "decided_on": "2024-05-01",
        "method": "in person",
    }
    assert client.post(f"{show}/consents", consent, form_url=show).status_code == 302
    page = client.get(show).get_data(as_text=True)
    assert "record_sensitive" in page and "in person" in page and "lawyer" in page
    assert client.post(edit, fields).status_code == 302
    assert load(engine, sample.person_id).gender_identity == "x"
    future = {**consent, "decided_on": "2999-01-01"}
    response = client.post(f"{show}/consents", future, form_url=show)
    assert response.status_code == 400
    assert "future" in response.get_data(as_text=True)


def test_a_reviewer_merges_duplicates_and_undoes_the_merge(engine: Engine, signed_in: Any) -> None:
    with Session(engine, expire_on_commit=False) as session:
        survivor = make_person(session, names=["Əli Məlikov"])
        duplicate = make_person(session, names=["Eli Melikov"])
        session.commit()
    client = signed_in("reviewer")
    show = f"/persons/{survivor.id}"
    page = client.get(show).get_data(as_text=True)
    assert duplicate.pseudonym_code in page  # suggested as a candidate
    assert (
        client.post(
            f"{show}/merge", {"merged_code": duplicate.pseudonym_code, "reason": ""}, form_url=show
        ).status_code
        == 400
    )
    merged = client.post(
        f"{show}/merge",
        {"merged_code": duplicate.pseudonym_code, "reason": "Same person, two spellings"},
        form_url=show,
    )
    assert merged.status_code == 302
    assert load(engine, duplicate.id).is_deleted
    with Session(engine) as session:
        merge = session.exec(select(PersonMerge)).one()
    assert "Undo merge" in client.get(show).get_data(as_text=True)
    undone = client.post(f"{show}/merge/undo", {"merge_id": str(merge.id)}, form_url=show)
    assert undone.status_code == 302
    assert not load(engine, duplicate.id).is_deleted
    again = client.post(f"{show}/merge/undo", {"merge_id": str(merge.id)}, form_url=show)
    assert again.status_code == 400
    assert (
        signed_in("documenter")
        .post(
            f"{show}/merge", {"merged_code": duplicate.pseudonym_code, "reason": "x"}, form_url=show
        )
        .status_code
        == 403
    )


def test_names_are_added_and_removed_by_identity_roles_only(
    engine: Engine, sample: Sample, signed_in: Any
) -> None:
    show = f"/persons/{sample.person_id}"
    lawyer = signed_in("lawyer")
    added = lawyer.post(f"{show}/names", {"text": "Кэнэри", "kind": "chosen"}, form_url=show)
    assert added.status_code == 302
    page = lawyer.get(show).get_data(as_text=True)
    assert "Кэнэри" in page and "cyrl" in page
    assert (
        signed_in("documenter")
        .post(f"{show}/names", {"text": "x", "kind": "chosen"}, form_url=show)
        .status_code
        == 403
    )
    from tracker.services.people import names_of

    with Session(engine) as session:
        name = names_of(session, sample.person_id)[0]
    removed = lawyer.post(f"{show}/names/remove", {"item_id": str(name.id)}, form_url=show)
    assert removed.status_code == 302
    assert "Кэнэри" not in lawyer.get(show).get_data(as_text=True)


BAD_FORMS: list[dict[str, str]] = [
    {"role_letter": "V", "real_name": "x" * 100_000, "age_band": "unknown"},
    {"role_letter": "V", "description": "bad\x00byte", "age_band": "unknown"},
    {"role_letter": "Q", "age_band": "unknown"},
    {"role_letter": "V", "age_band": "'; DROP TABLE person; --"},
    {"role_letter": "V", "first_recorded_year": "1800", "age_band": "unknown"},
]


@pytest.mark.parametrize("fields", BAD_FORMS)
def test_bad_input_writes_nothing(engine: Engine, signed_in: Any, fields: dict[str, str]) -> None:
    client = signed_in("documenter")
    before = table_counts(engine)
    response = client.post("/persons/new", fields)
    assert response.status_code == 400
    assert 'class="field-error"' in response.get_data(as_text=True)
    assert table_counts(engine) == before


def test_markup_is_shown_escaped(engine: Engine, sample: Sample, signed_in: Any) -> None:
    client = signed_in("lawyer")
    payload = "<script>alert(1)</script>"
    edit = f"/persons/{sample.person_id}/edit"
    fields = {"version": "1", "real_name": payload, "age_band": "unknown", "description": payload}
    assert client.post(edit, fields).status_code == 302
    for url in (f"/persons/{sample.person_id}", "/persons/", edit):
        page = client.get(url).get_data(as_text=True)
        assert payload not in page
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_forged_or_missing_tokens_stale_versions_and_unknown_ids(
    engine: Engine, sample: Sample, signed_in: Any
) -> None:
    client = signed_in("lawyer")
    show = f"/persons/{sample.person_id}"
    before = table_counts(engine)
    fields = {"version": "1", "age_band": "unknown", "description": "forged"}
    assert client.post(f"{show}/edit", {**fields, "csrf_token": "forged"}).status_code == 400
    assert client.post(f"{show}/edit", fields, with_token=False).status_code == 400
    stale = client.post(f"{show}/delete", {"version": "7", "reason": "why"}, form_url=show)
    assert stale.status_code == 409
    unknown = uuid.uuid4()
    assert client.get(f"/persons/{unknown}").status_code == 404
    assert client.post(f"/persons/{unknown}/edit", fields, form_url=show).status_code == 404
    merge = client.post(f"{show}/merge/undo", {"merge_id": "not-an-id"}, form_url=show)
    assert merge.status_code in (400, 403)
    removed = client.post(f"{show}/names/remove", {"item_id": str(unknown)}, form_url=show)
    assert removed.status_code == 404
    assert client.get("/persons/not-a-uuid").status_code == 404
    assert client.get("/persons/?page=999999999999&q=%00").status_code == 200
    assert table_counts(engine) == before


def test_consent_for_a_person_the_lawyer_may_not_see_is_refused(
    engine: Engine, sample: Sample, signed_in: Any, accounts: dict[str, Account]
) -> None:
    with Session(engine) as session:
        set_restriction(
            session,
            model=Person,
            record_id=sample.person_id,
            user_ids=[accounts["admin"].user_id],
            actor_id=ACTOR_ID,
        )
        record_consent(
            session,
            person_id=sample.person_id,
            scope="legal_filing",
            status="granted",
            decided_on=date(2024, 1, 1),
            method="signed",
            actor_id=ACTOR_ID,
        )
        session.commit()
    client = signed_in("lawyer")
    before = table_counts(engine)
    consent = {"scope": "legal_filing", "status": "withdrawn", "decided_on": "2024-05-01"}
    response = client.post(f"/persons/{sample.person_id}/consents", consent, form_url="/persons/")
    assert response.status_code == 404
    assert table_counts(engine) == before
