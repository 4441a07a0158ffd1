"""Examples for the case, person, place, organisation and source pages."""

from tests.web.examples import Example


def person(sample: object) -> dict[str, object]:
    return {"person_id": sample.person_id}  # type: ignore[attr-defined]


def case(sample: object) -> dict[str, object]:
    return {"case_id": sample.case_id}  # type: ignore[attr-defined]


def legal_action(sample: object) -> dict[str, object]:
    return {
        "case_id": sample.case_id,  # type: ignore[attr-defined]
        "legal_action_id": sample.legal_action_id,  # type: ignore[attr-defined]
    }


def place(sample: object) -> dict[str, object]:
    return {"place_id": sample.place_id}  # type: ignore[attr-defined]


def organisation(sample: object) -> dict[str, object]:
    return {"organisation_id": sample.organisation_id}  # type: ignore[attr-defined]


def source(sample: object) -> dict[str, object]:
    return {"source_id": sample.source_id}  # type: ignore[attr-defined]


RECORD_VIEWS = ("show", "edit", "delete", "restore")
EXAMPLES: dict[str, Example] = {
    **{f"persons.{view}": person for view in RECORD_VIEWS},
    **{
        f"persons.{view}": person
        for view in ("add_name", "remove_name", "record_consent", "merge", "undo_merge")
    },
    **{f"cases.{view}": case for view in RECORD_VIEWS},
    **{
        f"cases.{view}": case
        for view in (
            "add_incident",
            "remove_incident",
            "add_client",
            "remove_client",
            "add_legal_action",
        )
    },
    **{f"cases.{view}": legal_action for view in ("edit_legal_action", "delete_legal_action")},
    **{f"places.{view}": place for view in (*RECORD_VIEWS, "add_alias", "remove_alias")},
    **{
        f"organisations.{view}": organisation
        for view in (*RECORD_VIEWS, "add_alias", "remove_alias")
    },
    **{f"sources.{view}": source for view in RECORD_VIEWS},
}
