"""A feed is untrusted input too: `supplywatch ingest` of lines a broken or hostile crawler wrote
stores each bad line as an error for its offer, with the reason, and never as a price; the rest of
the feed counts, and no line can freeze an offer's latest price. A feed fetched over HTTP is read
under a deadline and a size cap, from the scrapyd node's own server only."""

from __future__ import annotations

import json
import socket
import threading
import time
from datetime import datetime, timedelta, timezone

import pytest
import sqlite_utils

from monitor import pipeline
from tests.conftest import supplywatch, write_config

OFFERS = ["nan", "infinity", "huge", "e22", "far-future", "yesterday", "weird-status", "tiers", "healthy"]


def line(offer: str, price: object, when: str, **more: object) -> str:
    return json.dumps({"offer_id": offer, "status": "ok", "price": price, "currency": "USD", "fetched_at": when, **more})


def test_hostile_feed_lines_are_errors_for_their_offers_alone_and_freeze_nothing(tmp_path):
    write_config(tmp_path, "\n".join(["- id: walnut", "  name: Walnut", "  unit: board_foot", "  offers:"] + [
        f'    - {{supplier: acme, id: {o}, url: "http://127.0.0.1:9/{o}"}}' for o in OFFERS]))
    now = datetime.now(timezone.utc)
    tonight = now.isoformat(timespec="seconds")
    feed = tmp_path / "items.jsonl"
    feed.write_text("\n".join([
        line("nan", float("nan"), tonight),  # json.dumps writes NaN bare, as a careless exporter does
        line("infinity", "Infinity", tonight),
        line("huge", 1, tonight).replace('"price": 1', '"price": 1e400'),
        line("e22", 1e22, tonight),
        line("far-future", "12.00", "9999-01-01T00:00:00+00:00"),
        line("yesterday", "12.00", "yesterday"),
        line("weird-status", "12.00", tonight, status="fine"),
        line("tiers", "12.00", tonight, tiers=[{"min": float("nan"), "price": "1"}]),
        line("healthy", "12.00", tonight),
    ]) + "\n")
    result = supplywatch("ingest", str(feed), cwd=tmp_path)
    assert result.returncode == pipeline.EXIT_PARTIAL, result.stderr[-3000:]  # nothing crashed; some lines gave no price
    db = sqlite_utils.Database(tmp_path / "supplywatch.db")
    rows = {r["offer_id"]: r for r in db.query("SELECT * FROM observations")}
    for offer in ("nan", "infinity", "huge", "e22", "far-future", "yesterday", "weird-status"):
        assert rows[offer]["status"] == "error" and rows[offer]["price"] is None and rows[offer]["error"], rows[offer]
        assert rows[offer]["fetched_at"] < "9999", rows[offer]  # stored at the feed's own time, never in the year 9999
    assert "9999" in rows["far-future"]["error"] and "yesterday" in rows["yesterday"]["error"]  # each says which time
    assert "status" in rows["weird-status"]["error"] and "NaN" in rows["nan"]["error"] and "price" in rows["nan"]["error"]
    assert rows["tiers"]["price"] == 12.0 and rows["tiers"]["tiers"] is None  # a NaN quantity break is no tier
    assert rows["healthy"]["status"] == "ok" and rows["healthy"]["price"] == 12.0

    # The next feed's prices count: no line of the first one froze an offer's latest price.
    later = (now + timedelta(minutes=5)).isoformat(timespec="seconds")
    feed.write_text("\n".join(line(o, "13.00", later) for o in OFFERS) + "\n")
    result = supplywatch("ingest", str(feed), cwd=tmp_path)
    assert result.returncode == pipeline.EXIT_OK, result.stdout + result.stderr[-3000:]
    latest = dict(db.execute("SELECT o.offer_id, o.price FROM latest_observations l JOIN observations o ON o.id = l.observation_id"))
    assert latest == {o: 13.0 for o in OFFERS}


def feed_server(chunk: bytes, pause: float) -> tuple[str, socket.socket]:
    """A feed server on 127.0.0.1 that answers 200, then sends ``chunk`` every ``pause`` seconds, forever."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(5)

    def serve() -> None:
        while True:
            try:
                connection, _ = server.accept()
            except OSError:
                return
            threading.Thread(target=answer, args=(connection,), daemon=True).start()

    def answer(connection: socket.socket) -> None:
        with connection:
            connection.recv(4096)
            try:
                connection.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/x-ndjson\r\n\r\n")
                while True:
                    connection.sendall(chunk)
                    time.sleep(pause)
            except OSError:
                return

    threading.Thread(target=serve, daemon=True).start()
    return f"http://127.0.0.1:{server.getsockname()[1]}/items.jl", server


def test_a_feed_that_trickles_never_ends_or_points_elsewhere_is_cut_off():
    from monitor.crawl import feeds
    from monitor.crawl.nodes import Node

    trickling, one = feed_server(b" ", 0.2)  # a byte at a time: every read gets something, none fills a block
    endless, other = feed_server(b"{}\n" * 20000, 0)
    outcomes: dict[str, str] = {}

    def fetch(name: str, url: str, **bounds: float) -> None:
        try:
            feeds.fetch_feed(url, **bounds)
            outcomes[name] = "read"
        except feeds.FeedError as exc:
            outcomes[name] = str(exc)

    try:
        readers = [threading.Thread(target=fetch, args=("trickling", trickling), kwargs={"deadline": 1}, daemon=True),
                   threading.Thread(target=fetch, args=("endless", endless), kwargs={"max_bytes": 2**20}, daemon=True)]
        for reader in readers:
            reader.start()
        for reader in readers:
            reader.join(60)  # a bound for the test itself, far past the deadline
    finally:
        one.close()
        other.close()
    assert "took longer than 1 s to read; not read" in outcomes["trickling"]
    assert "is larger than 1 MB; not read" in outcomes["endless"]
    node = Node("http://127.0.0.1:6800")  # a scrapyd node, whose credentials go with every call to it
    with pytest.raises(ValueError, match="points to a feed on another server"):
        node.same_origin("http://127.0.0.2:6800/items/supplywatch/offers/x.jl")
    assert node.same_origin("/items/supplywatch/offers/x.jl") == "http://127.0.0.1:6800/items/supplywatch/offers/x.jl"
