"""One scrapyd server as the main machine talks to it: every call with a timeout, its password
from the URL or ``~/.netrc``, and its address shown without credentials."""

from __future__ import annotations

import enum
import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, urljoin, urlsplit, urlunsplit

import requests
from requests.auth import HTTPBasicAuth

from .feeds import display_url

PROJECT = "supplywatch"


class NodeState(enum.Enum):
    UP = "up"
    DOWN = "down"  # did not answer before the run
    LOST = "lost"  # stopped answering during the run
    REFUSED = "refused"  # answers, but cannot run supplywatch's jobs (password, version, not deployed)


class NodeUnreachable(Exception):
    """The node did not answer in time (refused, reset, timed out)."""


class NodeRefused(Exception):
    """The node answered, but no: a password it lacks, a project it does not have, an error."""


@dataclass(eq=False)
class Node:
    """A scrapyd server. ``shown`` is its URL without user name and password: the only form that
    reaches the terminal, the log or the database."""

    url: str
    timeout: float = 30.0
    base: str = field(init=False)
    shown: str = field(init=False)
    auth: HTTPBasicAuth | None = field(init=False)
    state: NodeState = NodeState.UP
    why: str = ""
    last_answer: float = 0.0

    def __post_init__(self) -> None:
        parts = urlsplit(self.url.rstrip("/"))
        netloc = parts.netloc.rsplit("@", 1)[-1]
        self.base = urlunsplit((parts.scheme, netloc, parts.path, "", ""))
        self.shown = display_url(self.base)
        if parts.username:
            self.auth = HTTPBasicAuth(unquote(parts.username), unquote(parts.password or ""))
        else:
            from scrapyd_client.utils import get_auth  # ~/.netrc, as scrapyd-deploy reads it

            self.auth = get_auth(self.base, "", "")

    @property
    def usable(self) -> bool:
        return self.state is NodeState.UP

    def mark(self, state: NodeState, why: str) -> None:
        if self.state is NodeState.UP:
            self.state, self.why = state, why

    def _call(self, method: str, endpoint: str, timeout: float | None = None, **kwargs: Any) -> dict[str, Any]:
        try:
            response = requests.request(method, f"{self.base}/{endpoint}", auth=self.auth, timeout=timeout or self.timeout, **kwargs)
        except requests.RequestException as exc:
            raise NodeUnreachable(f"scrapyd node {self.shown} does not answer ({exc.__class__.__name__})") from None
        if response.status_code == 401:
            raise NodeRefused(
                f"scrapyd node {self.shown} asks for a password and " + (
                    "refused the one given" if self.auth else
                    f"none is set: put it in ~/.netrc (machine {urlsplit(self.base).hostname} login USER password PASS)"))
        try:
            data = response.json()
        except ValueError:
            raise NodeRefused(f"scrapyd node {self.shown} answered {endpoint} with HTTP {response.status_code}, not scrapyd's JSON") from None
        if not isinstance(data, dict) or data.get("status") != "ok":
            message = str(data.get("message", data) if isinstance(data, dict) else data)[:300]
            if "not found" in message and PROJECT in message:
                message += f" (deploy it: SCRAPYD_URL={self.shown} scrapyd-deploy cluster)"
            raise NodeRefused(f"scrapyd node {self.shown}: {message}")
        return data

    def status(self) -> dict[str, Any]:
        return self._call("GET", "daemonstatus.json")

    def spiders(self) -> list[str]:
        """The deployed project's spiders. scrapyd starts a Scrapy process to list them the first
        time (seconds), then keeps the list, so the jobs scheduled after it start at once."""
        return self._call("GET", "listspiders.json", timeout=max(self.timeout, 120), params={"project": PROJECT})["spiders"]

    def jobs(self) -> dict[str, list[dict[str, Any]]]:
        return self._call("GET", "listjobs.json", params={"project": PROJECT})

    def schedule(self, spider: str, job_id: str, args: dict[str, str], settings: dict[str, str]) -> None:
        data = [("project", PROJECT), ("spider", spider), ("jobid", job_id), *args.items(),
                *(("setting", f"{k}={v}") for k, v in settings.items())]
        self._call("POST", "schedule.json", data=data)

    def cancel(self, job_id: str, signal: str = "INT") -> str | None:
        """Stop a job (pending ones never start); returns what it was: pending, running or None."""
        return self._call("POST", "cancel.json", data={"project": PROJECT, "job": job_id, "signal": signal}).get("prevstate")

    def same_origin(self, url: str) -> str:
        """``url`` (as scrapyd gave it) resolved against this node; ValueError when it points elsewhere."""
        resolved = urljoin(self.base + "/", url)
        mine, theirs = urlsplit(self.base), urlsplit(resolved)
        if (theirs.scheme, theirs.hostname, theirs.port) != (mine.scheme, mine.hostname, mine.port) or theirs.username:
            raise ValueError(f"scrapyd node {self.shown} points to a feed on another server ({display_url(resolved)}); not fetched")
        return resolved


def settings_arg(value: Any) -> str:
    """A Scrapy setting as scrapyd passes it on: dicts and lists as JSON."""
    return json.dumps(value) if isinstance(value, (dict, list)) else str(value)
