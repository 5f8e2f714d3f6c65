"""Malformed configs in many shapes (property-based): always a ConfigError naming where, never a
crash, never a write."""

import copy
import re
from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings, strategies as st

from monitor import config as config_module

VALID = {
    "database": "supplywatch.db", "currency": "USD",
    "crawl": {"contact": "owner@example.com", "delay_seconds": 2},
    "notify": {"urls": [{"url": "json://127.0.0.1:9/notify", "tags": ["phone"]}]},
    "suppliers": [{"id": "acme", "name": "Acme", "currency": "USD", "locale": "en_US"}],
    "materials": [{"id": "walnut", "name": "Walnut", "unit": "board_foot",
                   "offers": [{"supplier": "acme", "url": "https://example.com/w", "pack": "10 board_foot"}],
                   "rules": [{"kind": "threshold", "above": 18.5}]}],
    "rules": [{"kind": "change", "percent": 10}],
}
WRONG = st.one_of(st.none(), st.integers(-5, 5), st.floats(allow_nan=False, width=16), st.text(max_size=6),
                  st.lists(st.integers(), max_size=2), st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
                  st.sampled_from(["5 furlongs", "kg", "-1 kg", "ftp://x", "css", "xx_YY", "EURO", "nobody", "median_x"]))


def paths(node, prefix=()):
    yield prefix
    if isinstance(node, dict):
        for key, value in node.items():
            yield from paths(value, prefix + (key,))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from paths(value, prefix + (index,))


ALL_PATHS = [p for p in paths(VALID) if p]


def mutate(data, path, action, value):
    data = copy.deepcopy(data)
    parent = data
    for part in path[:-1]:
        parent = parent[part]
    if action == "delete" and isinstance(parent, dict):
        del parent[path[-1]]
    elif action == "unknown" and isinstance(parent, dict):
        parent["surprise_key"] = value
    else:
        parent[path[-1]] = value
    return data


@settings(max_examples=int(__import__("os").environ.get("FUZZ_EXAMPLES", 150)), deadline=None, derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(path=st.sampled_from(ALL_PATHS), action=st.sampled_from(["replace", "delete", "unknown"]), value=WRONG)
def test_any_broken_config_is_a_clear_config_error(tmp_path: Path, path, action, value):
    broken = mutate(VALID, path, action, value)
    target = tmp_path / "supplywatch.yml"
    target.write_text(yaml.safe_dump(broken))
    before = sorted(p.name for p in tmp_path.iterdir())
    try:
        config_module.load(target)
    except config_module.ConfigError as exc:
        message = str(exc)
        # Every problem line starts with the key path it is about: the one changed, or one that
        # refers to it (an offer naming a supplier whose id changed).
        problems = [line.strip() for line in message.split("\n")[1:]] or [message.split(": ", 1)[1]]
        key = r"(\[\d+\]|\[.*\]|\.?[A-Za-z_][A-Za-z0-9_]*)"
        assert all(re.match(rf"^(\(top level\)|{key}+)[:\s]", line) for line in problems), message
    assert sorted(p.name for p in tmp_path.iterdir()) == before  # nothing written either way


@settings(max_examples=100, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(max_size=200))
def test_any_text_is_a_config_or_a_config_error(tmp_path: Path, text):
    target = tmp_path / "supplywatch.yml"
    target.write_text(text, encoding="utf-8")
    try:
        config_module.load(target)
    except config_module.ConfigError as exc:
        assert str(target) in str(exc)
