"""The one place library errors become click errors (the edge of every command group).

Bad configuration is a usage problem (exit 2); any other LinkerError is a failure with a
message (exit 1). Kept apart from `linker.cli` so command modules that `linker.cli`
imports (`cli_service`, `family.cli`) can use it without an import cycle.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

import click

from linker.errors import ConfigError, LinkerError

F = TypeVar("F", bound=Callable[..., Any])


def errors_to_click(func: F) -> F:
    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except ConfigError as e:
            raise click.UsageError(str(e)) from e
        except LinkerError as e:
            raise click.ClickException(str(e)) from e

    return wrapper  # type: ignore[return-value]
