"""Examples for the search blueprint: its one route takes no URL arguments."""

from tests.web.examples import Example

EXAMPLES: dict[str, Example] = {}
