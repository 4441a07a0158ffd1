"""Examples for the evidence pages: the sample's item (recorded without a file) and incident."""

from tests.web.examples import Example


def evidence(sample: object) -> dict[str, object]:
    return {"evidence_id": sample.evidence_id}  # type: ignore[attr-defined]


def incident(sample: object) -> dict[str, object]:
    return {"incident_id": sample.incident_id}  # type: ignore[attr-defined]


EXAMPLES: dict[str, Example] = {
    "evidence.upload": incident,
    "evidence.show": evidence,
    "evidence.view": evidence,
    "evidence.download": evidence,
}
