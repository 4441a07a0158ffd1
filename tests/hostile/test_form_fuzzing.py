"""Generated form data against every form of the web app: never a 500, never a partial write.

For each route taking a POST, a role that may use it signs in, loads the page holding the
form (for its CSRF token and its fields) and posts generated data: any unicode (control
characters and NUL included), numbers, dates, the corpus of payloads, choices valid and not,
fields missing, repeated or unknown, files of every kind. A refused post (4xx, or the form
shown again) must leave every table as it was, and no file in the evidence store.
"""

from typing import Any

import pytest
from flask import Flask
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from sqlalchemy import Engine

from tests.hostile.attack import FormAttack
from tests.hostile.forms import body_of, field_specs, form_data
from tests.hostile.tally import TALLY
from tests.hostile.targets import TARGETS
from tests.hostile.world import World
from tests.web.conftest import Account
from tracker.config import Settings

EXAMPLES_PER_ROUTE = 15


def test_every_route_taking_a_post_is_attacked(app: Flask) -> None:
    posting = {rule.endpoint for rule in app.url_map.iter_rules() if "POST" in (rule.methods or ())}
    assert sorted(posting - TARGETS.keys()) == [], "add these to tests/hostile/targets.py"
    assert sorted(TARGETS.keys() - posting) == [], "these no longer take a POST"


@pytest.mark.parametrize("endpoint", sorted(TARGETS))
def test_generated_form_data_is_refused_cleanly_or_saved(
    app: Flask,
    engine: Engine,
    settings: Settings,
    world: World,
    accounts: dict[str, Account],
    endpoint: str,
) -> None:
    target = TARGETS[endpoint]
    attack = FormAttack(app, engine, settings, world, accounts, endpoint, target)
    form = attack.discover()
    specs = field_specs(form)
    hints = {name: make(world) for name, make in target.hints.items()}
    names = tuple(spec.name for spec in specs)

    @settings_for_routes
    @given(plan=form_data(specs, hints))
    def post_generated(plan: dict[str, Any]) -> None:
        attack.post(lambda current, token: body_of(plan, current, token))
        TALLY.tried("generated form data", route=endpoint, fields=names)

    post_generated()


settings_for_routes = hypothesis_settings(
    max_examples=EXAMPLES_PER_ROUTE,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
