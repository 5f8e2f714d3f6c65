"""Installing supplywatch as the README says prints no deprecation from the build backend: a warning on
every install teaches the owner to ignore warnings, and setuptools turns this one into an error later."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import REPO


def test_building_the_package_prints_no_setuptools_deprecation():
    # What `pip install -e .` builds first (the metadata, in pip's isolated build environment), without installing.
    result = subprocess.run([sys.executable, "-m", "pip", "install", "--dry-run", "--no-deps", "--ignore-installed", "--no-cache-dir", str(REPO)],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    output = result.stdout + result.stderr
    assert "Would install supplywatch-0.1.0" in output
    assert "deprecated" not in output.lower() and "project.license" not in output
