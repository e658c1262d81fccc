"""Help that teaches: each command's parser with a paragraph and examples, and the top-level
`leadflow --help` with the commands in groups."""

from __future__ import annotations

import argparse
import textwrap
from typing import Any

#: The groups of `leadflow --help`, in order; a command not named here is listed under
#: "other". Other helpers' commands are named ahead so that they land in the right group.
GROUPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("start and check a policy", ("init", "validate", "schema", "info")),
    ("offline: recorded events, in event time", ("replay", "scorecard", "explain")),
    ("simulation: before rollout", ("simulate", "staff", "compare")),
    ("live: on Kafka", ("worker", "kafka", "loadgen", "notify", "ingest", "sink")),
    ("change the agreement with data", ("review", "backtest", "policy", "plan")),
)

EPILOG = """\
Each command has its own help with examples: `leadflow COMMAND --help`.
Exit status: 0 done; 1 an internal error (a bug: please report it); 2 a usage or input
error (the message names the file, and the line or key, and what was expected).
docs/cli.md lists every command with an example."""


class Formatter(argparse.RawDescriptionHelpFormatter):
    """Keeps the paragraphs and examples as written; wraps option help as usual."""

    def __init__(self, prog: str) -> None:
        super().__init__(prog, max_help_position=30, width=100)


def command(
    sub: Any, name: str, *, help: str, description: str, examples: str, **kwargs: Any
) -> argparse.ArgumentParser:
    """Add sub-command NAME with a one-line HELP (for `leadflow --help`), a DESCRIPTION
    paragraph and EXAMPLES (lines of shell, each with a comment) for `leadflow NAME --help`."""
    parser: argparse.ArgumentParser = sub.add_parser(
        name,
        help=help,
        description="\n\n".join(textwrap.fill(p.strip(), 88) for p in description.split("\n\n")),
        epilog="examples:\n" + "\n".join("  " + line for line in examples.strip().splitlines()),
        formatter_class=Formatter,
        **kwargs,
    )
    return parser


class GroupedParser(argparse.ArgumentParser):
    """`leadflow --help`: the commands listed in GROUPS rather than in one list."""

    def format_help(self) -> str:
        formatter = self._get_formatter()
        formatter.add_usage(self.usage, self._actions, self._mutually_exclusive_groups)
        formatter.add_text(textwrap.fill(self.description or "", 88))
        commands: dict[str, str] = {}
        for action in self._actions:
            if isinstance(action, argparse._SubParsersAction):
                for choice in action._choices_actions:
                    commands[choice.dest] = choice.help or ""
        placed: set[str] = set()
        width = max((len(n) for n in commands), default=8) + 2
        for title, names in GROUPS:
            present = [n for n in names if n in commands]
            if not present:
                continue
            formatter.start_section(title)
            formatter.add_text("\n".join(f"{n:<{width}}{commands[n]}" for n in present))
            formatter.end_section()
            placed.update(present)
        rest = [n for n in commands if n not in placed]
        if rest:
            formatter.start_section("other")
            formatter.add_text("\n".join(f"{n:<{width}}{commands[n]}" for n in rest))
            formatter.end_section()
        for group in self._action_groups:
            actions = [
                a for a in group._group_actions if not isinstance(a, argparse._SubParsersAction)
            ]
            if actions:
                formatter.start_section(group.title)
                formatter.add_arguments(actions)
                formatter.end_section()
        formatter.add_text(self.epilog)
        return formatter.format_help()
