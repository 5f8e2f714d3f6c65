"""A corpus of real-looking supplier pages: every one gives the price, currency, stock, pack and
unit price a person reading it would, including the traps that fool other price trackers."""

from decimal import Decimal
from pathlib import Path

import pytest
import yaml

from monitor import units
from spiders.extract import extract_price
from spiders.spiders.offers import currency_code

PAGES = Path(__file__).resolve().parent / "fixtures" / "pages"
CASES = yaml.safe_load((PAGES / "expected.yml").read_text(encoding="utf-8"))


def case_id(case: dict) -> str:
    chosen = case.get("variant") or case.get("quantity") or case.get("selector") or ""
    return f"{case['page']}{'-' + str(chosen) if chosen else ''}"


def test_corpus_covers_forty_pages_and_five_locales():
    pages = {c["page"] for c in CASES}
    assert len(pages) >= 40 and pages == {p.name for p in PAGES.iterdir() if p.name != "expected.yml"}
    assert {c.get("locale", "en_US") for c in CASES} >= {"en_US", "en_GB", "de_DE", "fr_FR", "ja_JP"}


@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_corpus_page_gives_what_a_person_reads(case: dict):
    found = extract_price(
        (PAGES / case["page"]).read_bytes(), f"https://supplier.example/{case['page']}",
        selector=case.get("selector"), variant=case.get("variant"), locale=case.get("locale", "en_US"),
        content_type=case.get("content_type", "text/html"), price_list=case.get("list"),
        quantity=Decimal(str(case["quantity"])) if "quantity" in case else None, unit=case["unit"],
    )
    expect = case["expect"]
    assert found.status == expect.get("status", "ok"), found.error
    if found.status != "ok":
        assert found.price is None and found.error  # never a made-up price, and always a reason
        return
    assert found.price == Decimal(expect["price"])
    assert found.method == expect["method"]
    if "currency" in expect:
        assert currency_code(found.currency, case.get("currency", "USD")) == expect["currency"]
    for key in ("in_stock", "pack"):
        if key in expect:
            assert getattr(found, key) == expect[key], key
    if "list_price" in expect:
        assert found.list_price == Decimal(expect["list_price"])
    if "tiers" in expect:
        assert len(found.tiers) == expect["tiers"]
    if "unit_price" in expect:
        pack = case.get("pack_config") or found.pack
        assert abs(units.unit_price(found.price, pack, case["unit"]) - Decimal(expect["unit_price"])) < Decimal("0.00005")


@pytest.mark.parametrize("case", [c for c in CASES if c.get("locale")], ids=case_id)
def test_corpus_page_reads_the_same_without_its_locale(case: dict):
    """The locale is an override: each page's own prices, language and currency say how it writes numbers."""
    options = dict(selector=case.get("selector"), variant=case.get("variant"), content_type=case.get("content_type", "text/html"),
                   price_list=case.get("list"), quantity=Decimal(str(case["quantity"])) if "quantity" in case else None, unit=case["unit"])
    body, url = (PAGES / case["page"]).read_bytes(), f"https://supplier.example/{case['page']}"
    given, inferred = extract_price(body, url, locale=case["locale"], **options), extract_price(body, url, **options)
    assert (inferred.status, inferred.price, inferred.pack, inferred.in_stock) == (given.status, given.price, given.pack, given.in_stock)
