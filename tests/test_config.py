"""A bad config names the key, exits 2, and writes nothing."""

from pathlib import Path

import pytest

from monitor import config as config_module
from monitor.rules import rules_for_material
from tests.conftest import supplywatch, write_config

GOOD_MATERIALS = """
- id: walnut
  name: Walnut
  unit: board_foot
  offers:
    - {supplier: acme, url: "http://127.0.0.1:9/p/walnut", pack: 10 board_foot}
"""

BAD = {
    "unknown supplier": (GOOD_MATERIALS.replace("supplier: acme", "supplier: nobody"), "materials[0].offers[0].supplier: unknown supplier 'nobody'"),
    "bad url": (GOOD_MATERIALS.replace("http://127.0.0.1:9/p/walnut", "walnut-page"), "materials[0].offers[0].url"),
    "url port out of range": (GOOD_MATERIALS.replace("127.0.0.1:9/", "127.0.0.1:99999/"),  # no request could be made of it
                              "materials[0].offers[0].url: 'http://127.0.0.1:99999/p/walnut' is not an http(s) URL (Port out of range"),
    "bad unit": (GOOD_MATERIALS.replace("unit: board_foot", "unit: furlongs_per_week"), "materials[0].unit: unknown unit"),
    "pack in wrong dimension": (GOOD_MATERIALS.replace("pack: 10 board_foot", "pack: 5 kg"), "materials[0].offers[0].pack: 5 kg cannot be converted to bd ft"),
    "rule without level": (GOOD_MATERIALS + "  rules: [{kind: threshold}]\n", "materials[0].rules[0]"),
    "unknown rule kind": (GOOD_MATERIALS + "  rules: [{kind: sometimes}]\n", "materials[0].rules[0]"),
    "yaml syntax error": (GOOD_MATERIALS + "  rules: [{kind: threshold, above: 1\n", "not valid YAML"),
    "page size cap out of range": (GOOD_MATERIALS.replace("pack: 10 board_foot", "pack: 10 board_foot, max_download_mb: 5000"),
                                   "materials[0].offers[0].max_download_mb"),
    "night budget not a number": (GOOD_MATERIALS, "crawl.night_budget_minutes"),
    "misspelt key": (GOOD_MATERIALS.replace("pack: 10 board_foot", "pakc: 10 board_foot"),
                     "materials[0].offers[0].pakc: not a setting supplywatch knows; did you mean pack?"),
    "missing name": (GOOD_MATERIALS.replace("  name: Walnut\n", ""), "materials[0].name: missing (it is required)"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_config_exits_2_names_the_key_and_writes_nothing(tmp_path: Path, case: str):
    materials, expected = BAD[case]
    write_config(tmp_path, materials)
    if case == "night budget not a number":
        path = tmp_path / "supplywatch.yml"
        path.write_text(path.read_text().replace("retries: 0}", "retries: 0, night_budget_minutes: all night}"))
    for command in ("check", "run"):
        result = supplywatch(command, cwd=tmp_path)
        assert result.returncode == 2, result.stderr
        assert expected in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["supplywatch.yml"]


def test_missing_environment_variable_is_a_config_error(tmp_path: Path):
    write_config(tmp_path, GOOD_MATERIALS, notify_yaml='urls: [{url: "ntfy://${SW_TEST_UNSET_TOPIC}", tags: [phone]}]')
    with pytest.raises(config_module.ConfigError, match=r"notify.urls\[0\].url: environment variable SW_TEST_UNSET_TOPIC is not set"):
        config_module.load(tmp_path / "supplywatch.yml")


def test_environment_variables_fill_notify_urls(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("SW_TEST_TOPIC", "walnut-alerts")
    write_config(tmp_path, GOOD_MATERIALS, notify_yaml='urls: [{url: "ntfy://${SW_TEST_TOPIC}", tags: [phone]}]')
    assert config_module.load(tmp_path / "supplywatch.yml").notify.urls[0].url == "ntfy://walnut-alerts"


def test_unknown_notification_url_is_a_config_error(tmp_path: Path):
    write_config(tmp_path, GOOD_MATERIALS, notify_yaml='urls: [{url: "carrierpigeon://coop", tags: [phone]}]')
    result = supplywatch("check", cwd=tmp_path)
    assert result.returncode == 2 and "notify.urls[0].url: Apprise does not understand this URL" in result.stderr
    assert "carrierpigeon" not in result.stderr  # URLs carry tokens: never echoed


def test_foreign_currency_needs_an_exchange_rate(tmp_path: Path):
    write_config(tmp_path, GOOD_MATERIALS, suppliers_yaml="- {id: acme, name: Acme, currency: GBP, locale: en_GB}")
    with pytest.raises(config_module.ConfigError, match=r"suppliers\[0\].currency: GBP differs from the home currency USD"):
        config_module.load(tmp_path / "supplywatch.yml")


def test_init_writes_an_example_that_checks(tmp_path: Path):
    assert supplywatch("init", cwd=tmp_path).returncode == 0
    result = supplywatch("check", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "walnut-8-4@bellforest" in result.stdout
    assert "  Black walnut 8/4 FAS, priced per bd ft; rules: threshold (its own, in place of the rules at the bottom of the config)" in result.stdout
    # the example's rules for every other material are at least the defaults: keeping it never drops the run-up alert
    from monitor import config as config_module
    from monitor.rules import DEFAULT_RULES
    example = config_module.load(tmp_path / "supplywatch.yml")
    assert {r.kind for r in DEFAULT_RULES} <= {r.kind for r in example.rules}
    assert supplywatch("init", cwd=tmp_path).returncode != 0  # never overwrites without --force
    assert not (tmp_path / "supplywatch.db").exists()


def test_missing_config_file_exits_2(tmp_path: Path):
    result = supplywatch("run", "--config", "nope.yml", cwd=tmp_path)
    assert result.returncode == 2 and "supplywatch init" in result.stderr


def test_defaults_apply_to_materials_without_rules(tmp_path: Path):
    config = config_module.load(write_config(tmp_path, GOOD_MATERIALS))
    assert [r.kind for r in rules_for_material(config, config.materials[0])] == ["change", "trend", "runup", "stale", "stock"]
    assert config.offers()[0].offer_id == "walnut@acme"
