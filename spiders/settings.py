"""Scrapy settings for supplywatch: polite by default.

The per-owner parts (User-Agent contact, delay, timeout, retries) come from ``supplywatch.yml``
through :func:`spiders.spiders.offers.settings_from_config`.
"""

from scrapy.settings import default_settings as scrapy_defaults

BOT_NAME = "supplywatch"
SPIDER_MODULES = ["spiders.spiders"]
NEWSPIDER_MODULE = "spiders.spiders"

# Politeness: obey robots.txt, one request at a time per supplier domain, a delay between them.
# The offers spider also hands out a supplier's next page only once the last one has finished
# (spiders/schedule.py), so one at a time holds at any delay, 0 included, whatever Scrapy does.
ROBOTSTXT_OBEY = True
CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 1
DOWNLOAD_DELAY = 2
DOWNLOAD_DELAY_JITTER = 0  # Scrapy's default varies the delay by ±50 %: "waits 2 s" means 2 s
USER_AGENT = "supplywatch/0.1 (+https://github.com/supplywatch/supplywatch)"
AUTOTHROTTLE_ENABLED = False

# Retry-After and robots.txt Crawl-delay, which Scrapy does not honour by itself. Before the
# retry middleware (550), so a 429/503 with Retry-After waits instead of retrying at once.
# Redirects stay on the supplier's own site; checked on every request, redirected ones included.
DOWNLOADER_MIDDLEWARES = {
    "scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None,
    "spiders.middlewares.PoliteRobotsTxtMiddleware": 100,  # Scrapy's place; a 5xx robots.txt means keep out (RFC 9309)
    "spiders.middlewares.SameSiteRedirectMiddleware": 90,
    "spiders.middlewares.PoliteDelaysMiddleware": 560,
}
RETRY_AFTER_TIMES = 2  # how often to come back when told "Retry-After" (within the supplier's time budget)

# No listener of any kind in a crawl. Scrapy 2.19 starts by default a telnet console and a remote
# control HTTP server that executes the Python code it is sent: both off.
TELNETCONSOLE_ENABLED = False
REMOTE_CONTROL_ENABLED = False

# Time budgets in seconds (the config's crawl.supplier_budget_minutes and night_budget_minutes):
# pages still waiting when they run out are recorded as errors, and slow pages cannot stretch them.
SUPPLYWATCH_SUPPLIER_BUDGET = 60 * 60
SUPPLYWATCH_NIGHT_BUDGET = 4 * 60 * 60

# Scrapy hands each page's items to CONCURRENT_ITEMS workers, and starts them all (101 asyncio
# tasks a page at its default, 100) however few items the page gave: a third of a bare Scrapy
# crawl's CPU. There is no item pipeline here (items go to the monitor through a signal, at once),
# so one worker a page passes the very same items.
CONCURRENT_ITEMS = 1

# Failures are recorded as observations, so keep retries few and timeouts bounded.
RETRY_ENABLED = True
RETRY_TIMES = 2
DOWNLOAD_TIMEOUT = 30
COOKIES_ENABLED = False
HTTPCACHE_ENABLED = False

# Size: a product page is well under 2 MB; Scrapy's default cap is 1 GiB. The cap also holds for
# the body after gzip/deflate/brotli/zstd decompression, so a small bomb is refused, not inflated.
# An offer with a big price list raises it for its own request (`max_download_mb:` in the config).
DOWNLOAD_MAXSIZE = 20 * 1024 * 1024
DOWNLOAD_WARNSIZE = 5 * 1024 * 1024
# Memory is bounded per page by the caps above (and in spiders/pricelist.py, spiders/extract.py).
# Scrapy's MEMUSAGE_LIMIT_MB would close the whole crawl for one page, so it only warns; the
# backstop is a data size limit for the crawl (spiders/memory.py): past it an allocation fails with
# MemoryError, which costs the offer being read, not the night. 0: 2 GB or half the machine's memory.
MEMUSAGE_ENABLED = True
MEMUSAGE_WARNING_MB = 1024
# spiders/politeness.py keeps in the crawl's stats (the runs table's crawl_stats) the closest two
# requests to one site and the most one site had at once, as Scrapy's downloader started them.
# spiders/open_files.py raises the soft limit of open files to what the suppliers' sites need (one
# connection kept open per site: a night of 2,000 suppliers passes the 1,024 cron starts with).
EXTENSIONS = {"spiders.memory.MemoryBound": 500, "spiders.politeness.PolitenessRecord": 510, "spiders.open_files.EnoughOpenFiles": 520}
# The telnet console and remote control (off above) are not even imported: Scrapy imports every
# extension it lists to merge the lists (one set to None too), and the remote control's module
# imports aiohttp, a fifth of a second of every run's start-up.
EXTENSIONS_BASE = {name: order for name, order in scrapy_defaults.EXTENSIONS_BASE.items()
                   if name not in ("scrapy.extensions.telnet.TelnetConsole", "scrapy.extensions.remote_control.RemoteControl")}
SUPPLYWATCH_MEMORY_LIMIT_MB = 0

# Feeds written with `scrapy crawl offers -O items.jsonl` keep every field, as `supplywatch ingest` expects.
FEED_EXPORT_ENCODING = "utf-8"
LOG_LEVEL = "INFO"
