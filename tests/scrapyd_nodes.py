"""Real scrapyd servers on loopback addresses, deployed with scrapyd-deploy as the README says,
that a test (or a benchmark) can stop, hang, kill or give other code."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


class ScrapydNode:
    """One scrapyd in its own folder and process group, listening on ``host``."""

    def __init__(self, home: Path, host: str = "127.0.0.1", max_proc: int = 4, jobs_to_keep: int = 100):
        self.home, self.host = home, host
        home.mkdir(parents=True, exist_ok=True)
        self.port = free_port(host)
        self.url = f"http://{host}:{self.port}"
        (home / "scrapyd.conf").write_text(
            f"[scrapyd]\nbind_address = {host}\nhttp_port = {self.port}\npoll_interval = 0.2\nmax_proc = {max_proc}\n"
            f"jobs_to_keep = {jobs_to_keep}\nfinished_to_keep = 500\n"
            f"eggs_dir = {home}/eggs\nlogs_dir = {home}/logs\nitems_dir = {home}/items\ndbs_dir = {home}/dbs\n",
            encoding="utf-8")
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> "ScrapydNode":
        self.process = subprocess.Popen([str(BIN / "scrapyd")], cwd=self.home, stdout=open(self.home / "scrapyd.out", "ab"),
                                        stderr=subprocess.STDOUT, start_new_session=True)
        for _ in range(200):
            try:
                urllib.request.urlopen(f"{self.url}/daemonstatus.json", timeout=1)
                return self
            except urllib.error.HTTPError:  # it answers (asking for a password)
                return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"scrapyd at {self.url} did not start: {(self.home / 'scrapyd.out').read_text()[-2000:]}")

    def deploy(self, source: Path = REPO, egg: Path | None = None) -> None:
        """``scrapyd-deploy cluster`` as the README says (``egg``: one built before, for several nodes)."""
        deploy = subprocess.run([str(BIN / "scrapyd-deploy"), "cluster", *(["--egg", str(egg)] if egg else [])], cwd=source,
                                capture_output=True, text=True, timeout=300, env={**os.environ, "SCRAPYD_URL": self.url})
        assert deploy.returncode == 0 and '"status": "ok"' in deploy.stdout, deploy.stdout + deploy.stderr


    def jobs(self) -> dict[str, list[dict]]:
        with urllib.request.urlopen(f"{self.url}/listjobs.json?project=supplywatch", timeout=5) as response:
            return json.loads(response.read())

    def running(self) -> list[str]:
        listing = self.jobs()
        return [j["id"] for j in listing["pending"] + listing["running"]]

    def wait_running(self, timeout: float = 60) -> None:
        ends = time.monotonic() + timeout
        while not self.jobs()["running"]:
            if time.monotonic() > ends:
                raise TimeoutError(f"no job started on {self.url}")
            time.sleep(0.1)

    def kill(self) -> None:
        """The machine is gone: scrapyd and every crawl it started die at once."""
        if self.process is not None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)
            self.process = None

    def hang(self) -> None:
        """scrapyd stops answering but keeps its port: connections are accepted, never answered."""
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGSTOP)

    def stop(self) -> None:
        if self.process is not None:
            try:
                os.killpg(self.process.pid, signal.SIGCONT)
                os.killpg(self.process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.process.wait(10)
            self.process = None


def other_code(folder: Path) -> Path:
    """A copy of the project with one line of code changed: what a node deployed last week runs."""
    shutil.copytree(REPO, folder, ignore=shutil.ignore_patterns(".git", ".venv", "__pycache__", "*.egg-info", "build", "tests"))
    settings = folder / "spiders" / "settings.py"
    settings.write_text(settings.read_text(encoding="utf-8") + "\nOLDER_CODE = True\n", encoding="utf-8")
    return folder


def build_egg(destination: Path, source: Path = REPO) -> Path:
    """The egg scrapyd-deploy would upload, built once for several nodes."""
    build = subprocess.run([str(BIN / "scrapyd-deploy"), "--build-egg", str(destination)], cwd=source, capture_output=True,
                           text=True, timeout=300)
    assert build.returncode == 0, build.stdout + build.stderr
    return destination
