"""Running unattended: the schedule (cron, systemd or a daemon) and backups."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import click

from .. import store
from .common import config_option, load_or_exit


@click.command()
@config_option
@click.option("--at", default="02:30", show_default=True, help="Time of day to run (24 h).")
@click.option("--install", type=click.Choice(["cron", "systemd"]), default=None, help="Write it instead of printing it.")
@click.option("--crontab-file", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="With --install cron: edit this crontab file instead of the user's crontab.")
def schedule(config_path: Path, at: str, install: str | None, crontab_file: Path | None) -> None:
    """Print (or install) the crontab line and systemd units that run supplywatch every night.

    \b
    Example:
        supplywatch schedule --at 02:30
        supplywatch schedule --install cron
        supplywatch schedule --install systemd && systemctl --user enable --now supplywatch.timer
    """
    from .. import schedule as schedule_module

    load_or_exit(config_path)
    if install == "cron" and crontab_file is None and shutil.which("crontab") is None:
        raise click.ClickException("this machine has no `crontab` program: install cron (e.g. apt-get install cron), "
                                   "or use `supplywatch schedule --install systemd`, or keep `supplywatch daemon` running")
    if crontab_file is not None and not crontab_file.resolve().parent.is_dir():
        raise click.BadParameter(f"the folder of {crontab_file} does not exist: create it first, or leave the option out "
                                 "to edit your own crontab", param_hint="--crontab-file")
    try:
        schedule_module.parse_time_of_day(at)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--at") from None
    try:
        if install == "cron":
            line = schedule_module.install_crontab(config_path, at, crontab_file)
            click.echo(f"Wrote to {'the crontab ' + str(crontab_file) if crontab_file else 'your crontab'}:\n{line}")
        elif install == "systemd":
            for path in schedule_module.install_systemd(config_path, at):
                click.echo(f"Wrote {path}")
            click.echo("Enable it with: systemctl --user daemon-reload && systemctl --user enable --now supplywatch.timer")
        else:
            click.echo(f"# crontab (crontab -e):\n{schedule_module.crontab_line(config_path, at)}\n")
            for name, text in schedule_module.systemd_units(config_path, at).items():
                click.echo(f"# ~/.config/systemd/user/{name}\n{text}")
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None


@click.command()
@config_option
@click.option("--at", default="02:30", show_default=True, help="Time of day to run (24 h).")
@click.option("--every", type=float, default=None, help="Instead of a time of day: run every this many seconds.")
@click.option("--runs", type=int, default=None, help="Stop after this many runs (default: never).")
def daemon(config_path: Path, at: str, every: float | None, runs: int | None) -> None:
    """Stay running and do the nightly job at --at every day, for hosts without cron.

    \b
    Example:
        supplywatch daemon --at 02:30
    """
    from .. import schedule as schedule_module

    load_or_exit(config_path)
    sys.exit(schedule_module.daemon(config_path, at, every, runs, echo=click.echo))


@click.command()
@config_option
@click.argument("destination", type=click.Path(dir_okay=False, path_type=Path))
def backup(config_path: Path, destination: Path) -> None:
    """Write a consistent copy of the database, safe while a run or Datasette is using it.

    \b
    Example:
        supplywatch backup /mnt/usb/supplywatch-$(date +%F).db
    """
    config = load_or_exit(config_path)
    if destination.exists():
        raise click.ClickException(f"{destination} exists; pick a new name")
    folder = destination.resolve().parent
    if not folder.is_dir():
        raise click.ClickException(f"the folder {folder} does not exist: create it first (mkdir -p {folder}) or pick another place")
    try:
        rows = store.backup(config.database_path, destination)
    except store.NoDatabase as exc:
        raise click.ClickException(str(exc)) from None
    except OSError as exc:
        raise click.ClickException(f"cannot write the copy at {destination}: {exc.strerror}") from None
    click.echo(f"Backed up {config.database_path} to {destination} ({rows:,} observations).")
