"""The project's own errors: problems a user can act on, mapped once per interface."""


class TrackerError(Exception):
    """A problem the user can act on; the message is shown as is."""


class InvalidInput(TrackerError):
    """Input that cannot be accepted: the message says what to change."""


class InvalidDate(InvalidInput):
    """A date as typed that cannot be understood without inventing precision."""


class ConfigError(TrackerError):
    """A configuration key that is unknown, mistyped or unsafe."""


class RecordNotFound(TrackerError):
    """No such record, or none the caller may see."""


class EditConflict(TrackerError):
    """Someone saved a newer version of the record meanwhile."""


class AccessDenied(TrackerError):
    """The caller's role does not allow this."""


class DisclosureRefused(TrackerError):
    """Consent or role does not allow this disclosure level."""
