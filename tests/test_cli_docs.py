"""Every command explains itself: help text with an example, and the README lists it."""

import pytest
from click.testing import CliRunner

from monitor.cli import cli
from tests.conftest import REPO


@pytest.mark.parametrize("name", sorted(cli.commands))
def test_every_command_has_help_with_an_example_and_is_in_the_readme(name):
    result = CliRunner().invoke(cli, [name, "--help"])
    assert result.exit_code == 0
    assert "Example" in result.output, f"`supplywatch {name} --help` has no example"
    assert f"`supplywatch {name}" in (REPO / "README.md").read_text(), f"README does not mention supplywatch {name}"


def test_exit_codes_are_documented_in_help_and_readme():
    help_text = CliRunner().invoke(cli, ["--help"]).output
    readme = (REPO / "README.md").read_text()
    for code in range(5):
        assert f"  {code}  " in help_text and f"`{code}`" in readme
