"""Crawl: where a price is read. The ``offers`` spider run in this process, on scrapyd nodes, or
read back from the feeds a crawl elsewhere wrote. Scrapy is imported only by the modules that run it."""
