"""Text from outside (supplier pages, feeds, exceptions) as plain text: no terminal control, no
invisible marks that reorder it on screen. The one place that says what such text loses, for the
spider (before any number is read from it, and before an item leaves) and for the monitor (before
it is stored, printed or sent). ``"\\x1b[2J"`` clears a screen; it is not a price of 2.
"""

from __future__ import annotations

import re

# Terminal escape sequences, 7-bit and 8-bit: CSI (colours, clear screen, cursor moves), OSC (window
# title, hyperlinks, clipboard) and the other string commands (DCS, SOS, PM, APC), then any other
# two-character ESC sequence. Removed whole, so no parameter ("2" of "\x1b[2J") is left behind as text.
_ESCAPES = re.compile(
    r"(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]?"
    r"|(?:\x1b[\]PX^_]|[\x9d\x90\x98\x9e\x9f])[^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?"
    r"|\x1b[ -/]*[0-~]?"
)
# Direction marks, overrides and isolates reorder what is shown (a price or a name read backwards).
_BIDI = "\u200e\u200f\u202a-\u202e\u2066-\u2069"
_CONTROL = re.compile(rf"[\x00-\x08\x0e-\x1f\x7f-\x9f{_BIDI}]")
_BREAKS = re.compile(r"[\t\n\v\f\r\x85\u2028\u2029]+")
_BREAKS_BUT_NEWLINE_AND_TAB = re.compile(r"[\v\f\r\x85\u2028\u2029]")


def without_control(text: str) -> str:
    """``text`` without escape sequences and control characters; line breaks and tabs kept."""
    if not text.isprintable():  # the common case, clean text, costs one scan
        text = _CONTROL.sub("", _ESCAPES.sub("", text))
    return text


def one_line(text: str, limit: int | None = None) -> str:
    """A single line of plain text: escape sequences and control characters gone, line breaks and
    tabs made spaces, at most ``limit`` characters (an ellipsis marks a cut)."""
    text = _CONTROL.sub("", _BREAKS.sub(" ", _ESCAPES.sub("", text))).strip()
    if limit is not None and len(text) > limit:
        text = text[: limit - 1] + "…"
    return text


def words(text: str, limit: int | None = None) -> str:
    """:func:`one_line` with every run of spaces made one: page text as a person reads it."""
    return one_line(" ".join(without_control(text).split()), limit)


def for_terminal(text: str) -> str:
    """Text that keeps its lines and tabs and nothing else a terminal would act on."""
    text = _ESCAPES.sub("", text).replace("\r\n", "\n")
    return _CONTROL.sub("", _BREAKS_BUT_NEWLINE_AND_TAB.sub("\n", text))
