"""The one error this package raises on purpose.

`blocking/` sits below `linker/` and must not import it, so it cannot raise
`linker.errors.ConfigError`. `BlockingError` subclasses `ValueError` (a bad spec or
bad input is a wrong value) and, like `ConfigError`, carries every problem found at
once so a user fixes a spec in one pass. The edges (CLI, API) can map it next to
`LinkerError`. Messages name rules, columns and counts, never a record's values.
"""

from __future__ import annotations

from collections.abc import Iterable


class BlockingError(ValueError):
    """A blocking spec, key spec or the records frame given to them is wrong."""

    def __init__(self, problems: str | Iterable[str]) -> None:
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        if len(self.problems) == 1:
            message = self.problems[0]
        else:
            lines = "\n".join(f"  - {p}" for p in self.problems)
            message = f"{len(self.problems)} problems:\n{lines}"
        super().__init__(message)
