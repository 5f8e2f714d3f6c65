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


def _readme_yaml_blocks() -> list[dict]:
    import re

    import yaml

    text = (REPO / "README.md").read_text(encoding="utf-8")
    return [yaml.safe_load(block) for block in re.findall(r"```yaml\n(.*?)```", text, re.S)]


def test_every_yaml_block_of_the_readme_passes_check_in_the_first_config(tmp_path):
    """The README's config is checked as written, and each later block (products, indexes, notify)
    added to it as the README says, with the materials a recipe names and the tokens from the
    environment: `supplywatch check` exits 0 on each, and warns only about the example's
    addresses, which the README tells the owner to replace (README walk)."""
    import yaml

    from tests.conftest import supplywatch

    first, *others = _readme_yaml_blocks()
    assert {"suppliers", "materials", "crawl"} <= set(first)
    fake = "x" * 20  # made here, not written out: values of the shape each service's URL checks
    env = {name: fake for name in ("NTFY_TOPIC", "PUSHOVER_USER", "PUSHOVER_TOKEN", "SMTP_USER", "SMTP_PASS")}
    env |= {"TELEGRAM_BOT_TOKEN": "1" * 9 + ":" + "a" * 35, "TELEGRAM_CHAT_ID": "12345"}
    configs = [first]
    for block in others:
        config = yaml.safe_load(yaml.safe_dump(first))
        for key, value in block.items():
            if key == "materials":  # a block naming a material of the first config adds to it
                for addition in value:
                    next(m for m in config["materials"] if m["id"] == addition["id"]).update(addition)
            else:
                config[key] = value
        for product in block.get("products", []):  # a recipe's materials, sold by a supplier it names
            for supplier in {line["supplier"] for line in product["recipe"].values() if isinstance(line, dict)}:
                config["suppliers"].append({"id": supplier, "name": supplier.replace("-", " ").title(), "currency": "USD"})
            unit = {"each": "each", "ml": "L"}
            for material, line in product["recipe"].items():
                written = line["quantity"] if isinstance(line, dict) else line
                supplier = line["supplier"] if isinstance(line, dict) else "bellforest"
                config["materials"].append({"id": material, "name": material.replace("-", " ").capitalize(),
                                            "unit": unit.get(written.split()[-1].lower(), "kg"),
                                            "offers": [{"supplier": supplier, "url": f"https://shop.test/{material}"}]})
        configs.append(config)
    assert len(configs) >= 4
    for number, config in enumerate(configs):
        path = tmp_path / f"block{number}.yml"
        path.write_text(yaml.safe_dump(config), encoding="utf-8")
        result = supplywatch("check", "--config", str(path), cwd=tmp_path, env=env)
        assert result.returncode == 0, f"README yaml block {number}:\n{result.stdout}{result.stderr}"
        warnings = [line for line in result.stderr.splitlines() if line.startswith("Warning")]
        assert all("example" in line for line in warnings), warnings


def test_the_readme_add_price_command_says_what_the_readme_quotes(tmp_path):
    """`supplywatch add-price walnut-8-4@bellforest 17.90 ...` on the README's own config prints the
    line the README quotes (it quoted "at Bell Forest" for the supplier named Bell Forest Products)."""
    import re
    import shlex

    import yaml

    from tests.conftest import supplywatch

    (tmp_path / "supplywatch.yml").write_text(yaml.safe_dump(_readme_yaml_blocks()[0]), encoding="utf-8")
    readme = " ".join((REPO / "README.md").read_text(encoding="utf-8").split())
    command = re.search(r"`supplywatch (add-price walnut-8-4@bellforest [^`]*)` records one", readme).group(1)
    quoted = re.search(r'says what it stored \("([^"]*)"', readme).group(1)
    result = supplywatch(*shlex.split(command), cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == quoted


def test_the_first_config_steps_say_what_the_readme_says_they_say(tmp_path):
    """README "Your first config": `init` writes the file and says to edit it; `check` on it ends with
    OK (exit 0) and warns about the example's contact and pages the owner must replace (README walk:
    the README went from init straight to run, with no word on what check's lines mean)."""
    from tests.conftest import supplywatch

    written = supplywatch("init", cwd=tmp_path)
    assert written.returncode == 0 and "Edit it" in written.stdout
    checked = supplywatch("check", cwd=tmp_path)
    assert checked.returncode == 0 and ": OK." in checked.stdout.splitlines()[0]
    warnings = [line for line in checked.stderr.splitlines() if line.startswith("Warning:")]
    assert any("you@example.com" in line for line in warnings) and any("example.com/" in line for line in warnings)
    readme = " ".join((REPO / "README.md").read_text(encoding="utf-8").split())
    assert "`Warning:` lines under `OK` say what is still the example's" in readme


def test_the_readme_scrapyd_conf_reads_as_scrapyd_reads_it(tmp_path):
    """The README's scrapyd.conf had comments after the values: scrapyd's own config reader took them
    for part of the values and scrapyd would not start ("could not convert string to float" for
    poll_interval; README walk). The password is no line of it: scrapyd reads SCRAPYD_PASSWORD."""
    import os
    import re

    from scrapyd.config import Config

    readme = (REPO / "README.md").read_text(encoding="utf-8")
    block = re.search(r"^```\n(\[scrapyd\]\n.*?)^```", readme, re.S | re.M).group(1)
    (tmp_path / "scrapyd.conf").write_text(block, encoding="utf-8")
    here = os.getcwd()
    try:
        os.chdir(tmp_path)  # scrapyd reads ./scrapyd.conf, as on the node
        config = Config()
    finally:
        os.chdir(here)
    assert config.get("bind_address") == "10.0.0.5" and config.get("username") == "supplywatch"
    assert config.get("password", "") == "" and "SCRAPYD_PASSWORD" in readme and config.get("items_dir") == "/var/lib/scrapyd/items"
    assert config.getint("jobs_to_keep") == 100 and config.getfloat("poll_interval") == 1
