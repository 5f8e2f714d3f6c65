"""Supplier text loses its terminal control in one place (spiders/plain_text.py), for the spider's
items and for everything the monitor stores, prints and sends."""

import pytest

from monitor import safe_text
from spiders import plain_text, trust

# Clear the screen, retitle the window (OSC ended by BEL, and by ST), reset the terminal, 8-bit CSI
# red, a device control string, a right-to-left override and a left-to-right mark.
HOSTILE = "Wal\x1b[2Jnut\x1b]0;hacked\x07 \x1b]8;;http://x.invalid\x1b\\oil\x1bc \x9b31m12\x1bP+q\x1b\\ kg\u202e\u200e"


@pytest.mark.parametrize("clean", [
    lambda t: trust.clean_text(t, 300),  # the spider's items
    safe_text.one_line,  # the monitor's stored items and notification titles
    safe_text.for_terminal,  # what the monitor prints
    plain_text.without_control,  # before a number is read
])
def test_every_cleaner_removes_every_escape_sequence_whole(clean):
    text = clean(HOSTILE)
    assert text.replace(" ", "") == "Walnutoil12kg"
    assert not any(c in text for c in "\x1b\x07\x9b\u202e\u200e")


def test_the_monitor_and_the_spider_share_the_same_cleaner():
    assert safe_text.one_line is plain_text.one_line and safe_text.for_terminal is plain_text.for_terminal


def test_text_keeps_its_words_and_a_cut_is_marked():
    assert trust.clean_text("Walnut\n\n  board \t 8/4", 300) == "Walnut board 8/4"
    assert safe_text.for_terminal("line one\r\nline two\ttab") == "line one\nline two\ttab"
    assert plain_text.words("x" * 20, 10) == "x" * 9 + "…"
