"""A night is bounded: each supplier has a time budget and the night has one; pages left over are
errors that say so, a supplier that asks for more time than it has is skipped tonight, and a slow
page cannot cost timeout x (retries + 1). Each case is a real `supplywatch run` at local servers."""

from __future__ import annotations

import re
import time

from werkzeug import Request, Response

from tests.conftest import product_page
from tests.test_hostile import assert_healthy_night, night


def slow_pages(site, names: list[str], seconds: float) -> list[str]:
    """Pages under /slow/ that answer with a price after ``seconds``; returns the paths asked for, as asked."""
    asked: list[str] = []

    def answer(request: Request) -> Response:
        asked.append(request.path)
        time.sleep(seconds)
        return Response(product_page("12.00"), content_type="text/html")

    for name in names:
        site.server.expect_request(f"/slow/{name}").respond_with_handler(answer)
    return asked


def lines(names: list[str], path: str = "slow") -> list[str]:
    return [f'        - {{supplier: acme, id: {n}, url: "{{acme}}/{path}/{n}"}}' for n in names]


def test_pages_left_when_the_suppliers_budget_runs_out_are_errors_that_say_so(tmp_path, sites):
    names = [f"page-{i}" for i in range(5)]
    watched: list[list[str]] = []
    result, rows, _ = night(tmp_path, sites, {}, offer_lines=lines(names), crawl="supplier_budget_minutes: 0.05",
                            before=lambda acme: watched.append(slow_pages(acme, names, 1.5)))
    assert_healthy_night(result, rows)
    fetched = [n for n in names if rows[n]["status"] == "ok"]
    late = [n for n in names if rows[n]["status"] == "error"]
    assert fetched and late and len(fetched) + len(late) == 5
    assert all("time budget exceeded" in rows[n]["error"] and "supplier_budget_minutes" in rows[n]["error"] for n in late)
    assert len(watched[0]) < 5  # the pages out of time were never asked for


def test_the_nights_budget_bounds_every_supplier(tmp_path, sites):
    names = [f"page-{i}" for i in range(5)]
    result, rows, _ = night(tmp_path, sites, {}, offer_lines=lines(names), crawl="night_budget_minutes: 0.05",
                            before=lambda acme: slow_pages(acme, names, 1.5))
    assert result.returncode == 1, result.stderr[-3000:]
    late = [n for n in names if rows[n]["status"] == "error"]
    assert late and all("night_budget_minutes" in rows[n]["error"] for n in late)


def test_a_page_that_never_answers_costs_the_budget_not_timeout_times_retries(tmp_path, sites):
    watched: list[list[str]] = []
    result, rows, _ = night(tmp_path, sites, {}, offer_lines=lines(["stuck"]),
                            crawl="timeout_seconds: 5, retries: 2, supplier_budget_minutes: 0.05",
                            before=lambda acme: watched.append(slow_pages(acme, ["stuck"], 8)))
    assert_healthy_night(result, rows)
    assert rows["stuck"]["status"] == "error" and "time budget exceeded" in rows["stuck"]["error"]
    assert watched[0] == ["/slow/stuck"]  # asked once: no retry past the budget (without it: 3 tries of 5 s)


def test_a_crawl_delay_longer_than_the_budget_allows_skips_the_supplier_tonight(tmp_path, sites):
    result, rows, acme = night(tmp_path, sites, {"a": (product_page("1.00"),), "b": (product_page("2.00"),)},
                               crawl="supplier_budget_minutes: 5", before=lambda acme: setattr(acme, "robots", "User-agent: *\nCrawl-delay: 300\n"))
    assert_healthy_night(result, rows)
    for name in ("a", "b"):
        assert rows[name]["status"] == "error" and "skipped tonight" in rows[name]["error"] and "Crawl-delay" not in rows[name]["error"]
        assert "robots.txt asks for 5 min between pages" in rows[name]["error"]
    assert acme.requests("a") == [] and acme.requests("b") == []  # not one page asked for


def test_a_retry_after_longer_than_the_budget_allows_skips_the_supplier_tonight(tmp_path, sites):
    busy = Response("come back later", status=503, headers={"Retry-After": "3600"})
    result, rows, acme = night(tmp_path, sites, {"a": (busy,), "b": (product_page("2.00"),), "c": (product_page("3.00"),)},
                               crawl="supplier_budget_minutes: 5")
    assert_healthy_night(result, rows)
    for name in ("a", "b", "c"):
        assert rows[name]["status"] == "error" and "asked to come back in 1 h" in rows[name]["error"], rows[name]
    assert len(acme.requests("a")) == 1 and acme.requests("b") == [] and acme.requests("c") == []


WATCH = """
import json, sys
from scrapy import signals
from scrapy.crawler import CrawlerProcess
from monitor import config as config_module
from monitor.crawl.local import scrapy_settings
from spiders.signals import supplier_finished
from spiders.spiders.offers import OffersSpider

config = config_module.load(sys.argv[1])
process = CrawlerProcess(scrapy_settings(config))
events = []

def note(event):
    events.append(event)
    with open(sys.argv[2], "a") as told:  # as it happens, for a server that waits on it
        told.write(json.dumps(event) + "\\n")

class Watch:
    def item(self, item, **_):
        note(["item", item["supplier"], item["offer_id"]])

    def finished(self, supplier, items, **_):
        note(["finished", supplier, sorted(i["offer_id"] for i in items)])

watch = Watch()
crawler = process.create_crawler(OffersSpider)
crawler.signals.connect(watch.item, signal=signals.item_scraped)
crawler.signals.connect(watch.finished, signal=supplier_finished)
process.crawl(crawler, offers=config.offers())
process.start()
print(json.dumps(events))
"""


def test_each_supplier_signals_it_is_finished_while_slower_ones_still_crawl(tmp_path, sites):
    import json
    import subprocess
    import sys

    from tests.conftest import REPO

    from pytest_httpserver import HTTPServer

    _, _, acme = night(tmp_path, sites, {"a": (product_page("1.00"),), "b": (product_page("2.00"),)})
    corner = HTTPServer(host="127.0.0.2")  # its own address: not one Scrapy download slot with acme
    corner.start()
    corner.expect_request("/robots.txt").respond_with_data("User-agent: *\nAllow: /\n")
    told = tmp_path / "events.jsonl"
    told.touch()

    def after_acme_is_finished(request: Request) -> Response:
        """corner's page answers once acme was told finished: the order under test, whatever the machine's load."""
        for _ in range(600):
            if '["finished", "acme"' in told.read_text():
                break
            time.sleep(0.1)
        return Response(product_page("12.00"), content_type="text/html")

    corner.expect_request("/slow/walnut").respond_with_handler(after_acme_is_finished)
    config = tmp_path / "supplywatch.yml"
    text = config.read_text()
    healthy_url = re.search(r'id: healthy, url: "([^"]+)"', text).group(1)
    config.write_text(text.replace(healthy_url, corner.url_for("/slow/walnut")))
    try:
        watched = subprocess.run([sys.executable, "-c", WATCH, str(config), str(told)], cwd=REPO, capture_output=True, text=True, timeout=120)
    finally:
        corner.clear()
        corner.stop()
    assert watched.returncode == 0, watched.stderr[-2000:]
    events = json.loads(watched.stdout.strip().splitlines()[-1])
    finished = {e[1]: i for i, e in enumerate(events) if e[0] == "finished"}
    assert [e[2] for e in events if e[0] == "finished" and e[1] == "acme"] == [["a", "b"]]
    assert [e[2] for e in events if e[0] == "finished" and e[1] == "corner"] == [["healthy"]]
    last_item = {s: max(i for i, e in enumerate(events) if e[0] == "item" and e[1] == s) for s in ("acme", "corner")}
    assert last_item["acme"] < finished["acme"] < last_item["corner"] < finished["corner"]  # acme told before corner is done


def test_with_more_suppliers_than_requests_at_once_each_is_crawled_through_before_others_begin():
    """A night of many suppliers ends supplier after supplier, each stored as it ends, instead of
    every supplier advancing a page at a time and all of them ending together (the whole night in
    memory until then). Plain scheduling, no crawl: 6 suppliers of 3 pages, 2 requests at once."""
    from spiders.offer import OfferSpec
    from spiders.schedule import Schedule, group_fetches

    offers = [OfferSpec(offer_id=f"{s}-{p}", material="walnut", supplier=s, url=f"http://{s}.example/p/{p}", pack="1 kg", unit="kg")
              for s in "abcdef" for p in range(3)]
    schedule = Schedule(group_fetches(offers, lambda o: o.url), 3600, 4 * 3600, now=0.0, suppliers_at_once=2)
    under_way: set[str] = set()
    ended: list[str] = []
    for tick in range(100):
        for fetch in schedule.next_fetches(float(tick)):
            under_way.add(fetch.supplier)
            assert len(under_way) <= 2  # never a third supplier begun while two are under way
            schedule.finished(fetch)
            if schedule.plans[fetch.supplier].done:
                under_way.discard(fetch.supplier)
                ended.append(fetch.supplier)
        if schedule.done:
            break
    assert schedule.done and sorted(ended) == list("abcdef")  # every page fetched, every supplier ended


def test_every_refusal_of_our_own_is_told_in_the_words_it_was_raised_with():
    """Over budget, skipped, off-site redirect and unreachable robots.txt are worded where they are raised;
    the spider and failure_reason know them by one mark, so none reads as Scrapy's 'request dropped'."""
    from scrapy.exceptions import IgnoreRequest

    from spiders.middlewares import OffSiteRedirect, OverBudget, RobotsUnreachable, SupplierSkipped
    from spiders.wording import failure_reason

    words = "skipped tonight: the supplier asked to come back in 2 hours, more than its budget leaves"
    for refusal in (OverBudget, SupplierSkipped, OffSiteRedirect, RobotsUnreachable):
        assert failure_reason(refusal(words), words) == words, refusal
    assert failure_reason(IgnoreRequest("Filtered offsite request"), "Filtered offsite request").startswith(
        "not fetched: the request was dropped before it was sent")


def test_the_spider_tells_a_refusal_of_our_own_whole_not_cut_as_a_failure_it_had_to_word():
    """The spider went by failure.check(Worded), which never matches a mark that is not an Exception
    (Twisted compares qualified names then), so a refusal went the way of Scrapy's own failures and
    was cut at 300 characters."""
    from scrapy import Request
    from scrapy.utils.test import get_crawler
    from twisted.python.failure import Failure

    from spiders.middlewares import OverBudget, SupplierSkipped
    from spiders.spiders.offers import OffersSpider

    spider = OffersSpider.from_crawler(get_crawler(OffersSpider), offers=[])
    words = ("skipped tonight: its robots.txt asks for 2 minutes between pages, so its 400 pages would take 13 hours, "
             "more than the 20 minutes left of its time budget (crawl.supplier_budget_minutes); " + "and more words " * 15)
    assert len(words) > 300
    for refusal in (OverBudget, SupplierSkipped):
        try:
            raise refusal(words)
        except refusal:
            failure = Failure()
        failure.request = Request("http://127.0.0.1:9/page")  # type: ignore[attr-defined]  # as Scrapy sets it
        assert spider._failure_reason(failure) == words, refusal
