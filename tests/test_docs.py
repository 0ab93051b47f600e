"""Every command is documented: in the README, and with an Example in its --help."""

from __future__ import annotations

from pathlib import Path

import click
import pytest

from linker.cli import main

README = (Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")


def all_commands() -> list[tuple[str, click.Command]]:
    found = []
    for name, command in main.commands.items():
        if isinstance(command, click.Group):
            found.extend((f"{name} {sub}", cmd) for sub, cmd in command.commands.items())
        else:
            found.append((name, command))
    return found


@pytest.mark.parametrize(("name", "command"), all_commands())
def test_command_in_readme(name: str, command: click.Command) -> None:
    assert f"linker {name}" in README


@pytest.mark.parametrize(("name", "command"), all_commands())
def test_command_help_has_example(name: str, command: click.Command) -> None:
    assert "Example:" in (command.help or "")
    assert f"linker {name}" in (command.help or "")


def test_readme_opens_with_the_two_setup_commands() -> None:
    head = README[:1500]
    assert "./dev demo" in head and "./dev test" in head
    ci = (Path(__file__).parents[1] / ".ci" / "run").read_text()
    assert "./dev test" in ci
