"""`supplywatch schedule` works from any folder: a space, a quote, a percent sign or a dollar in a path
survives the crontab (run as cron runs it, through sh) and the systemd units (read by systemd itself)."""

import os
import re
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import product_page, supplywatch, write_config

AWKWARD = "Bob's supplies 100% $HOME"  # every character a shell, cron or systemd would read as its own


@pytest.fixture(params=[AWKWARD, "my supplies 100%"])
def awkward(request, tmp_path, sites):
    """A config in a folder with an awkward name, and a `supplywatch` program in another such folder
    first on the PATH, as a virtualenv in such a folder would be."""
    folder = tmp_path / request.param
    folder.mkdir()
    shop = sites()
    write_config(folder, f'- {{id: walnut, name: Walnut, unit: board_foot, offers: [{{supplier: acme, url: "{shop.set("w", product_page("12.00"))}"}}]}}')
    bin_folder = tmp_path / f"{request.param} venv" / "bin"
    bin_folder.mkdir(parents=True)
    (bin_folder / "supplywatch").symlink_to(Path(sys.executable).parent / "supplywatch")
    env = {"PATH": f"{bin_folder}{os.pathsep}{os.environ['PATH']}"}
    return folder, bin_folder, env


def as_cron_runs_it(line: str) -> str:
    """The command cron hands to /bin/sh: after the five time fields, up to the first unescaped %,
    with \\% turned into %."""
    command = line.split(None, 5)[5]
    return re.split(r"(?<!\\)%", command)[0].replace("\\%", "%")


def test_crontab_line_runs_through_sh_from_an_awkward_folder(awkward, tmp_path):
    folder, bin_folder, env = awkward
    tab = tmp_path / "crontab"
    result = supplywatch("schedule", "--install", "cron", "--crontab-file", str(tab), cwd=folder, env=env)
    assert result.returncode == 0, result.stderr
    (line,) = [line for line in tab.read_text().splitlines() if "supplywatch" in line and not line.startswith("#")]
    assert str(bin_folder / "supplywatch") in as_cron_runs_it(line).replace("'\"'\"'", "'")  # the program by its full path
    cron = subprocess.run(["sh", "-c", f"umask 000; {as_cron_runs_it(line)}"], cwd=tmp_path, capture_output=True, text=True,
                          env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "SHELL": "/bin/sh"}, timeout=120)
    assert cron.returncode == 0, cron.stderr  # exactly what cron would have run
    log = folder / "logs" / "cron.log"
    assert "run 1: ok" in log.read_text()
    assert stat.S_IMODE(log.stat().st_mode) == 0o600  # private, though the shell's umask was 000
    # Installing again replaces the line instead of adding a second one.
    assert supplywatch("schedule", "--install", "cron", "--crontab-file", str(tab), cwd=folder, env=env).returncode == 0
    assert len([line for line in tab.read_text().splitlines() if "supplywatch" in line and not line.startswith("#")]) == 1


def test_printed_crontab_line_is_the_installed_one(awkward, tmp_path):
    folder, _, env = awkward
    printed = supplywatch("schedule", cwd=folder, env=env)
    assert printed.returncode == 0, printed.stderr
    tab = tmp_path / "crontab"
    installed = supplywatch("schedule", "--install", "cron", "--crontab-file", str(tab), cwd=folder, env=env)
    assert installed.returncode == 0, installed.stderr
    (line,) = [line for line in tab.read_text().splitlines() if "supplywatch" in line and not line.startswith("#")]
    (shown,) = [p for p in printed.stdout.splitlines() if p.startswith("30 2 ")]
    assert as_cron_runs_it(line).partition(" # supplywatch ")[0] == as_cron_runs_it(shown)  # only the marker comment added


def test_printed_crontab_line_pasted_before_any_run_still_runs_and_logs(awkward, tmp_path):
    """No run has made the logs folder yet: the line's ``>> logs/cron.log`` must not fail ("Directory nonexistent")."""
    folder, _, env = awkward
    printed = supplywatch("schedule", cwd=folder, env=env)
    assert printed.returncode == 0, printed.stderr
    assert not (folder / "logs").exists()
    (shown,) = [p for p in printed.stdout.splitlines() if p.startswith("30 2 ")]
    cron = subprocess.run(["sh", "-c", as_cron_runs_it(shown)], cwd=tmp_path, capture_output=True, text=True,
                          env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "SHELL": "/bin/sh"}, timeout=120)
    assert cron.returncode == 0, cron.stderr
    assert "run 1: ok" in (folder / "logs" / "cron.log").read_text()
    assert stat.S_IMODE((folder / "logs").stat().st_mode) == 0o700


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed")
def test_systemd_units_are_read_back_by_systemd_with_the_awkward_paths(awkward, tmp_path):
    folder, bin_folder, env = awkward
    units = tmp_path / "units"
    units.mkdir()
    result = supplywatch("schedule", "--install", "systemd", cwd=folder, env={**env, "HOME": str(tmp_path)})
    assert result.returncode == 0, result.stderr
    written = tmp_path / ".config" / "systemd" / "user"
    service = (written / "supplywatch.service").read_text()
    assert f"WorkingDirectory={folder}".replace("%", "%%") in service
    # systemd-analyze parses the units as systemd does and checks that the program it would start exists:
    # a path split at the space, cut at the quote or expanded at % or $ would not.
    verify = subprocess.run(["systemd-analyze", "verify", str(written / "supplywatch.service"), str(written / "supplywatch.timer")],
                            capture_output=True, text=True, timeout=120)
    assert verify.returncode == 0, verify.stderr
    assert "not executable" not in verify.stderr and "specifier" not in verify.stderr.lower()
    if 'ExecStart="/usr/bin/env"' in service:  # systemd takes no quote or $ in the program's own path
        assert "'" in str(bin_folder) or "$" in str(bin_folder)
        return
    # The same unit with the program's path unquoted is refused: the check above can fail.
    broken = written / "broken.service"
    broken.write_text(re.sub(r'ExecStart="([^"]*)"', lambda m: "ExecStart=" + m.group(1), service))
    assert subprocess.run(["systemd-analyze", "verify", str(broken)], capture_output=True, text=True, timeout=120).returncode != 0
