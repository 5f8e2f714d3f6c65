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



def test_crontab_examples_are_the_line_schedule_prints_and_name_supplywatch_by_its_full_path(tmp_path):
    """Cron's PATH is /usr/bin:/bin: a bare `supplywatch` in a virtualenv is 'not found' there, every night."""
    import re

    from monitor import schedule

    written = schedule.cron_command(tmp_path / "supplywatch.yml")
    assert written.startswith("umask 077; mkdir -p /") and written.endswith("/logs/cron.log 2>&1")
    shape = re.compile(r"umask 077; mkdir -p /\S+/logs; /\S+/supplywatch run --config /\S+/supplywatch\.yml >> /\S+/logs/cron\.log 2>&1")
    run_help = CliRunner().invoke(cli, ["run", "--help"]).output
    for where, text in (("README.md", (REPO / "README.md").read_text()), ("supplywatch run --help", run_help)):
        lines = [line.strip() for line in text.splitlines() if line.strip().startswith("30 2 * * *")]
        assert lines, f"{where} has no crontab line"
        for line in lines:
            assert shape.fullmatch(line.removeprefix("30 2 * * *").strip()), f"{where}: {line!r} is not what `supplywatch schedule` prints"
