"""Browse the store in Datasette with this project's metadata, mutable so the nightly run can write."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any

import yaml

DATASETTE_DIR = Path(__file__).resolve().parent.parent / "datasette"
LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")


def metadata_for(database: Path) -> dict[str, Any]:
    """``datasette/metadata.yml`` with its database section named after the actual file."""
    metadata = yaml.safe_load((DATASETTE_DIR / "metadata.yml").read_text(encoding="utf-8"))
    section = metadata["databases"].pop("supplywatch")
    metadata["databases"][database.stem] = section
    metadata["description_html"] = metadata["description_html"].replace("/supplywatch/", f"/{database.stem}/")
    return metadata


def datasette_args(database: Path, metadata_file: Path, host: str = "127.0.0.1", port: int = 8001) -> list[str]:
    """``datasette serve`` arguments: never ``-i`` (immutable), whole-file downloads off."""
    return [
        "serve", str(database),
        "--metadata", str(metadata_file),
        "--host", host, "--port", str(port),
        "--setting", "allow_download", "off",
        "--setting", "sql_time_limit_ms", "3000",
    ]


def serve(database: Path, host: str = "127.0.0.1", port: int = 8001) -> int:
    """Run Datasette until Ctrl-C; returns its exit code."""
    if host not in LOCAL_HOSTS:
        raise ValueError(
            f"refusing to serve on {host}: anyone on your network could read your supplier prices. "
            "Serve on 127.0.0.1 and reach it through an SSH tunnel (password-protected serving is planned)."
        )
    with tempfile.NamedTemporaryFile("w", suffix=".json", prefix="supplywatch-metadata-") as metadata_file:
        json.dump(metadata_for(database), metadata_file)
        metadata_file.flush()
        from datasette.cli import cli as datasette_cli

        # In this process, so Ctrl-C or a SIGTERM stops Datasette with us; uvicorn handles both.
        try:
            datasette_cli.main(datasette_args(database, Path(metadata_file.name), host, port), prog_name="datasette", standalone_mode=False)
        except KeyboardInterrupt:
            pass
        return 0
