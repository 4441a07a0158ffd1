"""Examples for the incidents blueprint."""

from tests.web.examples import Example

EXAMPLES: dict[str, Example] = {
    "incidents.show": lambda sample: {"incident_id": sample.incident_id},
    "incidents.edit": lambda sample: {"incident_id": sample.incident_id},
    "incidents.delete": lambda sample: {"incident_id": sample.incident_id},
    "incidents.restore": lambda sample: {"incident_id": sample.incident_id},
    "incidents.add_involvement": lambda sample: {"incident_id": sample.incident_id},
    "incidents.add_citation": lambda sample: {"incident_id": sample.incident_id},
    "incidents.add_link": lambda sample: {"incident_id": sample.incident_id},
}
