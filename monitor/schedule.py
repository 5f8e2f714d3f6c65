"""Running every night: the crontab line or systemd units for a config, and a daemon for hosts
without either. Each run is a fresh process (Scrapy's reactor cannot restart within one)."""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Callable

from . import private_files

MARKER = "supplywatch"


def command_words(config_path: Path) -> list[str]:
    """The command cron or systemd runs, word by word, with absolute paths (cron has no PATH worth
    the name)."""
    program = shutil.which("supplywatch")
    words = [*([str(Path(program).absolute())] if program else [sys.executable, "-m", "monitor"]), "run", "--config", str(config_path.resolve())]
    if any("\n" in word or "\r" in word for word in words):
        raise ValueError(f"{config_path.resolve()}: a path with a line break in it cannot go into a crontab or a unit file")
    return words


def command(config_path: Path) -> str:
    """The command for a shell: every word quoted (a folder with a space or a quote in its name)."""
    return shlex.join(command_words(config_path))


def cron_command(config_path: Path) -> str:
    """What the crontab line runs: private files (umask 077), the output appended to logs/cron.log.
    The line makes the logs folder itself: pasted before any run, ``>> logs/cron.log`` would fail
    ("Directory nonexistent") every night without supplywatch ever starting."""
    logs = config_path.resolve().parent / "logs"
    return f"umask 077; mkdir -p {shlex.quote(str(logs))}; {command(config_path)} >> {shlex.quote(str(logs / 'cron.log'))} 2>&1"


def cron_escape(text: str) -> str:
    """Cron turns every unescaped ``%`` of a line into a line break."""
    return text.replace("%", "\\%")


def systemd_word(word: str) -> str:
    """One ExecStart= word as systemd reads it back: quoted, backslash and quote escaped, ``%``
    (specifiers) and ``$`` (variables) doubled."""
    escaped = word.replace("\\", "\\\\").replace('"', '\\"').replace("%", "%%").replace("$", "$$")
    return f'"{escaped}"'


def systemd_exec(words: list[str]) -> str:
    """ExecStart= for a command. systemd refuses some characters (a quote, a dollar) in the path of
    the program itself, though not in its arguments: such a program is started through env."""
    if not re.fullmatch(r"[\w/.,:@%+= -]+", words[0]):
        words = ["/usr/bin/env", *words]
    return " ".join(systemd_word(w) for w in words)


def systemd_path(path: Path) -> str:
    """A path for WorkingDirectory= and the like: taken as written, but for ``%`` specifiers."""
    return str(path).replace("%", "%%")


def parse_time_of_day(text: str) -> tuple[int, int]:
    try:
        hour, minute = (int(part) for part in text.split(":"))
    except ValueError:
        raise ValueError(f"{text!r} is not a time of day such as 02:30") from None
    if not (0 <= hour < 24 and 0 <= minute < 60):
        raise ValueError(f"{text!r} is not a time of day such as 02:30")
    return hour, minute


def crontab_line(config_path: Path, at: str = "02:30") -> str:
    """The line for ``crontab -e``."""
    hour, minute = parse_time_of_day(at)
    return f"{minute} {hour} * * * {cron_escape(cron_command(config_path))}"


def systemd_units(config_path: Path, at: str = "02:30") -> dict[str, str]:
    hour, minute = parse_time_of_day(at)
    directory = config_path.resolve().parent
    service = (f"[Unit]\nDescription=supplywatch nightly price check ({systemd_path(directory)})\nAfter=network-online.target\n\n"
               f"[Service]\nType=oneshot\nWorkingDirectory={systemd_path(directory)}\nUMask=0077\n"
               f"ExecStart={systemd_exec(command_words(config_path))}\n"
               "# Secrets (notification tokens) as environment variables, never in the config:\n"
               f"# EnvironmentFile={systemd_path(directory / 'supplywatch.env')}\n")
    timer = (f"[Unit]\nDescription=Run supplywatch every night at {hour:02d}:{minute:02d}\n\n"
             f"[Timer]\nOnCalendar=*-*-* {hour:02d}:{minute:02d}:00\nPersistent=true\nRandomizedDelaySec=300\n\n"
             "[Install]\nWantedBy=timers.target\n")
    return {"supplywatch.service": service, "supplywatch.timer": timer}


def install_crontab(config_path: Path, at: str = "02:30", tabfile: Path | None = None) -> str:
    """Add (or replace) this config's line in the user's crontab; returns the line written."""
    from crontab import CronTab

    hour, minute = parse_time_of_day(at)
    if tabfile:
        cron = CronTab(tabfile=str(tabfile)) if Path(tabfile).exists() else CronTab(tab="")  # a new file is a new crontab
    else:
        cron = CronTab(user=True)
    marker = cron_escape(f"{MARKER} {config_path.resolve()}")  # the comment is on the same line: cron sees its % too
    cron.remove_all(comment=marker)
    job = cron.new(command=cron_command(config_path), comment=marker)  # python-crontab escapes the command's %
    job.setall(f"{minute} {hour} * * *")
    private_files.make_folder(config_path.resolve().parent / "logs")
    cron.write(str(tabfile)) if tabfile else cron.write()
    return crontab_line(config_path, at)


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
