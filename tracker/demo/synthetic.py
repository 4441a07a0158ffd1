"""Generate realistic fake incidents at scale, identical for the same seed, in bulk inserts.

Audit: a run writes ONE audit entry (table_name "synthetic") with its seed and counts, not one
per row: the rows are fake, and a hundred thousand audit entries would only slow the run and
bury the real history. Everything else (UUIDs, timestamps) comes from the seed, never the clock.
"""

import random
import uuid
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from pydantic_core import PydanticUndefined
from sqlalchemy import select, text
from sqlmodel import Session, SQLModel, col

from tracker.demo.synthetic_dates import LAST_YEAR, end_after, random_fuzzy_date, year_of
from tracker.demo.synthetic_world import Row, World, WorldBuilder, random_name
from tracker.domain.dates import DatePrecision, DateQualifier, FuzzyDate
from tracker.domain.errors import InvalidInput
from tracker.domain.text import fold_for_search
from tracker.interchange.bulk import bulk_insert, larger_sqlite_cache
from tracker.models import AuditEntry, Incident, Person
from tracker.models.base import TimestampedRecord
from tracker.services.audit import add_audit_entry
from tracker.services.codes import highest_number

BATCH_SIZE = 5_000
# Timestamps count up from here, one second per record, so reruns give identical rows.
BASE_TIME = datetime(2024, 1, 1, tzinfo=UTC)
TYPE_WEIGHTS = {
    "DET": 16,
    "RAID": 5,
    "TORT": 6,
    "SEXV": 3,
    "THRT": 12,
    "HATE": 12,
    "ASLT": 10,
    "KILL": 2,
    "ATMP": 2,
    "ABDU": 2,
    "OUTG": 5,
    "FAMV": 7,
    "RETN": 3,
    "BLKM": 4,
    "SMER": 4,
    "SURV": 3,
    "ASMB": 2,
    "DISC": 5,
    "CONV": 2,
    "NOPR": 4,
    "SELF": 1,
}
# Who is alleged to do what: incident type → perpetrator types to draw from.
PERPETRATORS = {
    "DET": ("state_agent",),
    "RAID": ("state_agent",),
    "TORT": ("state_agent",),
    "RETN": ("state_agent", "family_member"),
    "NOPR": ("state_agent",),
    "SURV": ("state_agent", "state_affiliated"),
    "ASMB": ("state_agent",),
    "SMER": ("state_affiliated", "private_individual"),
    "HATE": ("private_individual", "state_affiliated"),
    "FAMV": ("family_member",),
    "CONV": ("family_member", "non_state_institution"),
    "DISC": ("non_state_institution",),
    "SELF": (),
}
DEFAULT_PERPETRATORS = ("private_individual", "family_member", "intimate_partner", "unknown")
GENDER_IDENTITIES = ("trans woman", "trans man", "non-binary", "woman", "man", "")
AGE_BANDS = ("under_18", "18_24", "25_34", "35_44", "45_54", "55_plus", "unknown")
SECTORS = ("health", "work", "housing", "education")
TABLE_ORDER = (
    "place",
    "place_alias",
    "organisation",
    "organisation_alias",
    "source",
    "person",
    "person_name",
    "consent",
    "incident",
    "involvement",
    "citation",
    "incident_link",
    "case_file",
    "case_incident",
    "case_client",
    "legal_action",
)


@dataclass(frozen=True)
class SyntheticSummary:
    """What one generation run wrote."""

    seed: int
    counts: dict[str, int]

    def __str__(self) -> str:
        shown = ", ".join(f"{count} {table}" for table, count in self.counts.items() if count)
        return f"Synthetic data (seed {self.seed}): {shown}."


def model_defaults(model: type[SQLModel]) -> Row:
    """Each column's default value, so bulk rows carry every key executemany needs."""
    defaults: Row = {}
    for name, info in model.model_fields.items():
        if info.default_factory is not None:
            defaults[name] = info.default_factory()  # type: ignore[call-arg]
        elif info.default is not PydanticUndefined:
            defaults[name] = info.default
    return defaults


def models_by_table() -> dict[str, type[TimestampedRecord]]:
    return {
        str(model.__tablename__): model
        for model in TimestampedRecord.__subclasses__()
        if hasattr(model, "__table__")
    }


@dataclass
class Codes:
    """The next free incident and case number, and pseudonym sequence per prefix."""

    incident: int
    case: int
    pseudonyms: dict[str, int] = field(default_factory=dict)

    def pseudonym(self, letter: str, year: int) -> str:
        prefix = f"{letter}-{year}-"
        self.pseudonyms[prefix] = self.pseudonyms.get(prefix, 0) + 1
        return f"{prefix}{self.pseudonyms[prefix]:03d}"


def free_codes(session: Session) -> Codes:
    """Start after every code in use (the demo, earlier runs), so codes never collide."""
    codes = Codes(
        incident=highest_number(session, Incident.code, "INC-"),
        case=highest_number(session, SQLModel.metadata.tables["case_file"].c.code, "CASE-"),
    )
    for (code,) in session.execute(select(col(Person.pseudonym_code))):
        prefix, _, number = str(code).rpartition("-")
        if number.isdigit():
            codes.pseudonyms[f"{prefix}-"] = max(codes.pseudonyms.get(f"{prefix}-", 0), int(number))
    return codes


class Generator:
    """Draws every record from one seeded random generator and buffers rows per table."""

    def __init__(self, seed: int, codes: Codes) -> None:
        self.rng, self.codes, self.tick = random.Random(seed), codes, 0
        self.run_id = self.new_id()
        self.rows: dict[str, list[Row]] = defaultdict(list)
        self.counts: dict[str, int] = dict.fromkeys(TABLE_ORDER, 0)
        self.recent_victims: list[uuid.UUID] = []
        self.previous: tuple[uuid.UUID, FuzzyDate] | None = None
        self.world = World()

    def new_id(self) -> uuid.UUID:
        return uuid.UUID(int=self.rng.getrandbits(128), version=4)

    def stamp(self) -> datetime:
        self.tick += 1
        return BASE_TIME + timedelta(seconds=self.tick)

    def add(self, table: str, values: Row) -> Row:
        when = self.stamp()
        row = {
            "id": values.get("id") or self.new_id(),
            "created_at": when,
            "updated_at": when,
            "created_by": None,
            "updated_by": None,
            "version": 1,
            "deleted_at": None,
            "deleted_by": None,
            **values,
        }
        self.rows[table].append(row)
        return row

    def build_world(self, count: int) -> None:
        builder = WorldBuilder(self.rng, self.new_id)
        self.world = builder.build(
            source_count=max(10, count // 4), site_count=max(20, count // 100)
        )
        for table in TABLE_ORDER:
            for values in self.world.rows.get(table, []):
                self.add(table, values)

    # --- persons -------------------------------------------------------------------------

    def person(self, letter: str, year: int, *, named: float, deceased: bool = False) -> uuid.UUID:
        rng = self.rng
        names = list(random_name(rng)) if rng.random() < named else []
        person_id = self.add(
            "person",
            {
                "pseudonym_code": self.codes.pseudonym(letter, year),
                "real_name": names[0][0] if names else "",
                # The blind index column turns the name into its digest (tracker.models.sealed).
                "name_index": names[0][0] if names else "",
                "deceased": deceased,
                "gender_identity": rng.choice(GENDER_IDENTITIES) if letter == "V" else "",
                "age_band": rng.choice(AGE_BANDS),
                "description": "Synthetic person.",
            },
        )["id"]
        for name, script, kind in names:
            self.add(
                "person_name",
                {
                    "person_id": person_id,
                    "text": name,
                    "script": script,
                    "kind": kind,
                    "folded": fold_for_search(name),
                },
            )
        if letter == "V" and rng.random() < 0.3:
            self.consents(person_id, year)
        return person_id  # type: ignore[no-any-return]

    def consents(self, person_id: uuid.UUID, year: int) -> None:
        decided_on = date(year, 12, 31)
        for scope in self.rng.sample(
            (
                "record_sensitive",
                "legal_filing",
                "share_partner",
                "name_public",
                "narrative_public",
            ),
            2,
        ):
            status = self.rng.choice(("granted", "granted", "refused", "withdrawn"))
            self.add(
                "consent",
                {
                    "person_id": person_id,
                    "scope": scope,
                    "status": status,
                    "decided_on": decided_on,
                    "method": "synthetic",
                },
            )

    def victim(self, year: int, incident_type: str) -> uuid.UUID:
        if self.recent_victims and self.rng.random() < 0.15:
            return self.rng.choice(self.recent_victims)
        person_id = self.person("V", year, named=0.6, deceased=incident_type == "KILL")
        self.recent_victims = [*self.recent_victims[-199:], person_id]
        return person_id

    # --- incidents -----------------------------------------------------------------------

    def incident(self) -> None:
        rng = self.rng
        incident_type = rng.choices(tuple(TYPE_WEIGHTS), weights=tuple(TYPE_WEIGHTS.values()))[0]
        start = random_fuzzy_date(rng)
        end = (
            end_after(rng, start)
            if incident_type in ("DET", "ABDU") and rng.random() < 0.3
            else None
        )
        self.codes.incident += 1
        row = self.add(
            "incident",
            {
                "code": f"INC-{self.codes.incident:06d}",
                "type": incident_type,
                "title": f"Synthetic {incident_type} incident {self.codes.incident}",
                "secondary_types": self.secondary_types(incident_type),
                **date_columns("start", start),
                **date_columns("end", end),
                "place_id": self.incident_place(incident_type),
                "summary": f"Synthetic {incident_type} record for testing and benchmarks.",
                "sector": rng.choice(SECTORS) if incident_type == "DISC" else "",
                "verification_status": rng.choices(
                    ("unverified", "corroborated", "verified", "disputed"), weights=(50, 25, 20, 5)
                )[0],
                "publishable": rng.random() < 0.3,
                **self.reported_victims(incident_type),
            },
        )
        self.parties(row["id"], incident_type, year_of(start))
        self.citations(row["id"])
        self.link(row["id"], start)
        if rng.random() < 0.02:
            self.case(row["id"], start)

    def secondary_types(self, incident_type: str) -> list[str]:
        others = [code for code in TYPE_WEIGHTS if code != incident_type]
        return sorted(self.rng.sample(others, self.rng.choice((0, 0, 0, 1, 1, 2))))

    def incident_place(self, incident_type: str) -> uuid.UUID | None:
        if incident_type == "HATE":
            online = [place for place in self.world.places if place[1] == "online"]
            return self.rng.choice(online)[0]
        if self.rng.random() < 0.05:
            return None
        return self.rng.choice(self.world.places)[0]

    def reported_victims(self, incident_type: str) -> Row:
        if incident_type not in ("RAID", "ASMB") or self.rng.random() < 0.5:
            return {}
        low = self.rng.randint(5, 60)
        high = low + self.rng.randint(0, 40)
        return {
            "reported_victims_text": f"between {low} and {high} people",
            "reported_victims_min": low,
            "reported_victims_max": high,
        }

    # --- who was involved ----------------------------------------------------------------

    def parties(self, incident_id: uuid.UUID, incident_type: str, year: int) -> None:
        victims = {
            self.victim(year, incident_type)
            for _ in range(self.rng.choices((0, 1, 2, 3), weights=(5, 80, 12, 3))[0])
        }
        for person_id in victims:
            self.add(
                "involvement",
                {
                    "incident_id": incident_id,
                    "role": "victim",
                    "person_id": person_id,
                    **self.victim_details(incident_type),
                },
            )
        choices = PERPETRATORS.get(incident_type, DEFAULT_PERPETRATORS)
        for perpetrator_type in dict.fromkeys(
            self.rng.choices(choices, k=2)[: self.rng.choice((1, 1, 2))] if choices else ()
        ):
            self.perpetrator(incident_id, perpetrator_type, year)
        if self.rng.random() < 0.1:
            self.add(
                "involvement",
                {
                    "incident_id": incident_id,
                    "role": "witness",
                    "person_id": self.person("W", year, named=0.3),
                    "witness_kind": self.rng.choice(("direct", "hearsay")),
                },
            )

    def victim_details(self, incident_type: str) -> Row:
        rng = self.rng
        if incident_type not in ("DET", "RAID"):
            return {"injuries": "bruises (synthetic)" if incident_type in ("ASLT", "TORT") else ""}
        low = rng.randint(0, 15)
        high = low + rng.randint(0, 15)
        return {
            "duration_text": f"{low}–{high} days",
            "duration_days_min": low,
            "duration_days_max": high,
            "outcome": rng.choice(("released", "fined", "")),
            "charges": rng.sample(["AZ-CAO-510", "AZ-CAO-535.1"], rng.randint(0, 2)),
        }

    def perpetrator(self, incident_id: uuid.UUID, perpetrator_type: str, year: int) -> None:
        details: Row = {
            "incident_id": incident_id,
            "role": "alleged_perpetrator",
            "perpetrator_type": perpetrator_type,
            "identified": self.rng.random() < 0.4,
        }
        body = self.perpetrator_body(perpetrator_type)
        if body is None:
            details["person_id"] = self.person("P", year, named=0.7)
        else:
            details["organisation_id"] = body
            details["unit_organisation_id"] = body if perpetrator_type == "state_agent" else None
        self.add("involvement", details)

    def perpetrator_body(self, perpetrator_type: str) -> uuid.UUID | None:
        world, rng = self.world, self.rng
        if perpetrator_type == "state_agent":
            return rng.choice(world.police_units if rng.random() < 0.85 else world.state_bodies)
        if perpetrator_type == "state_affiliated":
            return rng.choice(world.media)
        if perpetrator_type == "non_state_institution":
            return rng.choice(world.institutions)
        return None

    # --- sources, links, cases -----------------------------------------------------------

    def citations(self, incident_id: uuid.UUID) -> None:
        rng = self.rng
        for source_id in rng.sample(self.world.sources, rng.choice((1, 1, 2, 3))):
            self.add(
                "citation",
                {
                    "source_id": source_id,
                    "incident_id": incident_id,
                    "locator": f"paragraph {rng.randint(1, 30)}",
                    "claim": "The source describes the incident (synthetic paraphrase).",
                    "credibility": rng.choices((1, 2, 3, 4, 5, 6), weights=(10, 30, 30, 10, 5, 15))[
                        0
                    ],
                },
            )

    def link(self, incident_id: uuid.UUID, start: FuzzyDate) -> None:
        """Now and then tie an incident to the previous one, the earlier-dated one first."""
        previous, self.previous = self.previous, (incident_id, start)
        if (
            previous is None
            or self.rng.random() > 0.04
            or None in (previous[1].earliest, start.earliest)
        ):
            return
        pair = sorted((previous, (incident_id, start)), key=lambda item: item[1].sort_key)
        self.add(
            "incident_link",
            {
                "from_incident_id": pair[0][0],
                "to_incident_id": pair[1][0],
                "link_type": self.rng.choice(("precedes", "same_operation")),
            },
        )

    def case(self, incident_id: uuid.UUID, start: FuzzyDate) -> None:
        self.codes.case += 1
        case_id = self.add(
            "case_file",
            {
                "code": f"CASE-{self.codes.case:04d}",
                "title": f"Synthetic case {self.codes.case}",
                "status": self.rng.choice(("open", "pending", "closed")),
            },
        )["id"]
        self.add("case_incident", {"case_id": case_id, "incident_id": incident_id})
        if self.recent_victims:
            self.add("case_client", {"case_id": case_id, "person_id": self.recent_victims[-1]})
        self.legal_actions(case_id, start)

    def legal_actions(self, case_id: uuid.UUID, start: FuzzyDate) -> None:
        day = start.latest or start.earliest
        if day is None:
            return
        kinds = ("complaint", "refusal_to_investigate", "appeal", "judgment")
        for kind in kinds[: self.rng.randint(1, len(kinds))]:
            day = min(day + timedelta(days=self.rng.randint(5, 90)), LAST_DAY)
            self.add(
                "legal_action",
                {
                    "case_id": case_id,
                    "kind": kind,
                    "forum": "District court (synthetic)",
                    "filed_on": day_fuzzy(day),
                    "decided_on": day_fuzzy(day),
                    "sentence_months": self.rng.randint(6, 120) if kind == "judgment" else None,
                },
            )

    # --- writing -------------------------------------------------------------------------

    def flush(self, session: Session, defaults: dict[str, Row]) -> None:
        """Write the buffered rows with one executemany per table, parents first."""
        for table in TABLE_ORDER:
            rows = self.rows.pop(table, [])
            if rows:
                bulk_insert(session, SQLModel.metadata.tables[table], defaults[table], rows)
                self.counts[table] += len(rows)


LAST_DAY = date(LAST_YEAR, 12, 31)


def day_fuzzy(day: date) -> FuzzyDate:
    return FuzzyDate(f"{day:%d.%m.%Y}", day, day, DatePrecision.DAY, DateQualifier.EXACT)


def date_columns(prefix: str, fuzzy: FuzzyDate | None) -> Row:
    """An incident's start or end as its five columns (all None for a missing end)."""
    if fuzzy is None:
        return {
            f"{prefix}_{part}": None
            for part in ("text", "earliest", "latest", "precision", "qualifier")
        }
    return {
        f"{prefix}_text": fuzzy.original_text,
        f"{prefix}_earliest": fuzzy.earliest,
        f"{prefix}_latest": fuzzy.latest,
        f"{prefix}_precision": fuzzy.precision.value,
        f"{prefix}_qualifier": fuzzy.qualifier.value,
    }


def table_defaults() -> dict[str, Row]:
    return {table: model_defaults(model) for table, model in models_by_table().items()}


def check_not_generated(session: Session, run_id: uuid.UUID, seed: int) -> None:
    """Raises InvalidInput when this seed's run is already in the database."""
    statement = select(col(AuditEntry.id)).where(
        col(AuditEntry.table_name) == "synthetic", col(AuditEntry.record_id) == run_id
    )
    if session.execute(statement).first() is not None:
        raise InvalidInput(
            f"Synthetic data for seed {seed} is already in this database; choose another seed."
        )


def write_batches(
    session: Session, generator: Generator, count: int, progress: Callable[[int], None]
) -> None:
    defaults = table_defaults()
    for start in range(0, count, BATCH_SIZE):
        batch = min(BATCH_SIZE, count - start)
        for _ in range(batch):
            generator.incident()
        generator.flush(session, defaults)
        progress(batch)


def generate_synthetic(
    session: Session, *, count: int, seed: int, progress: Callable[[int], None]
) -> SyntheticSummary:
    """Write `count` fake incidents with their people, places, sources and cases.

    The same seed on the same database gives identical rows. Calls progress(n) with the
    number of incidents in each batch written. Raises InvalidInput for a count below 1 or a
    seed already generated here.
    """
    if count < 1:
        raise InvalidInput("count: generate at least one incident")
    generator = Generator(seed, free_codes(session))
    check_not_generated(session, generator.run_id, seed)
    generator.build_world(count)
    with larger_sqlite_cache(session):
        write_batches(session, generator, count, progress)
    # Fresh statistics: without them SQLite's planner answers "perpetrator type" filters by
    # scanning every involvement per incident (the role index looks selective to it).
    session.execute(text("ANALYZE"))
    summary = SyntheticSummary(seed=seed, counts=dict(generator.counts))
    add_audit_entry(
        session,
        actor_id=None,
        action="create",
        table_name="synthetic",
        record_id=generator.run_id,
        changes={"seed": [None, seed], "counts": [None, summary.counts]},
        reason="synthetic data: one audit entry per run, not per row",
    )
    return summary
