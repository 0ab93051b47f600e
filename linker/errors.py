"""One family of errors, so the edges (CLI, API) can map them in one place.

A message says what was wrong, what was expected and how to fix it, naming the
file, row and column where there is one. Never put a person's data in a message:
name the column and the row, not the value, unless the value is configuration.
"""

from __future__ import annotations

from collections.abc import Iterable


class LinkerError(Exception):
    """Base of every error this project raises on purpose."""


class ConfigError(LinkerError):
    """A mapping, model or option is wrong. Carries every problem found, not the first."""

    def __init__(self, problems: str | Iterable[str], *, path: str | None = None) -> None:
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        self.path = path
        head = f"{path}: " if path else ""
        if len(self.problems) == 1:
            message = head + self.problems[0]
        else:
            lines = "\n".join(f"  - {p}" for p in self.problems)
            message = f"{head}{len(self.problems)} problems:\n{lines}"
        super().__init__(message)


class DataContractError(LinkerError):
    """Input data does not have the shape promised (missing column, empty extract...)."""


class TrainingError(LinkerError):
    """A model cannot be estimated from the data given."""


class ReviewConflict(LinkerError):
    """A reviewer decision contradicts another one or a hard constraint."""
