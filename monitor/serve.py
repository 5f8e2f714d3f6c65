"""Browse the store in Datasette with this project's metadata, mutable so the nightly run can write."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

DATASETTE_DIR = Path(__file__).resolve().parent.parent / "datasette"


def metadata_path() -> Path:
    return DATASETTE_DIR / "metadata.yml"


def datasette_args(database: Path, host: str = "127.0.0.1", port: int = 8001) -> list[str]:
    """The ``datasette serve`` command line: never ``-i`` (immutable), whole-file downloads off."""
    return [
        sys.executable, "-m", "datasette", "serve", str(database),
        "--metadata", str(metadata_path()),
        "--host", host, "--port", str(port),
        "--setting", "allow_download", "off",
        "--setting", "sql_time_limit_ms", "3000",
    ]


def serve(database: Path, host: str = "127.0.0.1", port: int = 8001) -> int:
    """Run Datasette until Ctrl-C; returns its exit code."""
    if host not in ("127.0.0.1", "localhost", "::1"):
        raise ValueError(
            f"refusing to serve on {host}: anyone on the network could read your supplier prices. "
            "Serve on 127.0.0.1 and use an SSH tunnel; password-protected serving arrives in a later release."
        )
    try:
        return subprocess.call(datasette_args(database, host, port))
    except KeyboardInterrupt:
        return 0
