"""Find incidents by type, date, place, people and case, as light rows for list screens."""

import enum
import functools
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, ClassVar, Generic, NamedTuple, TypeVar, overload

from sqlalchemy import (
    ColumnElement,
    Date,
    Integer,
    Select,
    Uuid,
    and_,
    bindparam,
    case,
    cast,
    func,
    literal,
    literal_column,
    or_,
    select,
    text,
    type_coerce,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.types import NullType
from sqlmodel import Session, col

from tracker.domain.dates import DatePrecision, DateQualifier, FuzzyDate
from tracker.domain.errors import InvalidInput
from tracker.models import CaseIncident, Incident, Involvement, Place
from tracker.services.records import live
from tracker.services.restrictions import visible_condition_bound

# A place with more incidents than this is read through the list's order (place_condition).
BROAD_PLACE = 1_000
# Filters that find few incidents through their own index: with one, the place index is kept.
INDEXED_INVOLVEMENT_FILTERS = frozenset({"case_id", "person_id", "organisation_id"})
# julianday() of 0001-01-01 is 1721425.5; date(1, 1, 1).toordinal() is 1.
JULIAN_DAY_OF_ORDINAL_ZERO = 1721424.5


class DateMatch(enum.StrEnum):
    """How an incident's date range must meet the period asked for."""

    WHOLLY_WITHIN = "wholly_within"  # the whole range lies in the period
    OVERLAPS = "overlaps"  # wholly or partly within
    PARTLY_WITHIN = "partly_within"  # overlaps without lying wholly inside: "date uncertain"


@dataclass(frozen=True)
class IncidentFilters:
    """What to look for; None means no restriction."""

    type: str | None = None
    date_from: date | None = None
    date_to: date | None = None
    date_match: DateMatch = DateMatch.OVERLAPS
    place_id: uuid.UUID | None = None
    perpetrator_type: str | None = None
    organisation_id: uuid.UUID | None = None
    verification_status: str | None = None
    case_id: uuid.UUID | None = None
    person_id: uuid.UUID | None = None
    include_deleted: bool = False
    # Only incidents this user may see (unrestricted, or restricted with them named); None: all.
    visible_to_user_id: uuid.UUID | None = None


NO_FILTERS = IncidentFilters()


T = TypeVar("T")
Converter = Callable[[Any], Any]


class ListField(Generic[T]):
    """An IncidentListItem attribute: the value at INDEX, converted as it is read."""

    __slots__ = ("index",)

    def __init__(self, index: int) -> None:
        self.index = index

    @overload
    def __get__(self, item: None, owner: type[Any]) -> "ListField[T]": ...

    @overload
    def __get__(self, item: "IncidentListItem", owner: type[Any]) -> T: ...

    def __get__(self, item: "IncidentListItem | None", owner: type[Any]) -> "T | ListField[T]":
        if item is None:
            return self
        value = tuple.__getitem__(item, self.index)
        convert = item.converters[self.index]
        return value if convert is None else convert(value)  # type: ignore[no-any-return]


class IncidentListItem(tuple[Any, ...]):
    """One line of an incident list: what the screen shows, read without an ORM object.

    A tuple of the values as the database driver returned them, each converted when its
    attribute is read: SQLite returns UUIDs, days and timestamps as text, and converting all of
    them on every row of a long list cost more than the query itself. Built with keyword
    arguments (the fields) it holds the typed values; rows compare by their typed values.
    """

    __slots__ = ()
    FIELDS: ClassVar[tuple[str, ...]] = (
        "id",
        "code",
        "title",
        "type",
        "start_text",
        "start_earliest",
        "start_latest",
        "start_precision",
        "start_qualifier",
        "place_id",
        "place_name",
        "verification_status",
        "updated_at",
        "version",
        "deleted_at",
    )
    # Per field, what turns the value held into the attribute's; None: it is that already.
    converters: ClassVar[tuple[Converter | None, ...]] = (None,) * len(FIELDS)

    id = ListField[uuid.UUID](0)
    code = ListField[str](1)
    title = ListField[str](2)
    type = ListField[str](3)
    start_text = ListField[str](4)
    start_earliest = ListField[date | None](5)
    start_latest = ListField[date | None](6)
    start_precision = ListField[str](7)
    start_qualifier = ListField[str](8)
    place_id = ListField[uuid.UUID | None](9)
    place_name = ListField[str | None](10)
    verification_status = ListField[str](11)
    updated_at = ListField[datetime](12)
    version = ListField[int](13)
    deleted_at = ListField[datetime | None](14)

    def __new__(cls, **values: Any) -> "IncidentListItem":
        """A row of typed values; raises TypeError unless every field, and only those, is given."""
        if values.keys() != set(cls.FIELDS):
            raise TypeError(f"IncidentListItem takes exactly the fields {', '.join(cls.FIELDS)}")
        return tuple.__new__(cls, [values[name] for name in cls.FIELDS])

    @classmethod
    def from_driver(cls, values: Any) -> "IncidentListItem":
        """A row of the values as the driver returned them, in FIELDS order (cls converts)."""
        return tuple.__new__(cls, values)

    def typed(self) -> tuple[Any, ...]:
        """Every field's value, converted."""
        return tuple(
            value if convert is None else convert(value)
            for value, convert in zip(tuple.__iter__(self), self.converters, strict=True)
        )

    def _asdict(self) -> dict[str, Any]:
        return dict(zip(self.FIELDS, self.typed(), strict=True))

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, IncidentListItem):
            return NotImplemented
        return self.typed() == other.typed()

    def __ne__(self, other: object) -> bool:
        equal = self.__eq__(other)
        return equal if equal is NotImplemented else not equal

    def __hash__(self) -> int:
        return hash(self.typed())

    def __repr__(self) -> str:
        fields = ", ".join(f"{name}={value!r}" for name, value in self._asdict().items())
        return f"IncidentListItem({fields})"

    @property
    def start(self) -> FuzzyDate:
        return FuzzyDate(
            original_text=self.start_text,
            earliest=self.start_earliest,
            latest=self.start_latest,
            precision=DatePrecision(self.start_precision),
            qualifier=DateQualifier(self.start_qualifier),
        )

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None


# A subquery, not an outer join: SQLite joins every matching row before it sorts, so a first
# page paid a place lookup per incident in the table; the subquery looks up only the page's.
PLACE_NAME = (
    select(col(Place.name)).where(col(Place.id) == col(Incident.place_id)).scalar_subquery()
)

# In IncidentListItem's order.
LIST_COLUMNS: tuple[Any, ...] = (
    Incident.id,
    Incident.code,
    Incident.title,
    Incident.type,
    Incident.start_text,
    Incident.start_earliest,
    Incident.start_latest,
    Incident.start_precision,
    Incident.start_qualifier,
    Incident.place_id,
    PLACE_NAME.label("place_name"),
    Incident.verification_status,
    Incident.updated_at,
    Incident.version,
    Incident.deleted_at,
)
# The same columns with no result types: rows keep what the driver returns, and
# IncidentListItem converts each value when it is read.
DRIVER_COLUMNS: tuple[Any, ...] = tuple(
    type_coerce(column, NullType()).label(name)
    for column, name in zip(LIST_COLUMNS, IncidentListItem.FIELDS, strict=True)
)


@functools.lru_cache(maxsize=16)
def list_row_type(dialect: Dialect) -> type[IncidentListItem]:
    """IncidentListItem converting what this dialect's driver returns, as SQLAlchemy would."""
    converters = tuple(
        column.type.dialect_impl(dialect).result_processor(dialect, None) for column in LIST_COLUMNS
    )
    namespace = {"__slots__": (), "converters": converters}
    return type(f"{dialect.name.capitalize()}IncidentListItem", (IncidentListItem,), namespace)


# --- filters: each one a condition on a bound parameter named after its field ---------------


def range_low() -> Any:
    """The incident's earliest possible day; NULL means open (any time before)."""
    return Incident.start_earliest


def range_high() -> Any:
    """The incident's latest possible day: the end's if it has one; NULL means open."""
    return case(
        (col(Incident.end_text).is_not(None), Incident.end_latest),
        else_=Incident.start_latest,
    )


def date_unknown() -> ColumnElement[bool]:
    columns = (
        Incident.start_earliest,
        Incident.start_latest,
        Incident.end_earliest,
        Incident.end_latest,
    )
    return and_(*(col(column).is_(None) for column in columns))


def ordinal(parameter: str) -> ColumnElement[int]:
    """The bound day as the R*Tree stores days (date.toordinal())."""
    day = func.julianday(bindparam(parameter, type_=Date))
    return cast(day - JULIAN_DAY_OF_ORDINAL_ZERO, Integer)


def span_condition(date_match: DateMatch) -> ColumnElement[bool]:
    """The rule over the R*Tree: open bounds are stored far out, undated incidents not at all."""
    low = literal_column("incident_span.low", Integer)
    high = literal_column("incident_span.high", Integer)
    start, end = ordinal("date_from"), ordinal("date_to")
    overlapping = and_(low <= end, high >= start)
    wholly = and_(low >= start, high <= end)
    spans = {
        DateMatch.OVERLAPS: overlapping,
        DateMatch.WHOLLY_WITHIN: wholly,
        DateMatch.PARTLY_WITHIN: and_(overlapping, ~wholly),
    }[date_match]
    # Boxes are keyed by rowid: several times faster to look incidents up by than their id.
    box = literal_column("incident_span.id", Integer)
    matching = select(box).select_from(text("incident_span")).where(spans)
    return literal_column("incident.rowid", Integer).in_(matching)


def date_condition(date_match: DateMatch, *, spans_indexed: bool) -> ColumnElement[bool]:
    """The honest overlap rule: an open bound runs forever; a wholly unknown date matches none.

    On SQLite, an R*Tree of the ranges (migration 0005) answers it: a B-tree on either end of
    the range reads every incident on one side of the period.
    """
    if spans_indexed:
        return span_condition(date_match)
    return columns_date_condition(date_match)


def columns_date_condition(date_match: DateMatch) -> ColumnElement[bool]:
    """The rule over the incident's own date columns."""
    low, high = range_low(), range_high()
    period_start, period_end = bindparam("date_from", type_=Date), bindparam("date_to", type_=Date)
    wholly = and_(low.is_not(None), low >= period_start, high.is_not(None), high <= period_end)
    overlapping = and_(
        ~date_unknown(),
        or_(low.is_(None), low <= period_end),
        or_(high.is_(None), high >= period_start),
    )
    if date_match == DateMatch.WHOLLY_WITHIN:
        return wholly
    if date_match == DateMatch.PARTLY_WITHIN:
        return and_(overlapping, ~wholly)
    return overlapping


def involved(*conditions: ColumnElement[bool]) -> ColumnElement[bool]:
    """Incidents with a live involvement meeting the conditions."""
    # IN, not a correlated EXISTS: SQLite would otherwise scan every incident and probe its
    # involvements, where IN reads only the matching involvements through their own index.
    statement = select(col(Involvement.incident_id)).where(
        col(Involvement.deleted_at).is_(None), *conditions
    )
    return col(Incident.id).in_(statement)


def perpetrator_condition() -> ColumnElement[bool]:
    return involved(
        col(Involvement.role) == "alleged_perpetrator",
        col(Involvement.perpetrator_type) == bindparam("perpetrator_type"),
    )


def organisation_condition() -> ColumnElement[bool]:
    """The organisation itself or a unit it sent."""
    organisation_id = bindparam("organisation_id", type_=Uuid)
    return involved(
        or_(
            col(Involvement.organisation_id) == organisation_id,
            col(Involvement.unit_organisation_id) == organisation_id,
        )
    )


def place_condition(*, by_order: bool = False) -> ColumnElement[bool]:
    """The place and every place below it, at any depth, deleted ones included.

    by_order (SQLite): a place with many incidents is better found by reading the list's order
    index and checking each incident's place than by reading every incident of the place and
    sorting them; SQLite's planner cannot tell, and a unary + keeps it off the place index.
    """
    # places.descendants_cte builds the same tree around a value; a bound parameter lets one
    # statement serve every place.
    tree = (
        select(col(Place.id))
        .where(col(Place.id) == bindparam("place_id"))
        .cte("place_tree", recursive=True)
    )
    tree = tree.union_all(select(col(Place.id)).where(col(Place.parent_id) == tree.c.id))
    place = literal_column("+incident.place_id") if by_order else col(Incident.place_id)
    return place.in_(select(tree.c.id))


def case_condition() -> ColumnElement[bool]:
    # IN, as for involvements: the case's few memberships come through the case_id index.
    members = select(col(CaseIncident.incident_id)).where(
        col(CaseIncident.case_id) == bindparam("case_id"), col(CaseIncident.deleted_at).is_(None)
    )
    return col(Incident.id).in_(members)


# Filters other than dates, by IncidentFilters field; each condition binds that field's value.
FILTER_CONDITIONS: dict[str, Callable[[], ColumnElement[bool]]] = {
    "type": lambda: col(Incident.type) == bindparam("type"),
    "verification_status": lambda: (
        col(Incident.verification_status) == bindparam("verification_status")
    ),
    "place_id": place_condition,
    "case_id": case_condition,
    "perpetrator_type": perpetrator_condition,
    "organisation_id": organisation_condition,
    "person_id": lambda: involved(col(Involvement.person_id) == bindparam("person_id")),
    "visible_to_user_id": lambda: visible_condition_bound(
        "incident", col(Incident.id), "visible_to_user_id"
    ),
}


class FilterShape(NamedTuple):
    """Which filters are set, without their values: one statement then serves every value."""

    names: frozenset[str]
    date_match: DateMatch | None  # None: no date filter
    include_deleted: bool
    spans_indexed: bool = False  # SQLite's R*Tree of date ranges answers the date filter
    place_by_order: bool = False  # SQLite, a place with many incidents: see place_condition


def shape_of(filters: IncidentFilters, dialect_name: str = "") -> FilterShape:
    names = frozenset(name for name in FILTER_CONDITIONS if getattr(filters, name) is not None)
    dated = filters.date_from is not None or filters.date_to is not None
    date_match = filters.date_match if dated else None
    spans_indexed = dated and dialect_name == "sqlite"
    return FilterShape(names, date_match, filters.include_deleted, spans_indexed)


def bound_values(filters: IncidentFilters) -> dict[str, Any]:
    """The values of the set filters, by the names their conditions bind."""
    values = {name: getattr(filters, name) for name in shape_of(filters).names}
    if filters.date_from is not None or filters.date_to is not None:
        values["date_from"] = filters.date_from or date.min
        values["date_to"] = filters.date_to or date.max
    return values


def condition_of(name: str, shape: FilterShape) -> ColumnElement[bool]:
    if name == "place_id" and shape.place_by_order:
        return place_condition(by_order=True)
    return FILTER_CONDITIONS[name]()


def filtered(statement: Select[Any], shape: FilterShape) -> Select[Any]:
    """Apply every filter of the shape to a query over incidents."""
    conditions = [condition_of(name, shape) for name in sorted(shape.names)]
    if shape.date_match is not None:
        conditions.append(date_condition(shape.date_match, spans_indexed=shape.spans_indexed))
    if not shape.include_deleted:
        statement = live(statement, Incident)
    return statement.where(*conditions)


# --- order ------------------------------------------------------------------------------------


def date_order(descending: bool = False) -> list[Any]:
    """DOMAIN §4: by earliest, then latest; an open bound borrows the other; unknown last."""
    first = func.coalesce(col(Incident.start_earliest), col(Incident.start_latest))
    second = func.coalesce(col(Incident.start_latest), col(Incident.start_earliest))
    if descending:
        return [first.desc().nulls_last(), second.desc().nulls_last(), col(Incident.code).desc()]
    return [first.asc().nulls_last(), second.asc().nulls_last(), Incident.code]


# Sort keys users may choose; columns come from here, never from their text.
SORT_ORDERS: dict[str, Callable[[], list[Any]]] = {
    "date": lambda: date_order(),
    "-date": lambda: date_order(descending=True),
    "code": lambda: [Incident.code],
    "-code": lambda: [col(Incident.code).desc()],
    "created": lambda: [Incident.created_at, Incident.code],
    "-created": lambda: [col(Incident.created_at).desc(), Incident.code],
    "updated": lambda: [col(Incident.updated_at).desc(), Incident.code],
}


def sort_order(sort: str) -> list[Any]:
    """Raises InvalidInput for a sort key not offered."""
    if sort not in SORT_ORDERS:
        raise InvalidInput(f"sort: unknown sort '{sort}'; known: {', '.join(SORT_ORDERS)}")
    return SORT_ORDERS[sort]()


# --- statements -------------------------------------------------------------------------------

# Statements are immutable and hold no values, so one per shape is built once and shared:
# building one and deriving its cache key cost more than running a small list query.


@functools.lru_cache(maxsize=512)
def list_statement(shape: FilterShape, sort: str, *, paged: bool) -> Select[Any]:
    """DRIVER_COLUMNS of matching incidents in the sort order; binds offset, and limit if paged.

    Raises InvalidInput for an unknown sort.
    """
    statement = filtered(select(*DRIVER_COLUMNS), shape).order_by(*sort_order(sort))
    if paged:
        statement = statement.limit(bindparam("limit", type_=Integer))
    return statement.offset(bindparam("offset", type_=Integer))


@functools.lru_cache(maxsize=512)
def count_statement(shape: FilterShape, *, capped: bool = False) -> Select[Any]:
    """The count of matching incidents; capped, of at most `cap` of them (a bound value)."""
    if not capped:
        return filtered(select(func.count()).select_from(Incident), shape)
    matches = filtered(select(literal(1)).select_from(Incident), shape)
    limited = matches.limit(bindparam("cap", type_=Integer)).subquery("matches")
    return select(func.count()).select_from(limited)


# --- use-cases --------------------------------------------------------------------------------


def list_incidents(
    session: Session,
    *,
    filters: IncidentFilters = NO_FILTERS,
    sort: str = "date",
    limit: int | None = None,
    offset: int = 0,
) -> list[IncidentListItem]:
    """Incidents matching the filters, sorted, as list rows (get_incident loads one whole).

    Raises InvalidInput for an unknown sort.
    """
    dialect_name = session.get_bind().dialect.name
    shape = shape_of(filters, dialect_name)
    if dialect_name == "sqlite" and place_is_broad(session, filters, shape):
        shape = shape._replace(place_by_order=True)
    statement = list_statement(shape, sort, paged=limit is not None)
    values = {**bound_values(filters), "limit": limit, "offset": offset}
    if session.autoflush:
        session.flush()  # as session.execute would: the list shows this session's changes
    # The connection returns Core rows; session.execute would pass each row through the ORM's
    # loader again, in Python, which was most of what the old list of Incident objects cost.
    connection = session.connection()
    rows = connection.execute(statement, values).all()
    return list(map(list_row_type(connection.dialect).from_driver, rows))


def count_incidents(
    session: Session, *, filters: IncidentFilters = NO_FILTERS, up_to: int | None = None
) -> int:
    """How many incidents match the filters; with up_to, counting stops past it (a result
    above up_to means "more than up_to"): a broad filter's exact count reads every match."""
    shape = shape_of(filters, session.get_bind().dialect.name)
    values = bound_values(filters)
    if up_to is not None:
        statement = count_statement(shape, capped=True)
        values["cap"] = up_to + 1
    else:
        statement = count_statement(shape)
    return int(session.execute(statement, values).scalar_one())


def place_is_broad(session: Session, filters: IncidentFilters, shape: FilterShape) -> bool:
    """SQLite, filtering by place: does the place hold enough incidents (BROAD_PLACE) that the
    list is faster read in order than gathered and sorted? Counting up to that is cheap."""
    if "place_id" not in shape.names or shape.names & INDEXED_INVOLVEMENT_FILTERS:
        return False
    just_place = IncidentFilters(place_id=filters.place_id, include_deleted=True)
    return count_incidents(session, filters=just_place, up_to=BROAD_PLACE) > BROAD_PLACE
