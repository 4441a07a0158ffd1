"""Code allocation: concurrent writers never receive the same code."""

from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import Engine, select
from sqlmodel import Session, col

from tests.factories import make_case, make_incident, make_person
from tracker.models import Incident
from tracker.services.codes import format_code


def record_in_own_transaction(engine: Engine, reverse: bool) -> None:
    """Allocate three kinds of code; half the writers in the opposite order."""
    steps = [make_incident, make_person, make_case]
    with Session(engine) as session:
        for step in reversed(steps) if reverse else steps:
            step(session)
        session.commit()


def test_concurrent_writers_get_distinct_codes(engine: Engine) -> None:
    with ThreadPoolExecutor(max_workers=4) as pool:
        for future in [
            pool.submit(record_in_own_transaction, engine, number % 2 == 0) for number in range(6)
        ]:
            future.result()  # re-raises a unique-constraint violation or deadlock
    with Session(engine) as session:
        codes = sorted(session.execute(select(col(Incident.code))).scalars())
    assert codes == [format_code("INC-", number, 6) for number in range(1, 7)]


def test_format_code_pads_and_grows() -> None:
    assert format_code("CASE-", 7, 4) == "CASE-0007"
    assert format_code("V-2017-", 1000, 3) == "V-2017-1000"
