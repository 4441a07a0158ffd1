"""Fields that identify a person: shown only to roles allowed to see identities."""

# By table: what reveals who someone is, or what could get them hurt if read by the wrong eyes.
IDENTITY_FIELDS: dict[str, frozenset[str]] = {
    "person": frozenset(
        {
            "real_name",
            "contact_info",
            "exact_address",
            "identity_notes",
            "gender_identity",
            "sexual_orientation",
        }
    ),
    "person_name": frozenset({"text", "folded"}),
    "person_merge": frozenset({"snapshot"}),
}
WITHHELD = "[withheld]"


def is_identity_field(table_name: str, field: str) -> bool:
    return field in IDENTITY_FIELDS.get(table_name, frozenset())
