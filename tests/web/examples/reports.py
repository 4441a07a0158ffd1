"""Examples for the report pages: the dossier page of the sample case."""

from tests.web.examples import Example


def case(sample: object) -> dict[str, object]:
    return {"case_id": sample.case_id}  # type: ignore[attr-defined]


EXAMPLES: dict[str, Example] = {"reports.dossier": case}
