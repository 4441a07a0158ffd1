"""Examples for the admin and restrictions blueprints."""

import uuid

from tests.web.examples import Example

# Seeded vocabulary terms have fixed ids (see migration 0001): uuid5 of "vocabulary:code".
SEED_NAMESPACE = uuid.UUID("6f1c2a4e-93c5-4d0b-9a51-0d7e3c1f2b10")
DET_TERM_ID = uuid.uuid5(SEED_NAMESPACE, "incident_type:DET")
# Account actions are buttons whose version is checked before the account is looked up, so the
# route walk's bare POST gets 400 whatever the id; no account has this one.
SOME_USER_ID = uuid.UUID("00000000-0000-4000-8000-0000000000ad")

EXAMPLES: dict[str, Example] = {
    "admin.set_roles": lambda sample: {"user_id": SOME_USER_ID},
    "admin.deactivate_user": lambda sample: {"user_id": SOME_USER_ID},
    "admin.reactivate_user": lambda sample: {"user_id": SOME_USER_ID},
    "admin.reset_password": lambda sample: {"user_id": SOME_USER_ID},
    "admin.reset_second_factor": lambda sample: {"user_id": SOME_USER_ID},
    "admin.end_sessions": lambda sample: {"user_id": SOME_USER_ID},
    "admin.vocabulary": lambda sample: {"vocabulary": "incident_type"},
    "admin.add_term": lambda sample: {"vocabulary": "incident_type"},
    "admin.edit_term": lambda sample: {"term_id": DET_TERM_ID},
    "admin.restore": lambda sample: {"table_name": "incident", "record_id": sample.incident_id},
    "restrictions.edit": lambda sample: {"table_name": "incident", "record_id": sample.incident_id},
}
