"""`supplywatch serve` without a password answers only to its own host names (no DNS rebinding from a
web page the owner opens), and no SQL it is sent can grow it past a few hundred MB."""

import http.client
import json
import urllib.parse

from tests.conftest import peak_memory_mb, product_page, serve_process, supplywatch, write_config


def crawled(tmp_path, sites, extra=""):
    shop = sites()
    write_config(tmp_path, f'- {{id: walnut, name: Walnut, unit: board_foot, offers: [{{supplier: acme, url: "{shop.set("w", product_page("12.00"))}"}}]}}',
                 notify_yaml=f"urls: []\n{extra}")
    assert supplywatch("run", cwd=tmp_path).returncode == 0


def get(base: str, path: str, host: str | None = None) -> tuple[int, str]:
    address = urllib.parse.urlsplit(base)
    connection = http.client.HTTPConnection(address.hostname, address.port, timeout=60)
    connection.request("GET", path, headers={"Host": host or address.netloc})
    response = connection.getresponse()
    return response.status, response.read().decode("utf-8", "replace")


def test_requests_naming_another_host_are_refused(tmp_path, sites):
    crawled(tmp_path, sites, extra='base_url: "http://prices.myshop.example:8001"')
    with serve_process(tmp_path) as (base, _):
        port = urllib.parse.urlsplit(base).port
        status, text = get(base, "/supplywatch/offers.json", host=f"rebind.attacker.example:{port}")
        assert status == 403 and "answers only to" in text and "walnut" not in text
        assert get(base, "/supplywatch/offers.json", host="127.0.0.1.attacker.example")[0] == 403
        for host in (f"127.0.0.1:{port}", f"localhost:{port}", "LOCALHOST", "prices.myshop.example"):
            status, text = get(base, "/supplywatch/offers.json", host=host)
            assert status == 200 and "walnut@acme" in text, host  # base_url's host too (a reverse proxy)


def test_one_huge_value_is_refused_and_the_server_stays_small(tmp_path, sites):
    crawled(tmp_path, sites)
    with serve_process(tmp_path) as (base, process):
        status, text = get(base, "/supplywatch.json?" + urllib.parse.urlencode({"sql": "select zeroblob(50000000)"}))
        assert status == 400 and "string or blob too big" in json.loads(text)["error"]
        status, text = get(base, "/supplywatch.json?" + urllib.parse.urlencode({"sql": "select length(hex(zeroblob(400000))) as n"}))
        assert status == 200 and json.loads(text)["rows"] == [[800000]]  # values of ordinary size still work
        assert peak_memory_mb(process.pid) < 300


def test_thousands_of_large_values_fail_instead_of_taking_the_machine(tmp_path, sites):
    crawled(tmp_path, sites)
    columns = ", ".join(["zeroblob(999999)"] * 1000)  # each value under the cap, 1 GB a row
    sql = f"with recursive n(i) as (select 1 union all select i + 1 from n where i < 5000) select {columns} from n"
    with serve_process(tmp_path) as (base, process):
        status, _ = get(base, "/supplywatch.json?" + urllib.parse.urlencode({"sql": sql}))
        assert status in (400, 500)
        assert peak_memory_mb(process.pid) < 700  # the heap limit, not the machine's memory
        status, text = get(base, "/supplywatch/offers.json")
        assert status == 200 and "walnut@acme" in text  # and it goes on serving
