"""A night keeps in memory what its summary and digest need of each offer (its status, and why for
an offer without a price), not the stored rows: a night of 100,000 offers must not grow by its
pages' raw text, tiers and sources (~1.3 KB an offer) beyond what the config itself holds."""

from __future__ import annotations

import gc
import tracemalloc
from datetime import datetime, timedelta, timezone

from monitor import config as config_module, pipeline
from tests.conftest import write_config

SUPPLIERS, PER_SUPPLIER = 10, 100
# Tonight, a minute ago: the fixed date it had grew a week old on 8 Dec 2026, and the stale rule then fired for
# every offer ("no valid price for 7 days"), 1,000 alerts the night rightly kept, and the test failed.
NIGHT = (datetime.now(timezone.utc) - timedelta(minutes=1)).isoformat(timespec="seconds")
RAW = "Price per board foot, kiln dried, FAS grade, ships in 3 days: " * 16  # a page's price text, ~1 KB


def items(supplier: int, night: str) -> list[dict]:
    return [{"offer_id": f"m{i}@s{supplier}", "material": f"m{i}", "supplier": f"s{supplier}", "status": "ok", "price": "12.50",
             "currency": "USD", "pack": "1 board_foot", "pack_source": "config", "raw": RAW + str(i), "method": "css",
             "url": f"http://127.0.0.1:9/s{supplier}/m{i}", "fetched_at": night} for i in range(PER_SUPPLIER)]


def test_a_night_keeps_each_offers_outcome_not_its_stored_row(tmp_path):
    materials = "\n".join(f"- {{id: m{i}, name: Material {i}, unit: board_foot, offers: ["
                          + ", ".join(f'{{supplier: s{s}, url: "http://127.0.0.1:9/s{s}/m{i}"}}' for s in range(SUPPLIERS)) + "]}"
                          for i in range(PER_SUPPLIER))
    suppliers = "\n".join(f"- {{id: s{s}, name: Supplier {s}}}" for s in range(SUPPLIERS))
    config = config_module.load(write_config(tmp_path, materials, suppliers))
    db, notes = pipeline.open_store(config)
    with pipeline.Run(db, config, "crawl", expected=[o for o in config.offers() if o.active], deliver=False) as night:
        night.accept(items(0, NIGHT))  # the first batch reads the rules and the plan, kept for the run
        gc.collect()
        tracemalloc.start()
        before = tracemalloc.get_traced_memory()[0]
        for supplier in range(1, SUPPLIERS):
            night.accept(items(supplier, NIGHT))
        gc.collect()
        kept = (tracemalloc.get_traced_memory()[0] - before) / ((SUPPLIERS - 1) * PER_SUPPLIER)
        tracemalloc.stop()
        result = night.finish()
    assert result.status == pipeline.RunStatus.OK, result.message
    assert result.message.startswith(f"{SUPPLIERS * PER_SUPPLIER:,} prices from {SUPPLIERS * PER_SUPPLIER:,} offers"), result.message
    assert kept < 500, f"the night kept {kept:.0f} bytes an offer"


def test_a_night_of_failing_pages_keeps_why_not_each_pages_address(tmp_path):
    """The digest names the address of the first few pages without a price; it reads them from the
    config when it is written, so a night when every page fails does not also keep every address."""
    url = "http://127.0.0.1:9/catalog/hardwoods/s{s}/black-walnut-8-4-fas-kiln-dried-m{i}?variant=1234567&utm_source=supplywatch"
    materials = "\n".join(f"- {{id: m{i}, name: Material {i}, unit: board_foot, offers: ["
                          + ", ".join(f'{{supplier: s{s}, url: "{url.format(s=s, i=i)}"}}' for s in range(SUPPLIERS)) + "]}"
                          for i in range(PER_SUPPLIER))
    suppliers = "\n".join(f"- {{id: s{s}, name: Supplier {s}}}" for s in range(SUPPLIERS))
    config = config_module.load(write_config(tmp_path, materials, suppliers))
    night_of = NIGHT

    def gone(supplier: int) -> list[dict]:
        return [{"offer_id": f"m{i}@s{supplier}", "status": "error", "http_status": 404, "url": url.format(s=supplier, i=i),
                 "error": "the page is gone (404 Not Found): the supplier may have moved it; check the address", "fetched_at": night_of}
                for i in range(PER_SUPPLIER)]

    db, notes = pipeline.open_store(config)
    with pipeline.Run(db, config, "crawl", expected=[o for o in config.offers() if o.active], deliver=False) as night:
        night.accept(gone(0))
        gc.collect()
        tracemalloc.start()
        before = tracemalloc.get_traced_memory()[0]
        for supplier in range(1, SUPPLIERS):
            night.accept(gone(supplier))
        gc.collect()
        kept = (tracemalloc.get_traced_memory()[0] - before) / ((SUPPLIERS - 1) * PER_SUPPLIER)
        tracemalloc.stop()
        problems = night.digest_context().problems
        result = night.finish()
    assert result.status == pipeline.RunStatus.FAILED and result.exit_code == 1, result.message
    assert problems[0].url == url.format(s=0, i=0) and problems[0].label == "Material 0 at Supplier 0"
    assert kept < 400, f"the night kept {kept:.0f} bytes a failing offer"
