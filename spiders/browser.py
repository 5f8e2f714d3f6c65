"""Rendering pages that need JavaScript: scrapy-playwright with the system's Chromium.

Only offers with ``render: true`` go through the browser; every other request stays plain HTTP.
Install with ``pip install -e '.[browser]'`` and your system's Chromium (Debian: ``apt-get install
chromium``); set ``SUPPLYWATCH_CHROMIUM`` if it is not at /usr/bin/chromium.
"""

from __future__ import annotations

import asyncio
import ipaddress
import os
import shutil
import weakref
from typing import Any
from urllib.parse import urlsplit

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


def browser_settings(timeout_seconds: float = 30) -> dict[str, Any]:
    """Scrapy settings that route ``meta={'playwright': True}`` requests through headless Chromium;
    a page must load within the crawl's ``timeout_seconds``, as a plain page must answer."""
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
            # WebRTC may not reach local addresses on its own either. Chromium's own local network
            # checks (on by default since about version 142) judge the address each request really
            # connects to, so a supplier name that resolves to this machine only when Chromium asks
            # (DNS rebinding) is refused too; the flag turns them on where they are still off.
            "args": ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                     "--disable-sync", "--no-first-run", "--disable-quic", "--force-webrtc-ip-handling-policy=disable_non_proxied_udp",
                     "--enable-features=LocalNetworkAccessChecks"],
        },
        "PLAYWRIGHT_DEFAULT_NAVIGATION_TIMEOUT": timeout_seconds * 1000,
        "PLAYWRIGHT_MAX_PAGES_PER_CONTEXT": 1,
        # Supplier JavaScript runs here: its requests to this machine or the local network are aborted
        # (it once scheduled a job on a loopback scrapyd), service workers that would bypass that
        # check are refused, and WebSockets are closed before they connect (see init_page).
        "PLAYWRIGHT_ABORT_REQUEST": "spiders.browser.reaches_inside",
        "PLAYWRIGHT_CONTEXTS": {"default": {"service_workers": "block"}},
    }


_ORIGINS = {"http": 80, "https": 443}


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    return parts.scheme, (parts.hostname or "").lower(), parts.port or _ORIGINS.get(parts.scheme)


def _inside(address: str) -> bool:
    try:
        return not ipaddress.ip_address(address.split("%", 1)[0]).is_global
    except ValueError:
        return True  # not an address we can judge: treat as inside


async def _resolves_inside(host: str) -> bool:
    """The host is, or resolves to, a loopback, private, link-local or otherwise non-public address."""
    if not host or host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return _inside(str(ipaddress.ip_address(host.strip("[]"))))
    except ValueError:
        pass
    try:
        found = await asyncio.get_running_loop().getaddrinfo(host, None)
    except OSError:
        return False  # it will not resolve for Chromium either
    return any(_inside(entry[4][0]) for entry in found)


async def reaches_inside(request: Any) -> bool:
    """PLAYWRIGHT_ABORT_REQUEST: abort a rendered page's request to this machine or the local network,
    unless it goes to the page's own origin (a supplier site on the local network can load itself).
    The first navigation is the offer's own URL, from the owner's config."""
    url = request.url
    scheme = urlsplit(url).scheme
    if scheme in ("data", "blob", "about"):
        return False
    if scheme not in ("http", "https"):
        return True
    page_url = request.frame.page.main_frame.url if request.frame is not None else ""
    first = request.redirected_from
    while first is not None and first.redirected_from is not None:
        first = first.redirected_from
    if request.is_navigation_request() and request.frame.parent_frame is None and page_url in ("", "about:blank"):
        if first is None:
            return False  # the offer's own URL
        page_url = first.url  # a redirect of it: judged against where it started
    if page_url and _origin(url) == _origin(page_url):
        return False
    return await _resolves_inside(_origin(url)[1])


_guarded_contexts: "weakref.WeakSet[Any]" = weakref.WeakSet()


async def init_page(page: Any, request: Any) -> None:
    """playwright_page_init_callback: no WebSocket from a supplier page connects anywhere, the page
    cannot navigate itself away, and windows it opens load nothing.

    Navigations are the one kind of request Chromium's local network checks let a public page send
    to this machine (a form posted to a loopback scrapyd schedules a job), and a window the page
    opens has none of this page's checks."""
    await page.route_web_socket("**", lambda socket: None)
    await page.route("**", _stay_on_page)  # registered after scrapy-playwright's route: asked first
    page.on("popup", _close_popup)
    if page.context not in _guarded_contexts:
        _guarded_contexts.add(page.context)
        # Pages scrapy-playwright opened answer every request through their own route; what reaches
        # the context's is a request of a window the page opened.
        await page.context.route("**", _refuse_popup_request)


async def _stay_on_page(route: Any, request: Any) -> None:
    """The rendered page navigating itself once it is there (a form posted, a script sending it to
    another site): cancelled before anything is sent ("aborted" commits no error page, so the page
    stays as it was, its price still readable). Reloads and links within its own site (GET) go on."""
    frame = request.frame
    if request.is_navigation_request() and frame is not None and frame.parent_frame is None:
        current = frame.url
        if current not in ("", "about:blank") and (request.method != "GET" or _origin(request.url) != _origin(current)):
            await route.abort("aborted")
            return
    await route.fallback()


async def _refuse_popup_request(route: Any, request: Any) -> None:
    await route.abort()


def _close_popup(popup: Any) -> None:
    asyncio.ensure_future(popup.close())
