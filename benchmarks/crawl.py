"""Crawl: ``supplywatch run`` against a bare Scrapy spider fetching the same pages.

``--offers`` product pages (default 2,000) are served by 20 local suppliers, each on its own
loopback address (127.0.0.2-127.0.0.21) so each is its own Scrapy download slot, from a separate
process. Delays are off (``crawl.delay_seconds: 0``); both crawls obey robots.txt and use the
project's concurrency (16 requests in all, one per supplier). Each is a fresh process, timed from
start to exit, with its peak memory (RSS). The bare spider only yields each page's URL and size;
``supplywatch run`` also extracts, converts, stores, evaluates the rules and writes the digest.

    python benchmarks/crawl.py --offers 2000              # the crawl figure (target >= 70 % of bare)
    python benchmarks/crawl.py --offers 500 --runs 3      # end to end: three nights of 500 offers
    python benchmarks/crawl.py --offers 10000 --no-bare   # memory of a 10,000-offer crawl
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import subprocess
import sys
import tempfile
import textwrap
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SUPPLIERS = 20
FILLER = "<p>" + "Kiln-dried, graded to NHLA rules, shipped on pallets. " * 12 + "</p>"


def page(i: int, night: int) -> bytes:
    """A product page of about 12 KB: navigation, description, JSON-LD offer, a related product."""
    price = f"{20 + (i % 97) + 0.25 * (night % 3):.2f}"
    nav = "".join(f'<li><a href="/c/{c}">Category {c}</a></li>' for c in range(40))
    return textwrap.dedent(f"""\
        <!doctype html><html><head><title>Item {i}</title>
        <script type="application/ld+json">{{"@context": "https://schema.org", "@type": "Product", "name": "Item {i}",
         "sku": "SKU-{i}", "offers": {{"@type": "Offer", "price": "{price}", "priceCurrency": "USD",
         "availability": "https://schema.org/InStock"}}}}</script></head>
        <body><nav><ul>{nav}</ul></nav><main><h1>Item {i}</h1><div class="price">${price}</div>
        {FILLER * 8}<aside class="related"><h2>Customers also bought</h2><span class="price">$9.99</span></aside>
        </main><footer>{FILLER}</footer></body></html>""").encode()


def serve(port_file: str, night: multiprocessing.Value) -> None:  # type: ignore[valid-type]
    """20 suppliers in one separate process, one thread per connection."""
    import threading

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:  # noqa: N802
            body = b"User-agent: *\nAllow: /\n" if self.path == "/robots.txt" else page(int(self.path.rsplit("/", 1)[-1]), night.value)
            self.send_response(200)
            self.send_header("Content-Type", "text/plain" if self.path == "/robots.txt" else "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    ports = []
    for s in range(SUPPLIERS):
        server = ThreadingHTTPServer((f"127.0.0.{s + 2}", 0), Handler)
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, daemon=True).start()
        ports.append(server.server_address[1])
    Path(port_file).write_text(" ".join(map(str, ports)))
    threading.Event().wait()


def urls(ports: list[int], offers: int) -> list[str]:
    return [f"http://127.0.0.{2 + i % SUPPLIERS}:{ports[i % SUPPLIERS]}/p/{i}" for i in range(offers)]


def write_config(directory: Path, page_urls: list[str]) -> Path:
    lines = ["database: bench.db", "currency: USD", "crawl: {contact: bench@example.com, delay_seconds: 0, timeout_seconds: 30, retries: 1}",
             "suppliers:"] + [f"  - {{id: s{s}, name: Supplier {s}}}" for s in range(SUPPLIERS)] + ["materials:"]
    for i, url in enumerate(page_urls):
        lines += [f"  - id: m{i}", f"    name: Material {i}", "    unit: kg", f'    offers: [{{supplier: s{i % SUPPLIERS}, url: "{url}", pack: 25 kg}}]']
    path = directory / "supplywatch.yml"
    path.write_text("\n".join(lines))
    return path


BARE_SPIDER = '''
import scrapy

class Bare(scrapy.Spider):
    name = "bare"
    custom_settings = {"ROBOTSTXT_OBEY": True, "CONCURRENT_REQUESTS": 16, "CONCURRENT_REQUESTS_PER_DOMAIN": 1,
                       "DOWNLOAD_DELAY": 0, "COOKIES_ENABLED": False, "TELNETCONSOLE_ENABLED": False, "LOG_LEVEL": "WARNING",
                       "RETRY_TIMES": 1, "USER_AGENT": "bare-benchmark (bench@example.com)"}

    async def start(self):
        for url in open(self.urls_file).read().split():
            yield scrapy.Request(url, dont_filter=True)

    def parse(self, response):
        yield {"url": response.url, "size": len(response.body)}
'''


def run_measured(command: list[str], cwd: Path) -> tuple[float, float, str]:
    """Wall seconds, peak RSS (MB) and stdout of a child process (rusage of that child alone)."""
    started = time.perf_counter()
    with open(cwd / "out.txt", "w") as out, open(cwd / "err.txt", "w") as err:
        process = subprocess.Popen(command, cwd=cwd, stdout=out, stderr=err)
        _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - started
    code = os.waitstatus_to_exitcode(status)
    if code not in (0, 1):
        raise SystemExit(f"{' '.join(command[:3])} failed ({code}): {(cwd / 'err.txt').read_text()[-2000:]}")
    return elapsed, usage.ru_maxrss / 1024, (cwd / "out.txt").read_text()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--offers", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=1, help="nights to run supplywatch (history builds up)")
    parser.add_argument("--no-bare", action="store_true", help="skip the bare Scrapy baseline")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        night = multiprocessing.Value("i", 0)
        server = multiprocessing.Process(target=serve, args=(str(directory / "ports"), night), daemon=True)
        server.start()
        while not (directory / "ports").exists() or not (directory / "ports").read_text():
            time.sleep(0.05)
        ports = [int(p) for p in (directory / "ports").read_text().split()]
        page_urls = urls(ports, args.offers)
        write_config(directory, page_urls)
        (directory / "urls.txt").write_text("\n".join(page_urls))
        (directory / "bare.py").write_text(BARE_SPIDER)
        supplywatch = [sys.executable, "-m", "monitor", "run"]
        bare = [sys.executable, "-m", "scrapy", "runspider", "bare.py", "-a", "urls_file=urls.txt", "-O", "bare.jl"]
        env_note = f"{os.cpu_count()} CPUs, Python {sys.version.split()[0]}"
        print(f"{args.offers} pages from {SUPPLIERS} suppliers on 127.0.0.2-127.0.0.{SUPPLIERS + 1} ({env_note})")

        results = []
        for run in range(args.runs):
            night.value = run
            seconds, peak, out = run_measured(supplywatch, directory)
            results.append((seconds, peak))
            print(f"supplywatch run, night {run + 1}: {seconds:.1f} s, {args.offers / seconds:.0f} pages/s, peak RSS {peak:.0f} MB  ({out.strip().splitlines()[-1][:110]})")
        if not args.no_bare:
            seconds, peak, _ = run_measured(bare, directory)
            pages = sum(1 for _ in open(directory / "bare.jl"))
            assert pages == args.offers, f"the bare spider fetched {pages} of {args.offers} pages"
            print(f"bare Scrapy spider, same pages:  {seconds:.1f} s, {args.offers / seconds:.0f} pages/s, peak RSS {peak:.0f} MB")
            best = min(s for s, _ in results)
            print(f"supplywatch / bare: {100 * seconds / best:.0f} % of bare Scrapy's pages/s (target >= 70 %)")
        server.terminate()


if __name__ == "__main__":
    main()
