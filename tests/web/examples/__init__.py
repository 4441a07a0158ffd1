"""URL arguments for every route, one module per blueprint: `EXAMPLES[endpoint](sample)`.

The route test fails for a route with URL arguments and no example here, so a new route
cannot escape the role check. Each module defines `EXAMPLES: dict[str, Example]`.
"""

import importlib
import pkgutil
from collections.abc import Callable
from typing import Any

Example = Callable[[Any], dict[str, Any]]


def all_examples() -> dict[str, Example]:
    examples: dict[str, Example] = {}
    for module_info in pkgutil.iter_modules(__path__):
        module = importlib.import_module(f"{__name__}.{module_info.name}")
        examples.update(module.EXAMPLES)
    return examples
