"""Rendering pages that need JavaScript: scrapy-playwright with the system's Chromium.

Only offers with ``render: true`` go through the browser; every other request stays plain HTTP.
Install with ``pip install -e '.[browser]'`` and your system's Chromium (Debian: ``apt-get install
chromium``); set ``SUPPLYWATCH_CHROMIUM`` if it is not at /usr/bin/chromium.
"""

from __future__ import annotations

import os
import shutil
from typing import Any

CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


def chromium_path() -> str:
    configured = os.environ.get("SUPPLYWATCH_CHROMIUM")
    if configured:
        return configured
    for name in CHROMIUM_NAMES:
        if found := shutil.which(name):
            return found
    raise RuntimeError("an offer has 'render: true' but no Chromium was found: install it (Debian: apt-get install chromium) "
                       "or set SUPPLYWATCH_CHROMIUM to its path")


def browser_settings() -> dict[str, Any]:
    """Scrapy settings that route ``meta={'playwright': True}`` requests through headless Chromium."""
    try:
        import scrapy_playwright  # noqa: F401
    except ImportError as exc:
        raise RuntimeError("an offer has 'render: true': install the browser extra with pip install -e '.[browser]'") from exc
    return {
        "DOWNLOAD_HANDLERS": {
            "http": "scrapy_playwright.handler.ScrapyPlaywrightDownloadHandler",
            "https": "scrapy_playwright.handler.ScrapyPlaywrightDownloadHandler",
        },
        "PLAYWRIGHT_BROWSER_TYPE": "chromium",
        "PLAYWRIGHT_LAUNCH_OPTIONS": {
            "executable_path": chromium_path(),
            "headless": True,
            # No background connections: this runs on machines with closed networks, and politely.
            "args": ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                     "--disable-sync", "--no-first-run", "--disable-quic"],
        },
        "PLAYWRIGHT_DEFAULT_NAVIGATION_TIMEOUT": 30_000,
        "PLAYWRIGHT_MAX_PAGES_PER_CONTEXT": 1,
    }
