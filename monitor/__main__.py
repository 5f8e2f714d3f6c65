"""``python -m monitor`` is ``supplywatch``."""

from .cli import cli

cli(prog_name="supplywatch")
