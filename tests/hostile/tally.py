"""How many hostile inputs the package tried, against which routes, fields and commands.

Tests call `TALLY.tried(...)` once per input sent; the package's conftest writes the totals to
test-artifacts/hostile-summary.json when the run ends (docs/security.md quotes them).
"""

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

SUMMARY_PATH = Path(__file__).resolve().parents[2] / "test-artifacts" / "hostile-summary.json"


@dataclass
class Tally:
    inputs: Counter[str] = field(default_factory=Counter)
    routes: set[str] = field(default_factory=set)
    fields: set[tuple[str, str]] = field(default_factory=set)
    commands: set[str] = field(default_factory=set)

    def tried(
        self,
        category: str,
        *,
        route: str | None = None,
        fields: tuple[str, ...] = (),
        command: str | None = None,
        count: int = 1,
    ) -> None:
        """`count` inputs of a category sent to a web route (an endpoint) or a command; the
        fields are that route's or command's (else the category's: stored record fields)."""
        self.inputs[category] += count
        if route is not None:
            self.routes.add(route)
        if command is not None:
            self.commands.add(command)
        owner = route or command or category
        self.fields.update((owner, name) for name in fields)

    def summary(self) -> dict[str, object]:
        return {
            "inputs": sum(self.inputs.values()),
            "inputs_by_category": dict(sorted(self.inputs.items())),
            "web_routes": len(self.routes),
            "fields": len(self.fields),
            "cli_commands": len(self.commands),
            "fields_by_route": {
                owner: sorted(name for route, name in self.fields if route == owner)
                for owner in sorted({route for route, _ in self.fields})
            },
            "route_names": sorted(self.routes),
            "command_names": sorted(self.commands),
        }

    def write(self, path: Path = SUMMARY_PATH) -> None:
        if not self.inputs:
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.summary(), indent=2) + "\n", encoding="utf-8")


TALLY = Tally()
