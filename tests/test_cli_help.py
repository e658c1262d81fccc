"""Help that teaches: `leadflow --help` groups the commands; every command has a paragraph
and an example; every option and argument says what it is for."""

from __future__ import annotations

import argparse
from collections.abc import Iterator

import pytest

from leadflow.cli import _parser
from tests.cli_corpus import run_cli


def _commands(
    parser: argparse.ArgumentParser, prefix: str = ""
) -> Iterator[tuple[str, argparse.ArgumentParser]]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield f"{prefix}{name}", sub
                yield from _commands(sub, f"{prefix}{name} ")


COMMANDS = dict(_commands(_parser()))


def test_top_level_help_groups_the_commands() -> None:
    ran = run_cli(["--help"])
    assert ran.code == 0
    titles = [
        "start and check a policy:", "offline: recorded events, in event time:",
        "simulation: before rollout:", "live: on Kafka:",
    ]  # fmt: skip
    positions = [ran.out.index(t) for t in titles]
    assert positions == sorted(positions)
    offline = ran.out[positions[1] : positions[2]]
    assert all(c in offline for c in ("replay", "scorecard", "explain"))
    assert "worker" in ran.out[positions[3] :] and "worker" not in offline
    for name in (n for n in COMMANDS if " " not in n):
        assert f"  {name} " in ran.out


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_every_command_teaches(name: str) -> None:
    parser = COMMANDS[name]
    assert parser.description and len(parser.description) > 40, name
    assert parser.epilog and "examples:" in parser.epilog and "leadflow " in parser.epilog
    for action in parser._actions:
        if isinstance(action, argparse._HelpAction):
            continue
        assert action.help and action.help != argparse.SUPPRESS, (name, action.dest)
    ran = run_cli([*name.split(), "--help"])
    assert ran.code == 0
    assert "examples:" in ran.out


def test_docs_cli_md_has_every_command_with_an_example() -> None:
    from tests.replaying import ROOT

    text = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    blocks = "\n".join(text.split("```sh")[1:])
    for name in (n for n in COMMANDS if " " not in n):
        assert f"### `leadflow {name}" in text, name
        assert f"leadflow {name} " in blocks or f"leadflow {name}\n" in blocks, name
