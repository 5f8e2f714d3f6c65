"""Scrapy settings for supplywatch: polite by default.

The per-owner parts (User-Agent contact, delay, timeout, retries) come from ``supplywatch.yml``
through :func:`spiders.spiders.offers.settings_from_config`.
"""

BOT_NAME = "supplywatch"
SPIDER_MODULES = ["spiders.spiders"]
NEWSPIDER_MODULE = "spiders.spiders"

# Politeness: obey robots.txt, one request at a time per supplier domain, a delay between them.
ROBOTSTXT_OBEY = True
CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 1
DOWNLOAD_DELAY = 2
USER_AGENT = "supplywatch/0.1 (+https://github.com/supplywatch/supplywatch)"
AUTOTHROTTLE_ENABLED = False

# Retry-After and robots.txt Crawl-delay, which Scrapy does not honour by itself. Before the
# retry middleware (550), so a 429/503 with Retry-After waits instead of retrying at once.
DOWNLOADER_MIDDLEWARES = {"spiders.middlewares.PoliteDelaysMiddleware": 560}
RETRY_AFTER_TIMES = 2  # how often to come back when told "Retry-After" (waits up to 300 s each)

# No remote control: the telnet console is off, and no web service extension is enabled.
TELNETCONSOLE_ENABLED = False

# Failures are recorded as observations, so keep retries few and timeouts bounded.
RETRY_ENABLED = True
RETRY_TIMES = 2
DOWNLOAD_TIMEOUT = 30
COOKIES_ENABLED = False
HTTPCACHE_ENABLED = False

# Feeds written with `scrapy crawl offers -O items.jsonl` keep every field, as `supplywatch ingest` expects.
FEED_EXPORT_ENCODING = "utf-8"
LOG_LEVEL = "INFO"
