"""``supplywatch demo``: the whole thing on built-in supplier sites, in under a minute."""

from __future__ import annotations

import time
from pathlib import Path

import click

from .. import display, safe_text, serve as serve_module


@click.command()
@click.option("--dir", "directory", type=click.Path(file_okay=False, path_type=Path), default=Path("supplywatch-demo"),
              show_default=True, help="Where the demo's supplywatch.yml and database go.")
@click.option("--nights", default=120, show_default=True, type=click.IntRange(10, 1000), help="Nights of history to crawl.")
@click.option("--serve/--no-serve", default=True, help="Serve Datasette afterwards (until Ctrl-C).")
@click.option("--site-only", is_flag=True, help="Only run the demo supplier site, for `supplywatch run` in --dir.")
@click.option("-p", "--port", default=8001, show_default=True, help="Datasette's port.")
def demo(directory: Path, nights: int, serve: bool, site_only: bool, port: int) -> None:
    """Watch a furniture shop's supplies on a built-in demo site, with months of real history.

    \b
    Example:
        supplywatch demo                 # ~30 s, then browse http://127.0.0.1:8001
        supplywatch demo --no-serve --dir /tmp/demo
    """
    from ..demo import run as demo_module
    from .common import check_port_free

    if serve and not site_only:
        check_port_free("127.0.0.1", port)  # before a minute of crawling, not after
    directory.mkdir(parents=True, exist_ok=True)
    site, catalog = demo_module.start_site(directory, nights, reuse=site_only)
    try:
        if site_only:
            if (directory / "supplywatch.yml").exists():
                for shop, port in demo_module.follow_ports(directory, site).items():
                    click.echo(f"{shop}: its port was taken by another program, so it is on 127.0.0.1:{port} "
                               "now, and supplywatch.yml says so.")
            click.echo(f"Demo supplier site on {', '.join(f'127.0.0.1:{p}' for p in site.ports().values())}. Ctrl-C to stop.")
            _wait_forever()
            return
        started = time.monotonic()
        click.echo(f"Demo suppliers on 127.0.0.1 ports {', '.join(map(str, site.ports().values()))}; crawling {nights} nights ...")
        click.echo("Alerts as they happened:")
        summary = demo_module.fill_history(directory, site, catalog, echo=click.echo)
        click.echo(f"\n{display.count(int(summary['observations']), 'price')} read in {nights} nights; "
                   f"{display.count(int(summary['fired']), 'alert')} fired, {int(summary['resolved'])} resolved.")
        click.echo("\nOpen alerts now:")
        for alert in summary["open"]:
            click.echo(f"  [{alert.severity}] {alert.message}")
        if summary["last_digest"]:
            click.echo(f"\nThe last digest it would send: {safe_text.for_terminal(summary['last_digest'])}")
        click.echo(f"\nDemo finished in {time.monotonic() - started:.1f} s. Config: {summary['config']}")
        click.echo(f"Try: cd {directory} && supplywatch status")
        if serve:
            click.echo(f"\nServing Datasette on http://127.0.0.1:{port}/ (Ctrl-C to stop); the demo site stays up, "
                       f"so `supplywatch run` works in {directory} meanwhile.")
            serve_module.serve(summary["database"], "127.0.0.1", port, currency="USD")  # the demo config's currency
    finally:
        site.close()


def _wait_forever() -> None:
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
