"""SQLModel tables by family; importing this module registers every table."""

from tracker.models.access import RateLimitCounter, RecordRestriction, RecoveryCode, UserSession
from tracker.models.audit import AuditEntry
from tracker.models.base import TimestampedRecord
from tracker.models.cases import (
    Campaign,
    CampaignIncident,
    Case,
    CaseClient,
    CaseIncident,
    LegalAction,
)
from tracker.models.incidents import Incident, IncidentLink, Involvement
from tracker.models.organisations import Organisation, OrganisationAlias
from tracker.models.people import Consent, Person, PersonMerge, PersonName
from tracker.models.places import Place, PlaceAlias
from tracker.models.sealed import MasterKeyCheck
from tracker.models.search import SearchEntry
from tracker.models.sources import Citation, CustodyEntry, Evidence, Source
from tracker.models.users import Role, UserAccount, UserRole
from tracker.models.vocabularies import VocabularyTerm

__all__ = [
    "AuditEntry",
    "Campaign",
    "CampaignIncident",
    "Case",
    "CaseClient",
    "CaseIncident",
    "Citation",
    "Consent",
    "CustodyEntry",
    "Evidence",
    "Incident",
    "IncidentLink",
    "Involvement",
    "LegalAction",
    "MasterKeyCheck",
    "Organisation",
    "OrganisationAlias",
    "Person",
    "PersonMerge",
    "PersonName",
    "Place",
    "RateLimitCounter",
    "RecordRestriction",
    "RecoveryCode",
    "SearchEntry",
    "PlaceAlias",
    "Role",
    "Source",
    "TimestampedRecord",
    "UserAccount",
    "UserRole",
    "UserSession",
    "VocabularyTerm",
]
