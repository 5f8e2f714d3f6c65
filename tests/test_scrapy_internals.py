"""The parts of Scrapy's inside that spiders/ leans on, as the installed Scrapy has them.

PoliteRobotsTxtMiddleware overrides RobotsTxtMiddleware._parse_robots, and the delay and budget code
compares a download slot's ``lastseen`` with ``time.monotonic()``. Scrapy 2.14-2.17 called
``_parse_robots(response, netloc)``: the override's missing ``request`` raised TypeError, which Scrapy
caught and read as no robots.txt (allow all); 2.13 called it as a Deferred callback, so its coroutine
never ran and each site's robots.txt was never settled. Before 2.16 the slots kept ``time.time()``.
pyproject asks for 2.18 or later; these tests fail the day a Scrapy changes either.
"""

from __future__ import annotations

import inspect
import time

from scrapy.core import downloader
from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware

from spiders.middlewares import PoliteRobotsTxtMiddleware


def test_scrapy_parses_robots_txt_the_way_our_keep_out_override_is_written():
    ours, scrapys = PoliteRobotsTxtMiddleware._parse_robots, RobotsTxtMiddleware._parse_robots
    assert inspect.iscoroutinefunction(scrapys) and inspect.iscoroutinefunction(ours)
    assert list(inspect.signature(scrapys).parameters) == list(inspect.signature(ours).parameters) == [
        "self", "response", "netloc", "request"]
    assert "await self._parse_robots(resp, netloc, request)" in inspect.getsource(RobotsTxtMiddleware.robot_parser)


def test_download_slots_count_their_delay_on_the_monotonic_clock():
    assert downloader.monotonic is time.monotonic  # Slot.lastseen = monotonic() in Downloader._process_queue
    assert "slot.lastseen = now" in inspect.getsource(downloader.Downloader._process_queue)
