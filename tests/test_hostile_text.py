"""Text from supplier pages is data: it never becomes HTML in an e-mail, a link or a mention in a chat,
or a terminal command in `status`, `probe` or a printed digest, and the database keeps it clean and short."""

import json
import sqlite3
from datetime import datetime, timezone

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

try:
    from monitor.notify.outbox import Sender
except ImportError:
    Sender = None
from tests.conftest import supplywatch, write_config

# What a hostile shop puts in its product names: a tracking image, a phishing link, a mention of the
# whole chat, and terminal escapes that clear the screen, retitle the window and reset the terminal.
ESCAPES = "\x1b[2J\x1b]0;you have been hacked\x07\x1bc\x9b31m"
HOSTILE = f'Walnut <img src="http://tracker.invalid/t.png"> @everyone [verify your account](http://phish.invalid/login) {ESCAPES}'
TERMINAL_CONTROL = ("\x1b", "\x07", "\x9b")


def ambiguous_page(name: str) -> str:
    """Two sizes at two prices and no variant chosen: the shop's names end up in the error shown."""
    data = {"@context": "https://schema.org", "@type": "Product", "name": name, "offers": [
        {"@type": "Offer", "name": f"{name} small", "price": "12.00", "priceCurrency": "USD", "sku": "W-S"},
        {"@type": "Offer", "name": "large", "price": "19.00", "priceCurrency": "USD", "sku": "W-L"}]}
    return f'<html><head><script type="application/ld+json">{json.dumps(data)}</script></head><body></body></html>'


def long_raw_page() -> str:
    """A price read from a selector whose text is 20,000 characters with terminal escapes in it."""
    return f'<html><body><span class="p">{"Our best walnut " * 1250}\x1bc\x07 USD 12.00</span></body></html>'


def hostile_config(tmp_path, sites, notify_yaml="urls: []"):
    shop = sites()
    write_config(tmp_path, f"""
    - id: walnut
      name: Black walnut
      unit: board_foot
      offers:
        - {{supplier: acme, url: "{shop.set('walnut', ambiguous_page(HOSTILE))}"}}
        - {{supplier: corner, url: "{shop.set('long', long_raw_page())}", price: "css:.p::text"}}
    """, notify_yaml=notify_yaml)
    return shop


class ChatSink:
    """A Mattermost server on 127.0.0.1 (Apprise's mmost://): it renders markdown and mentions."""

    def __init__(self) -> None:
        self.server = HTTPServer(host="127.0.0.1")
        self.server.start()
        self.posts: list[dict] = []
        self.server.expect_request("/hooks/supplywatchhook0123456789").respond_with_handler(self._post)

    def _post(self, request: Request) -> Response:
        self.posts.append(json.loads(request.get_data()))
        return Response("ok")

    @property
    def url(self) -> str:
        return f"mmost://127.0.0.1:{self.server.port}/supplywatchhook0123456789"


@pytest.fixture
def chat():
    sink = ChatSink()
    yield sink
    sink.server.clear()
    sink.server.stop()


def stored_text(db_path) -> list[str]:
    db = sqlite3.connect(db_path)
    return [value for table in ("observations", "notifications", "runs", "alerts")
            for row in db.execute(f"SELECT * FROM {table}") for value in row if isinstance(value, str)]


def test_page_text_reaches_email_as_plain_text_with_its_line_breaks(tmp_path, sites, smtp_sink, chat):
    hostile_config(tmp_path, sites, notify_yaml=f"""
    urls:
      - {{url: "{smtp_sink.url}", tags: [digest]}}
      - {{url: "{smtp_sink.url}&format=html", tags: [digest]}}
      - {{url: "{chat.url}", tags: [digest]}}
    """)
    result = supplywatch("run", cwd=tmp_path)
    assert result.returncode == 1, result.stderr  # one page gave no price: partial
    assert len(smtp_sink.messages) == 2
    (plain,) = [m for m in smtp_sink.messages if m.get_content_type() == "text/plain"]  # no image loads, no link hides
    (html,) = [m for m in smtp_sink.messages if m is not plain]
    body = plain.get_content()
    assert '<img src="http://tracker.invalid/t.png">' in body  # shown as the text it is
    lines = body.splitlines()
    assert "Pages without a valid price:" in lines and any(line.startswith("  Black walnut at Acme Lumber: ") for line in lines)
    assert not any(c in body for c in TERMINAL_CONTROL)
    # An owner who asked for HTML mail gets the page's words escaped, and the lines kept.
    assert html.get_content_type() == "multipart/alternative"
    html_body = html.get_body(("html",)).get_content()
    assert "&lt;img" in html_body and "<img" not in html_body and "<br" in html_body


def test_markdown_chat_shows_page_text_without_links_or_mentions(tmp_path, sites, chat):
    hostile_config(tmp_path, sites, notify_yaml=f'urls: [{{url: "{chat.url}", tags: [digest]}}]')
    assert supplywatch("run", cwd=tmp_path).returncode == 1
    (post,) = chat.posts
    text = post["text"]
    assert "@everyone" not in text and "@\u200beveryone" in text  # shown, nobody is pinged
    assert "\\[verify your account\\]\\(http://phish.invalid/login)" in text  # no link hidden behind words
    assert "\\<img" in text and not any(c in text for c in TERMINAL_CONTROL)
    assert "\n\u00a0\u00a0Black walnut at Acme Lumber: " in text  # line breaks and indentation kept, not a code block


def test_discord_gets_the_markdown_escaping_and_email_the_plain_text():
    sender = Sender()
    fake = "x" * 28  # token-shaped, made here: no credential-looking string in a tracked file
    for url in (f"discord://4174216298/{fake}", f"mailto://owner:{'p' * 2}@example.com", f"tgram://123456789:{'a' * 17}/12345"):
        assert sender.add(url, ["digest"])
    assert len(sender.groups["markdown"].apprise) == 1  # Discord renders markdown and @everyone even in plain text
    assert len(sender.groups["plain"].apprise) == 2  # e-mail takes text as it is; Telegram gets it HTML-escaped by Apprise
    assert sender.groups["markdown"].prepare("@everyone [x](http://a)") == "@\u200beveryone \\[x\\]\\(http://a)"


def test_control_characters_never_reach_the_database_or_the_terminal(tmp_path, sites):
    shop = hostile_config(tmp_path, sites)  # no notification URLs: the digest is printed
    run = supplywatch("run", cwd=tmp_path)
    assert run.returncode == 1, run.stderr
    assert "Pages without a valid price:" in run.stdout and "@everyone" in run.stdout
    status = supplywatch("status", cwd=tmp_path)
    assert status.returncode == 0, status.stderr
    assert "different prices in json-ld" in status.stdout
    probe = supplywatch("probe", shop.url("walnut"), cwd=tmp_path)
    assert probe.returncode == 0, probe.stderr
    assert 'Walnut <img src="http://tracker.invalid/t.png"> @everyone' in probe.stdout  # the shop's words, as words
    for output in (run.stdout, run.stderr, status.stdout, status.stderr, probe.stdout, probe.stderr):
        assert not any(c in output for c in TERMINAL_CONTROL)
    texts = stored_text(tmp_path / "supplywatch.db")
    assert not any(c in t for t in texts for c in TERMINAL_CONTROL)
    (raw,) = sqlite3.connect(tmp_path / "supplywatch.db").execute("SELECT raw FROM observations WHERE offer_id = 'walnut@corner'").fetchone()
    assert 100 < len(raw) <= 500 and raw.endswith("…")  # capped, and says so


def test_feed_items_are_cleaned_as_they_are_ingested(tmp_path, sites):
    hostile_config(tmp_path, sites)
    now = datetime.now(timezone.utc).isoformat(timespec="seconds")
    feed = tmp_path / "items.jsonl"
    feed.write_text("\n".join(json.dumps(item) for item in [
        {"offer_id": "walnut@acme", "status": "missing", "fetched_at": now, "error": f"no price: {HOSTILE}", "raw": "x" * 10_000 + ESCAPES},
        {"offer_id": "walnut@corner", "status": "ok", "fetched_at": now, "price": "12.00", "currency": "USD", "raw": f"12.00{ESCAPES}",
         "method": f"css{ESCAPES}"},
    ]) + "\n")
    result = supplywatch("ingest", str(feed), cwd=tmp_path)
    assert result.returncode == 1, result.stderr
    assert "Black walnut at Acme Lumber: no price on the page (no price: Walnut" in result.stdout and not any(c in result.stdout for c in TERMINAL_CONTROL)
    db = sqlite3.connect(tmp_path / "supplywatch.db")
    assert db.execute("SELECT max(length(raw)) FROM observations").fetchone()[0] <= 500
    assert db.execute("SELECT method FROM observations WHERE offer_id = 'walnut@corner'").fetchone()[0] == "css"
    assert not any(c in t for t in stored_text(tmp_path / "supplywatch.db") for c in TERMINAL_CONTROL)
