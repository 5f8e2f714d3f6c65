"""Why a page could not be fetched, in the owner's words instead of Scrapy's and Twisted's.

One table, by exception class name (Scrapy and Twisted name the same failure differently across
versions), so the reason stored with an *error* observation reads "the supplier's site refused the
connection" instead of "DownloadConnectionRefusedError: Connection was refused by other side: 111".
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

# Exception class name -> what happened, what it usually means. The first match along the class's
# ancestry wins, so a specific class listed here beats its more general parent.
REASONS = {
    "DownloadConnectionRefusedError": "the supplier's site refused the connection (is the site down, or the address wrong?)",
    "ConnectionRefusedError": "the supplier's site refused the connection (is the site down, or the address wrong?)",
    "CannotResolveHostError": "the site's name could not be found: check the address",
    "DNSLookupError": "the site's name could not be found: check the address",
    "DownloadTimeoutError": "the page did not answer in time (the site is slow or down; `crawl.timeout_seconds` sets the limit)",
    "TimeoutError": "the page did not answer in time (the site is slow or down; `crawl.timeout_seconds` sets the limit)",
    "TCPTimedOutError": "the page did not answer in time (the site is slow or down)",
    "ResponseDataLossError": "the page arrived cut off (the connection dropped part way)",
    "ResponseNeverReceived": "the connection dropped before the page arrived",
    "ConnectionLost": "the connection dropped before the page arrived",
    "ConnectionDone": "the connection dropped before the page arrived",
    "NoRouteError": "no network route to the site (is this machine online?)",
    "SSLError": "the site's secure connection failed (certificate problem)",
    "CertificateError": "the site's secure connection failed (certificate problem)",
    "UnsupportedURLSchemeError": "the address is not an http(s) web page",
    "DownloadCancelledError": "the download was cancelled (the page was larger than allowed, or the night's time ran out)",
    "IgnoreRequest": "not fetched: the site's robots.txt asks robots not to fetch this page",
    "DownloadFailedError": "the page could not be downloaded",
    "ConnectError": "could not connect to the supplier's site",
}


class Worded:
    """The mark of a refusal of our own (spiders.middlewares: over budget, skipped, off-site redirect,
    robots.txt unreachable): its message is already the owner's words, told as it is. One mark that
    both the spider and :func:`failure_reason` go by, so a new refusal cannot be worded in one and not the other."""


def network_failure(error: BaseException) -> bool:
    """Whether a failed fetch is the site or the network not answering (refused, timed out, cut off,
    too large, name unknown), rather than a request that could not be made."""
    return any(cls.__name__ in REASONS and cls.__name__ not in ("IgnoreRequest", "UnsupportedURLSchemeError")
               for cls in type(error).__mro__)


def http_status(status: int) -> str:
    """What a non-200 answer means for the owner: "the page is gone (404 Not Found)"."""
    try:
        phrase = f"{status} {HTTPStatus(status).phrase}"
    except ValueError:
        phrase = str(status)
    if status in (404, 410):
        return f"the page is gone ({phrase}): the supplier may have moved it; check the address"
    if status in (401, 403):
        return f"the site refused to show the page ({phrase}); it may block robots"
    if status == 429:
        return f"the site asks to slow down ({phrase}); try a larger crawl.delay_seconds"
    if status >= 500:
        return f"the supplier's site had an error ({phrase}); usually gone by the next night"
    return f"the site answered {phrase} instead of the page"


def failure_reason(error: BaseException | type[BaseException], detail: str = "") -> str:
    """The owner's words for a failed fetch (``error`` as raised, or its class)."""
    kind = error if isinstance(error, type) else type(error)
    if issubclass(kind, Worded) and detail:
        return detail
    for cls in kind.__mro__:
        if cls.__name__ in REASONS:
            reason = REASONS[cls.__name__]
            if cls.__name__ == "IgnoreRequest" and "max redirections" in detail.lower():  # Scrapy's REDIRECT_MAX_TIMES
                return "the page redirects round in a loop (or through too many addresses): no page to read; check the address"
            if cls.__name__ == "IgnoreRequest" and "robots" not in detail.lower():
                return "not fetched: the request was dropped before it was sent" + (f" ({detail})" if detail else "")
            return reason
    return f"the page could not be fetched ({kind.__name__}" + (f": {detail}" if detail else "") + ")"


def describe_failure(failure: Any) -> tuple[int | None, str]:
    """(HTTP status or None, reason) for a Twisted ``Failure`` handed to a Scrapy errback."""
    response = getattr(failure.value, "response", None)
    status = getattr(response, "status", None)
    if status is not None and failure.type.__name__ == "HttpError":
        return status, http_status(status)
    return None, failure_reason(failure.type, failure.getErrorMessage())[:300]
