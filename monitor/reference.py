"""The README's command table, the command reference and the database schema, generated from the
code by cog (``cog -r README.md docs/commands.md docs/schema.md``) and checked by the tests, so
the documents cannot drift from what the program does."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import click
import sqlite_utils
import yaml

ROOT = Path(__file__).resolve().parent.parent


def _commands() -> list[tuple[str, click.Command]]:
    from .cli import cli

    return sorted(cli.commands.items())


def _usage(name: str, command: click.Command) -> str:
    with click.Context(command, info_name=f"supplywatch {name}") as context:
        pieces = command.collect_usage_pieces(context)
    return " ".join([f"supplywatch {name}", *(p for p in pieces if p != "[OPTIONS]")])


def command_table() -> str:
    """One row per command: how to call it and what it is for (the docstring's first line)."""
    rows = ["| command | what it does | takes `--config` |", "|---|---|---|"]
    for name, command in _commands():
        summary = " ".join((command.help or "").strip().split("\n\n")[0].split())
        takes_config = any(isinstance(p, click.Option) and "--config" in p.opts for p in command.params)
        rows.append(f"| `{_usage(name, command)}` | {summary} | {'yes' if takes_config else 'no'} |")
    return "\n".join(rows) + "\n"


def command_reference() -> str:
    """Every command's ``--help``, as the terminal prints it."""
    from click.testing import CliRunner

    from .cli import cli

    parts = []
    for name, command in _commands():
        # a group's subcommands (quote add, index load, ...) have options of their own
        subcommands = sorted(command.commands) if isinstance(command, click.Group) else []
        for words in [[name], *([name, sub] for sub in subcommands)]:
            # prog_name: the usage line reads as the terminal prints it, not "cli add-price"
            result = CliRunner().invoke(cli, [*words, "--help"], prog_name="supplywatch", terminal_width=100)
            parts.append(f"## supplywatch {' '.join(words)}\n\n```\n{result.output.rstrip()}\n```\n")
    return "\n".join(parts)


def schema_reference() -> str:
    """Every table, view and column of a fresh database, with the descriptions Datasette shows."""
    from .store import schema

    conn = sqlite3.connect(":memory:", isolation_level=None)
    schema.migrate(sqlite_utils.Database(conn))  # as a new database is made, Python steps included
    metadata = yaml.safe_load((ROOT / "datasette" / "metadata.yml").read_text(encoding="utf-8"))
    described = metadata["databases"]["supplywatch"]["tables"]
    parts = [f"Schema version {schema.SCHEMA_VERSION}.\n"]
    for kind, name, sql in conn.execute("SELECT type, name, sql FROM sqlite_master WHERE type IN ('table', 'view') "
                                        "ORDER BY type, name"):
        about = described.get(name, {})
        parts.append(f"## {name} ({kind})\n\n{about.get('description', '')}\n")
        columns = [row[1] for row in conn.execute(f"PRAGMA table_info({name})")]
        notes = about.get("columns", {})
        parts.append("| column | meaning |\n|---|---|\n" + "\n".join(f"| `{c}` | {notes.get(c, '')} |" for c in columns) + "\n")
        parts.append(f"```sql\n{sql.strip()}\n```\n")
    return "\n".join(parts)
