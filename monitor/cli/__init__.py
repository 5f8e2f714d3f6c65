"""The ``supplywatch`` command: click wiring over plain functions in the other modules.

Each module here holds the commands of one part of the owner's day; this one puts them together
and makes every failure one line saying what to do (the full traceback of a crash goes to a file).
"""

from __future__ import annotations

import os
import sqlite3
import sys
import tempfile
import traceback
from typing import Any

import click

from . import browse, configure, decide, demo, nightly, operate, tune
from .common import EXIT_HELP, Commands

EXIT_CRASH = 4


class OwnerGroup(Commands):
    """The ``supplywatch`` group, whose every error is one line, in words, with what to do."""

    def main(self, args: Any = None, prog_name: str | None = None, complete_var: str | None = None,
             standalone_mode: bool = True, **extra: Any) -> Any:
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        try:
            result = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except click.exceptions.Exit as exc:
            sys.exit(exc.exit_code)
        except click.UsageError as exc:
            command = exc.ctx.command_path if exc.ctx else "supplywatch"
            click.echo(f"Error: {exc.format_message()} (see `{command} --help`)", err=True)
            sys.exit(exc.exit_code)
        except click.ClickException as exc:
            click.echo(f"Error: {exc.format_message()}", err=True)
            sys.exit(exc.exit_code)
        except click.Abort:
            click.echo("Stopped.", err=True)
            sys.exit(1)
        except KeyboardInterrupt:
            click.echo("Stopped.", err=True)
            sys.exit(130)
        except OSError as exc:
            where = f" ({exc.filename})" if exc.filename else ""
            click.echo(f"Error: {exc.strerror or exc}{where}; check the path and its permissions", err=True)
            sys.exit(1)
        except sqlite3.DatabaseError as exc:
            click.echo(f"Error: the database could not be used: {exc}; is it a supplywatch database, and is the disk full?", err=True)
            sys.exit(1)
        except RuntimeError as exc:  # e.g. a database written by a newer supplywatch
            click.echo(f"Error: {exc}", err=True)
            sys.exit(1)
        except Exception as exc:  # a bug: one line for the owner, the traceback for whoever fixes it
            if os.environ.get("SUPPLYWATCH_DEBUG"):
                raise
            with tempfile.NamedTemporaryFile("w", prefix="supplywatch-crash-", suffix=".txt", delete=False) as report:
                traceback.print_exc(file=report)
            click.echo(f"Error: supplywatch crashed ({exc.__class__.__name__}: {exc}); the details are in {report.name}, "
                       "please include them when you report it", err=True)
            sys.exit(EXIT_CRASH)
        sys.exit(result if isinstance(result, int) else 0)


@click.group(cls=OwnerGroup, epilog="Exit codes of `supplywatch run` and `ingest`:\n\n\b\n" + EXIT_HELP)
@click.version_option(package_name="supplywatch")
def cli() -> None:
    """Watch what your suppliers charge for raw materials, and get told when a price moves."""


for _module in (configure, nightly, browse, tune, operate, demo, decide):
    for _name, _command in vars(_module).items():
        if isinstance(_command, click.Command) and not _name.startswith("_"):  # _name: a group's subcommand
            cli.add_command(_command)
