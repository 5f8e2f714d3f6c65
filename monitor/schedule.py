"""Running every night: the crontab line or systemd units for a config, and a daemon for hosts
without either. Each run is a fresh process (Scrapy's reactor cannot restart within one)."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Callable

from . import private_files

MARKER = "supplywatch"


def command(config_path: Path) -> str:
    """The command cron or systemd runs, with absolute paths (cron has no PATH worth the name)."""
    program = shutil.which("supplywatch") or f"{sys.executable} -m monitor"
    return f"{program} run --config {config_path.resolve()}"


def parse_time_of_day(text: str) -> tuple[int, int]:
    try:
        hour, minute = (int(part) for part in text.split(":"))
    except ValueError:
        raise ValueError(f"{text!r} is not a time of day such as 02:30") from None
    if not (0 <= hour < 24 and 0 <= minute < 60):
        raise ValueError(f"{text!r} is not a time of day such as 02:30")
    return hour, minute


def crontab_line(config_path: Path, at: str = "02:30") -> str:
    hour, minute = parse_time_of_day(at)
    log = config_path.resolve().parent / "logs" / "cron.log"
    return f"{minute} {hour} * * * umask 077; {command(config_path)} >> {log} 2>&1"  # the log is private


def systemd_units(config_path: Path, at: str = "02:30") -> dict[str, str]:
    hour, minute = parse_time_of_day(at)
    directory = config_path.resolve().parent
    service = (f"[Unit]\nDescription=supplywatch nightly price check ({directory})\nAfter=network-online.target\n\n"
               f"[Service]\nType=oneshot\nWorkingDirectory={directory}\nUMask=0077\nExecStart={command(config_path)}\n"
               "# Secrets (notification tokens) as environment variables, never in the config:\n"
               f"# EnvironmentFile={directory}/supplywatch.env\n")
    timer = (f"[Unit]\nDescription=Run supplywatch every night at {hour:02d}:{minute:02d}\n\n"
             f"[Timer]\nOnCalendar=*-*-* {hour:02d}:{minute:02d}:00\nPersistent=true\nRandomizedDelaySec=300\n\n"
             "[Install]\nWantedBy=timers.target\n")
    return {"supplywatch.service": service, "supplywatch.timer": timer}


def install_crontab(config_path: Path, at: str = "02:30", tabfile: Path | None = None) -> str:
    """Add (or replace) this config's line in the user's crontab; returns the line written."""
    from crontab import CronTab

    cron = CronTab(tabfile=str(tabfile)) if tabfile else CronTab(user=True)
    marker = f"{MARKER} {config_path.resolve()}"
    cron.remove_all(comment=marker)
    line = crontab_line(config_path, at)
    schedule, _, job_command = line.partition(" * * * ")
    job = cron.new(command=job_command, comment=marker)
    minute, hour = schedule.split()
    job.setall(f"{minute} {hour} * * *")
    private_files.make_folder(config_path.resolve().parent / "logs")
    cron.write(str(tabfile)) if tabfile else cron.write()
    return line


def install_systemd(config_path: Path, at: str = "02:30", unit_dir: Path | None = None) -> list[Path]:
    """Write the user service and timer; returns their paths (enable with systemctl --user)."""
    unit_dir = unit_dir or Path.home() / ".config" / "systemd" / "user"
    unit_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in systemd_units(config_path, at).items():
        path = unit_dir / name
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


def next_run(now: datetime, at: str) -> datetime:
    hour, minute = parse_time_of_day(at)
    candidate = now.replace(hour=hour, minute=minute, second=0, microsecond=0)
    return candidate if candidate > now else candidate + timedelta(days=1)


def daemon(config_path: Path, at: str | None, every: float | None, runs: int | None,
           echo: Callable[[str], None] = print, sleep: Callable[[float], None] = time.sleep) -> int:
    """Run the nightly job at ``at`` each day (or every ``every`` seconds), each in a new process."""
    done = 0
    while runs is None or done < runs:
        if every is not None:
            wait = every if done else 0.0
        else:
            wait = (next_run(datetime.now(), at or "02:30") - datetime.now()).total_seconds()
        if wait > 0:
            echo(f"next run in {wait / 3600:.1f} h" if wait > 3600 else f"next run in {wait:.0f} s")
            sleep(wait)
        result = subprocess.run([sys.executable, "-m", "monitor", "run", "--config", str(config_path)], check=False)
        done += 1
        echo(f"run {done} finished with exit code {result.returncode}")
    return 0
