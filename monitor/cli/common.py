"""What every command shares: the --config option, loading it (exit 2 on a problem), reporting a run."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, Callable

import click

from .. import config as config_module, pipeline, safe_text, store
from ..config import ConfigError


class Commands(click.Group):
    """The ``supplywatch`` group: whatever the command, a database this supplywatch cannot use (a
    newer one's, an old one in a read-only place, a read-only one for a command that writes) is one
    line and exit 2, the file untouched."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (store.SchemaError, store.Unwritable) as exc:
            click.echo(f"Error: {exc}", err=True)
            sys.exit(pipeline.EXIT_CONFIG)


def config_option(function: Callable[..., Any]) -> Callable[..., Any]:
    return click.option(
        "-c", "--config", "config_path", type=click.Path(dir_okay=False, path_type=Path),
        default=config_module.DEFAULT_CONFIG, show_default=True, help="The supplywatch.yml to use.",
    )(function)


def load_or_exit(path: Path) -> config_module.Config:
    """Load the config; on any problem print it and exit 2 before anything is written."""
    try:
        return config_module.load(path)
    except ConfigError as exc:
        click.echo(f"Error: {exc}", err=True)
        sys.exit(pipeline.EXIT_CONFIG)


def safe_echo(config: config_module.Config) -> Callable[[str], None]:
    """``click.echo`` for what a run prints: URLs without passwords or query strings, except the
    links to our own dashboards (``notify.base_url``)."""
    keep = (config.notify.base_url,) if config.notify.base_url else ()
    return lambda line: click.echo(safe_text.redact(config.conceal(line), keep))


def check_port_free(host: str, port: int) -> None:
    """Fail in one line, with the option to use, when something already listens on the port."""
    import socket

    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        try:
            probe.bind((host, port))
        except OSError:
            raise click.ClickException(f"port {port} on {host} is already in use (another `supplywatch serve` or the demo?): "
                                       f"stop it, or pick another port with --port {port + 1}") from None


def open_existing(config: config_module.Config) -> Any:
    """The config's database, which must exist already (commands that only read never create one)."""
    from .. import store

    if not config.database_path.exists():
        raise click.ClickException(f"no database yet at {config.database_path}: run `supplywatch run` first")
    return store.open_db(config.database_path)


def report_run(job: Callable[[], pipeline.RunResult], after: Callable[[pipeline.RunResult], None] | None = None) -> None:
    """Run a job that records a run, print its one-line outcome and exit with its documented code:
    bad input (found before anything is written) exits 2, a crash inside the run exits 4 with one
    line for cron's mail, never a traceback; ``after(result)`` may print more before that line (what
    changed, on a terminal)."""
    try:
        result = job()
    except pipeline.Locked as exc:
        click.echo(f"supplywatch: {exc}", err=True)
        sys.exit(pipeline.EXIT_LOCKED)
    except pipeline.InputError as exc:
        click.echo(safe_text.redact(f"Error: {exc}"), err=True)
        sys.exit(pipeline.EXIT_INPUT)
    except (store.SchemaError, store.Unwritable):
        raise  # not a crash: Commands says it in one line, exit 2
    except Exception as exc:  # cron mails one line; the run row says "crashed" and the data stays consistent
        said = str(exc) if getattr(exc, "in_words", False) else f"{exc.__class__.__name__}: {exc}"
        click.echo(safe_text.redact(f"supplywatch: the run crashed: {said}"), err=True)
        sys.exit(pipeline.EXIT_FATAL)
    if after is not None:
        after(result)
    click.echo(safe_text.redact(f"run {result.run_id}: {result.status}: {result.message}"))
    sys.exit(result.exit_code)


EXIT_HELP = "\n".join(f"  {code}  {meaning}" for code, meaning in pipeline.EXIT_CODES.items())
