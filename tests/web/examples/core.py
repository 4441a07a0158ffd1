"""Examples for the core blueprints: auth, account, dashboard, static."""

from tests.web.examples import Example

EXAMPLES: dict[str, Example] = {
    "static": lambda sample: {"filename": "css/tracker.css"},
}
