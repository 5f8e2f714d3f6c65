"""Docs that cannot drift and code that stays honest: the README's command table, the command
reference and the schema are what the code generates (cog), and ruff and mypy pass on the package."""

import subprocess
import sys

from tests.conftest import REPO

GENERATED = ["README.md", "docs/commands.md", "docs/schema.md"]


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", *args], cwd=REPO, capture_output=True, text=True, timeout=600)


def test_generated_docs_match_the_code():
    result = run("cogapp", "--check", *GENERATED)
    assert result.returncode == 0, f"run `cog -r {' '.join(GENERATED)}`:\n{result.stdout}{result.stderr}"


def test_readme_command_table_lists_every_command_and_who_takes_config():
    from monitor.cli import cli

    readme = (REPO / "README.md").read_text(encoding="utf-8")
    for name, command in cli.commands.items():
        takes_config = any("--config" in getattr(p, "opts", []) for p in command.params)
        row = next(line for line in readme.splitlines() if line.startswith(f"| `supplywatch {name}"))
        assert row.endswith("| yes |" if takes_config else "| no |"), row


def test_ruff_finds_nothing_in_the_package_its_tests_and_benchmarks():
    result = run("ruff", "check", "monitor", "spiders", "datasette", "tests", "benchmarks")
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_finds_nothing_in_the_package():
    result = run("mypy", "monitor", "spiders")
    assert result.returncode == 0, result.stdout + result.stderr


def test_readme_says_the_demo_history_is_the_real_spike_moved_onto_the_last_nights():
    """The README said the demo "follows the real 2020–21 lumber price spike" while every date it
    shows is of the last four months (newcomer's README walk): it says which months are squeezed
    into how many nights, and that they are moved to end last night, as the demo does."""
    from monitor.cli.demo import demo
    from monitor.demo.site import REAL_END, REAL_START

    nights = next(p.default for p in demo.params if p.name == "nights")
    readme = " ".join((REPO / "README.md").read_text(encoding="utf-8").split())
    said = (f"last {nights} nights (their prices follow the shape of the real lumber price spike of {REAL_START:%B %Y} to "
            f"{REAL_END:%B %Y}, squeezed into those {nights} nights and moved to end last night: the dates you see are")
    assert said in readme
    assert "during the 2021 lumber spike" not in readme


def test_command_reference_reads_as_the_terminal_and_has_every_subcommand():
    """docs/commands.md printed "Usage: cli add-price" where the terminal says "Usage: supplywatch
    add-price", and left out the options of `quote add`, `index load` and the other subcommands the
    README promises it holds (README walk)."""
    import click

    from monitor.cli import cli

    reference = (REPO / "docs" / "commands.md").read_text(encoding="utf-8")
    assert "Usage: cli " not in reference
    for name, command in cli.commands.items():
        assert f"Usage: supplywatch {name} " in reference, name
        for sub in getattr(command, "commands", {}) if isinstance(command, click.Group) else {}:
            assert f"## supplywatch {name} {sub}\n" in reference and f"Usage: supplywatch {name} {sub} " in reference
