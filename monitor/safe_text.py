"""Text from outside (supplier pages, feeds, exceptions) made safe for where it goes: the database,
the terminal, chat services that render markdown, and every message or log line a person reads.

A supplier page is data. Nothing it says may clear the owner's screen, retitle the terminal, ping a
whole chat channel, hide a phishing link behind a harmless word, or carry a password into a digest.
"""

from __future__ import annotations

import logging
import re
from typing import Any, Callable, Mapping
from urllib.parse import urlsplit, urlunsplit

# Escape sequences, control characters and bidi marks: one definition for the spider and the monitor.
from spiders.plain_text import for_terminal, one_line  # noqa: F401 (the monitor prints through safe_text.for_terminal)

RAW_LIMIT = 500  # characters of a page's price text kept for people checking it
TEXT_LIMIT = 2000  # any other text an item carries (errors, names, packs)

def clean_item(item: Mapping[str, Any]) -> dict[str, Any]:
    """An item as it may be stored: every text one clean line, the page's raw text capped, URLs in
    errors without passwords or query strings. Used for crawled and ingested items alike."""
    cleaned: dict[str, Any] = {}
    for key, value in item.items():
        value = _clean_value(value, RAW_LIMIT if key == "raw" else TEXT_LIMIT)
        if key == "error" and isinstance(value, str):
            value = redact(value)
        cleaned[key] = value
    return cleaned


def _clean_value(value: Any, limit: int) -> Any:
    if isinstance(value, str):
        return one_line(value, limit)
    if isinstance(value, list):
        return [_clean_value(v, TEXT_LIMIT) for v in value]
    if isinstance(value, dict):
        return {k: _clean_value(v, TEXT_LIMIT) for k, v in value.items()}
    return value


# Markdown for services that render it whatever they are told (Discord, Mattermost): a bare URL is
# shown as itself and left alone; everywhere else the characters that make links, images, emphasis,
# spoilers, quotes, headings and angle-bracket mentions are escaped.
_URL = re.compile(r"https?://[^\s<>]+")
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_~|\[\]()<>#!])")
_MENTION = re.compile(r"(?<![\w@])@(?=\w)")  # @everyone, @here, @channel, @all, @someone
_INDENT = re.compile(r"^ +", re.MULTILINE)  # four spaces would make a code block


def without_mentions(text: str) -> str:
    """``@everyone`` shown, not rung: a zero-width space after each ``@`` that starts a word."""
    return _MENTION.sub("@\u200b", text)


def for_markdown(text: str) -> str:
    """Plain text that a markdown-rendering chat shows literally, without pinging anyone."""
    pieces, last = [], 0
    for url in _URL.finditer(text):
        pieces += [_MARKDOWN_SPECIAL.sub(r"\\\1", text[last:url.start()]), url.group(0)]
        last = url.end()
    pieces.append(_MARKDOWN_SPECIAL.sub(r"\\\1", text[last:]))
    escaped = without_mentions("".join(pieces))
    return _INDENT.sub(lambda m: "\u00a0" * len(m.group(0)), escaped)


# Secrets: user names, passwords and query strings (API keys, tokens) in URLs.
_ANY_URL = re.compile(r"\b[a-zA-Z][a-zA-Z0-9+.-]*://[^\s<>\"'`]+")


def redact_url(url: str) -> str:
    """A URL as a person or a log may see it: no user name or password, no query, no fragment."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = parts.port
    except ValueError:  # not a URL after all (an unclosed IPv6 bracket, a port of letters)
        return re.sub(r"//[^/?#]*@", "//", url.split("?", 1)[0].split("#", 1)[0])
    if ":" in host:
        host = f"[{host}]"
    netloc = f"{host}:{port}" if port is not None else host
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def without_userinfo(url: str) -> str:
    """A URL without its user name and password (the rest kept: a query may choose the product)."""
    return re.sub(r"^([a-zA-Z][a-zA-Z0-9+.-]*://)[^/?#]*@", r"\1", url)


# user:password@ outside a URL, as some errors quote a host ("invalid hostname: buyer:pw@shop.com")
_BARE_USERINFO = re.compile(r"(?<![\w.+-])[^\s/:@'\"<>]+:[^\s/@'\"<>]+@(?=[\w\[])")


def redact(text: str, keep: tuple[str, ...] = ()) -> str:
    """Every URL in a free text (an error, an exception, a run's message, a line of output) passed
    through :func:`redact_url`, except those starting with one of ``keep`` (links of our own, such
    as the dashboards at ``notify.base_url``, whose query says which material to show)."""
    keep = tuple(k for k in keep if k)
    text = _ANY_URL.sub(lambda m: m.group(0) if keep and m.group(0).startswith(keep) else redact_url(m.group(0)), text)
    return _BARE_USERINFO.sub("", text)


def conceal(text: str, secrets: Mapping[str, str]) -> str:
    """Put ``${NAME}`` back where the value of an environment variable from the config stands, so
    what was kept out of the config file stays out of the database too."""
    for name, value in sorted(secrets.items(), key=lambda s: -len(s[1])):
        if len(value) >= 4:  # a short value ("1", "on") would be found in ordinary text
            text = text.replace(value, f"${{{name}}}")
    return text


def configured_url(url: str, secrets: Mapping[str, str]) -> str:
    """An offer's URL as the owner wrote it in the config: ``${NAME}`` where a value came from the
    environment, and no user name or password. What the database keeps and ``check`` shows."""
    return without_userinfo(conceal(url, secrets))


class CleanedRecord(logging.LogRecord):
    """A log record whose message is cleaned only when something reads it: Scrapy makes a record
    (an item's whole repr) for every page at DEBUG, which no handler may ever show, and cleaning
    each at once cost 2 % of a crawl's CPU. ``msg`` and ``args`` stay as they were made, because
    some formatters read the arguments themselves (uvicorn's access log unpacks them)."""

    cleans: tuple[Callable[[str], str], ...] = ()

    def getMessage(self) -> str:  # noqa: N802 (logging's name)
        text = super().getMessage()
        for clean in self.cleans:
            text = clean(text)
        return text


def clean_log_records(clean: Callable[[str], str]) -> Callable[[], None]:
    """From now on, every log record of this process has its message passed through ``clean`` when
    read, and its traceback at once; returns what puts the previous record factory back."""
    make_record = logging.getLogRecordFactory()

    def cleaned_record(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = make_record(*args, **kwargs)
        if type(record) is logging.LogRecord:
            record.__class__ = CleanedRecord
        if isinstance(record, CleanedRecord):
            record.cleans = (*record.cleans, clean)
        else:  # another library's own record class: clean at once
            record.msg, record.args = clean(record.getMessage()), None
        if record.exc_info and record.exc_info[0] is not None and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = clean(record.exc_text)
        return record

    cleaned_record.cleans = clean  # type: ignore[attr-defined]
    logging.setLogRecordFactory(cleaned_record)
    return lambda: logging.setLogRecordFactory(make_record)


def redact_logs() -> None:
    """From now on, every log record of this process carries redacted text, its traceback too
    (Scrapy logs the URL of each page it retries, ignores or gives up on, and the errors naming it;
    Scrapy replaces its log handlers per crawl, so this is done where records are made)."""
    if getattr(logging.getLogRecordFactory(), "cleans", None) is redact:
        return
    clean_log_records(redact)
