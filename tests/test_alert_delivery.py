"""What reaches the owner, end to end: pushes that read well on a lock screen, a digest for the
rest, broken suppliers held back, silences, the cheapest supplier changing."""

import sqlite_utils

from tests.conftest import product_page, supplywatch, write_config


def night(tmp_path, exit_code=0):
    """One nightly run; ``exit_code`` 1 when some page gave no price or a message is still queued."""
    result = supplywatch("run", cwd=tmp_path)
    assert result.returncode == exit_code, result.stdout + result.stderr


def status_text(tmp_path):
    result = supplywatch("status", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    return result.stdout


def two_suppliers(tmp_path, sites, sink, rules, extra=""):
    acme, corner = sites(), sites()
    acme.set("walnut", product_page("12.00"))
    acme.set("cherry", product_page("9.00"))
    corner.set("walnut", product_page("13.00"))
    write_config(tmp_path, f"""
    - id: walnut
      name: Black walnut
      unit: board_foot
      offers:
        - {{supplier: acme, url: "{acme.url('walnut')}"}}
        - {{supplier: corner, url: "{corner.url('walnut')}"}}
      rules: {rules}
    - id: cherry
      name: Cherry
      unit: board_foot
      offers: [{{supplier: acme, url: "{acme.url('cherry')}"}}]
      rules: {rules}
    """, notify_yaml=f'urls: [{{url: "{sink.url}", tags: [phone, digest]}}]\nbase_url: "http://127.0.0.1:8001"', extra=extra)
    return acme, corner


def test_critical_push_reads_well_on_a_lock_screen(tmp_path, sites, sink):
    acme, _ = two_suppliers(tmp_path, sites, sink, "[{kind: threshold, above: 15, confirm: 1}]")
    night(tmp_path)
    acme.set("walnut", product_page("16.40"))
    night(tmp_path)
    (push,) = [m for m in sink.messages if m["title"].startswith("Black walnut at")]
    assert push["title"] == "Black walnut at Acme Lumber above $15.00/bd ft"  # what happened, in words, first
    assert push["type"] == "failure"  # a critical push is not an info digest: phones can ring differently
    assert "Black walnut at Acme Lumber: $16.40/bd ft is above your limit of $15.00/bd ft" in push["message"]
    assert "rule:" not in push["message"] and "threshold" not in push["message"]  # no rule jargon
    assert "http://127.0.0.1:8001/material/walnut" in push["message"]


def test_broken_supplier_raises_its_own_alert_and_holds_back_its_price_alerts(tmp_path, sites, sink):
    acme, _ = two_suppliers(tmp_path, sites, sink, "[{kind: threshold, above: 15, confirm: 1}]")
    night(tmp_path)
    acme.set("walnut", "<html><body>We moved! Visit our new shop.</body></html>")
    acme.set("cherry", "<html><body>We moved! Visit our new shop.</body></html>")
    night(tmp_path, 1)
    digest = sink.messages[-1]["message"]
    assert "Acme Lumber: none of its 2 pages gave a price tonight" in digest and "Held back" in digest
    db = sqlite_utils.Database(tmp_path / "supplywatch.db")
    (broken,) = db.query("SELECT * FROM alerts WHERE kind = 'extraction' AND state = 'firing'")
    assert broken["supplier_id"] == "acme"
    acme.set("walnut", product_page("12.10"))
    acme.set("cherry", product_page("9.00"))
    night(tmp_path)
    assert "pages give prices again" in sink.messages[-1]["message"]


def test_silenced_material_does_not_ring_and_status_lists_the_silence(tmp_path, sites, sink):
    acme, _ = two_suppliers(tmp_path, sites, sink, "[{kind: threshold, above: 15, confirm: 1}]")
    night(tmp_path)
    result = supplywatch("silence", "walnut", "--for", "14d", "--reason", "bought a year's stock", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    acme.set("walnut", product_page("16.40"))
    night(tmp_path)
    assert not [m for m in sink.messages if m["title"].startswith("Black walnut at")]
    status = status_text(tmp_path)
    assert "walnut" in status and "bought a year's stock" in status
    assert supplywatch("silence", "teak", cwd=tmp_path).returncode == 2  # not in the config


def test_cheapest_supplier_change_goes_into_the_digest(tmp_path, sites, sink):
    _, corner = two_suppliers(tmp_path, sites, sink, "[{kind: cheapest}]")
    night(tmp_path)
    corner.set("walnut", product_page("11.50"))
    night(tmp_path)
    assert "Corner Shop is now the cheapest for Black walnut: $11.50/bd ft (next: Acme Lumber at $12.00/bd ft)" in sink.messages[-1]["message"]


def test_messages_that_kept_failing_arrive_marked_late_and_no_digest_calls_them_still_waiting(tmp_path, sites, sink):
    acme, _ = two_suppliers(tmp_path, sites, sink, "[{kind: threshold, above: 15, confirm: 1}]")
    sink.failing = True
    acme.set("walnut", product_page("16.40"))
    night(tmp_path, 1)
    night(tmp_path, 1)
    assert "2 attempts" in status_text(tmp_path)
    sink.failing = False
    acme.set("walnut", "gone")  # something new for tonight's digest
    night(tmp_path, 1)  # a page without a price
    (push,) = [m for m in sink.messages if m["title"].startswith("Black walnut at")]  # the push, once, saying it is late
    assert "(sent late, written " in push["title"]
    tonight = [m for m in sink.messages if "(sent late, " not in m["title"]]  # written tonight, not a late one from before
    assert tonight and not [m for m in tonight if "not delivered yet" in m["message"] + m["title"]]  # the push arrived before it
    assert "Notifications waiting for delivery: 0" in status_text(tmp_path)


def test_a_digest_reports_the_phone_messages_that_still_fail(tmp_path, sites, sink, phone):
    acme, _ = two_suppliers(tmp_path, sites, sink, "[{kind: threshold, above: 15, confirm: 1}]")
    config = (tmp_path / "supplywatch.yml").read_text().replace(
        f'urls: [{{url: "{sink.url}", tags: [phone, digest]}}]', f'urls: [{{url: "{sink.url}", tags: [digest]}}, {{url: "{phone.url}", tags: [phone]}}]')
    (tmp_path / "supplywatch.yml").write_text(config)
    phone.failing = True
    acme.set("walnut", product_page("16.40"))
    night(tmp_path, 1)
    night(tmp_path, 1)
    acme.set("walnut", "gone")
    night(tmp_path, 1)
    told = [m["message"] for m in sink.messages if "not delivered yet" in m["message"]]
    assert "1 message not delivered yet (up to 3 attempts; last error: " in told[-1], told  # tried again tonight, before the digest


def test_slow_notification_endpoint_still_gets_each_message_once(tmp_path, sites, sink):
    acme, _ = two_suppliers(tmp_path, sites, sink, "[{kind: threshold, above: 15, confirm: 1}]")
    sink.delay = 2.5
    acme.set("walnut", product_page("16.40"))
    night(tmp_path)
    night(tmp_path)
    assert len([m for m in sink.messages if m["title"].startswith("Black walnut at")]) == 1
