"""The ``supplywatch`` command: click wiring over plain functions in the other modules.

Each module here holds the commands of one part of the owner's day; this one puts them together.
"""

from __future__ import annotations

import click

from . import browse, configure, decide, demo, nightly, operate, tune
from .common import EXIT_HELP, Commands


@click.group(cls=Commands, epilog="Exit codes of `supplywatch run` and `ingest`:\n\n\b\n" + EXIT_HELP)
@click.version_option(package_name="supplywatch")
def cli() -> None:
    """Watch what your suppliers charge for raw materials, and get told when a price moves."""


for _module in (configure, nightly, browse, tune, operate, demo, decide):
    for _name, _command in vars(_module).items():
        if isinstance(_command, click.Command) and not _name.startswith("_"):  # _name: a group's subcommand
            cli.add_command(_command)
