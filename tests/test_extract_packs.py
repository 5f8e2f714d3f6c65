"""What one price buys, read from what the page shows: a size label in the page's text (never a
class name, a data-* value or a stylesheet), and multipacks read as their whole quantity."""

from __future__ import annotations

import json
from decimal import Decimal

import sqlite_utils

from monitor import units
from spiders import packs
from spiders.extract import extract_price
from tests.conftest import supplywatch, write_config

URL = "http://127.0.0.1/p/lye"
# A stylesheet and a size picker whose markup is full of "size" and "weight" beside digits.
NOISE = ("<style>" + "".join(f".s{i}{{font-size: 1{i % 9}px; line-weight: 2}}" for i in range(300)) + "</style>"
         + "".join(f'<div class="size-{i}" data-size="{i}" data-weight="{i} kg">x</div>' for i in range(300)))


def page(body: str, head: str = "", name: str = "Caustic soda") -> str:
    data = {"@context": "https://schema.org", "@type": "Product", "name": name,
            "offers": {"@type": "Offer", "price": "20.00", "priceCurrency": "USD"}}
    return (f'<html><head><script type="application/ld+json">{json.dumps(data)}</script>{head}</head>'
            f"<body><h1>{name}</h1>{body}</body></html>")


LABELS = {
    "own element": "<p>Net weight: 25 kg</p>",
    "bold label, amount after it": "<p><b>Net weight:</b> 25 kg</p>",
    "table row": "<table><tr><th>Net weight</th><td>25 kg</td></tr></table>",
    "definition list": "<dl><dt>Weight</dt><dd>25 kg</dd></dl>",
    "long tag between": '<p>Net weight: <span class="product-attribute-value product-attribute-value--weight js-attr">25 kg</span></p>',
}


def test_a_size_label_in_the_pages_text_is_the_pack_whatever_markup_stands_around_it():
    for name, body in LABELS.items():
        for head in ("", NOISE):
            html = page(body, head)
            assert packs.states_a_size(html), name
            assert extract_price(html, URL, unit="kg").pack == "25 kg", (name, bool(head))


def test_a_size_in_a_class_name_a_data_value_a_script_or_a_stylesheet_is_no_size():
    for html in (page(NOISE), page("", "<script>var size = 12; weight: 3</script>"), page("<!-- Net weight: 25 kg -->"),
                 page('<div title="weight: 25 kg" data-size="25 kg" class="weight-25kg">Caustic soda</div>')):
        assert not packs.states_a_size(html)
        assert extract_price(html, URL, unit="kg").pack is None


def test_the_look_for_a_size_is_linear_on_hostile_markup():
    for hostile in ("<script" * 100_000, "<" * 500_000, "<a" * 250_000, "<!--" * 100_000, "<p>" * 150_000, "size: " * 100_000):
        packs.states_a_size(hostile)  # each returns at once; a quadratic scan would take minutes
    assert packs.visible_source_text("<p>Inhalt:<b class='x'>0,75&nbsp;l</b></p><script>size: 1</script>") == "inhalt: 0,75 l"


# Multipacks: what one price buys is the whole case.

def titled(title: str, price: str = "24.00") -> str:
    data = {"@context": "https://schema.org", "@type": "Product", "name": title,
            "offers": {"@type": "Offer", "price": price, "priceCurrency": "USD"}}
    return f'<html><head><script type="application/ld+json">{json.dumps(data)}</script></head><body><h1>{title}</h1></body></html>'


MULTIPACKS = [
    ("Maple syrup 8 oz, case of 12", "oz", 96), ("Maple syrup 12 x 8 oz", "oz", 96), ("Maple syrup, case of 12 (8 oz each)", "oz", 96),
    ("Cement 2 x 25 kg", "kg", 50), ("Wine, pack of 6 bottles, 750 ml", "L", Decimal("4.5")), ("Cola 12-pack 16 oz cans", "oz", 192),
    ("Water 500 ml (16.9 fl oz), case of 24", "L", 12), ("Beans, 24 cans of 400 g", "kg", Decimal("9.6")),
    ("Maple syrup, case of 12, 8 oz each, 96 oz in total", "oz", 96), ("Wine case of 6, 4.5 L total", "L", Decimal("4.5")),
    ("Lye, 25 kg bag", "kg", 25), ("Maple syrup 8 oz, case of 12", "each", 12), ("Masking tape 24 mm x 10 m, 10 rolls per package", "m", 100),
]


def test_a_case_of_twelve_eight_ounce_bottles_buys_ninety_six_ounces():
    for title, unit, amount in MULTIPACKS:
        found = extract_price(titled(title), URL, unit=unit)
        assert found.pack is not None and found.pack_note is None, (title, found.pack, found.pack_note)
        assert units.amount_in(units.parse_quantity(found.pack), unit) == Decimal(amount), (title, found.pack)


AMBIGUOUS = {
    "Maple syrup 8 oz or 16 oz, case of 12": "several sizes", "Maple syrup, case of 12, case of 24": "several counts",
    "Cement 3 x 2 x 25 kg": "more than two numbers", "Flour, case of 6, 2 x 500 g": "which one price buys is unclear",
}


def test_sizes_that_do_not_say_what_one_price_buys_give_no_pack_and_say_why():
    for title, why in AMBIGUOUS.items():
        found = extract_price(titled(title), URL, unit="oz" if "syrup" in title.lower() else "kg")
        assert (found.status, found.price, found.pack) == ("ok", Decimal("24.00"), None), title
        assert why in found.pack_note and title in found.pack_note and found.note == found.pack_note, (title, found.pack_note)


def test_a_box_a_set_or_pieces_weighing_what_the_label_says_in_all_never_multiply():
    for title, pack in (("Screws, box of 100, 1.2 kg", "1.2 kg"), ("Drill bit set 12 pieces 1.5 kg", "1.5 kg"),
                        ("Labels 100 x 50 mm, roll of 250", "250 each")):
        assert extract_price(titled(title), URL, unit="each" if "Labels" in title else "kg").pack == pack, title


def test_a_night_prices_a_case_per_ounce_and_records_why_an_unclear_case_has_no_pack(tmp_path, sites):
    shop = sites()
    write_config(tmp_path, "\n".join([
        "    - id: syrup", "      name: Maple syrup", "      unit: oz", "      offers:",
        f'        - {{supplier: acme, id: case, url: "{shop.set("case", titled("Maple syrup 8 oz, case of 12"))}"}}',
        f'        - {{supplier: acme, id: unclear, url: "{shop.set("unclear", titled("Maple syrup 8 oz or 16 oz, case of 12"))}"}}',
    ]))
    result = supplywatch("run", cwd=tmp_path, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    rows = {r["offer_id"]: r for r in sqlite_utils.Database(tmp_path / "supplywatch.db").query("SELECT * FROM observations")}
    assert (rows["case"]["price"], rows["case"]["pack"], rows["case"]["pack_source"], rows["case"]["unit_price"]) == (24.0, "96 oz", "page", 0.25)
    assert rows["unclear"]["price"] == 24.0 and rows["unclear"]["pack_source"] != "page"
    assert "several sizes" in rows["unclear"]["note"]


def test_a_weight_on_the_page_of_something_counted_by_the_piece_is_what_one_piece_weighs_not_the_pack():
    """A mattress page says 'Weight: 10 lb', a shelf's title '8.3 kg': an owner who counts them
    ('each', 'sheet', 'table') buys one piece for the price. Taken as the pack, the price was held
    back every night ('10 lb cannot be converted to each'); priced per kg it is still the pack."""
    for unit in ("each", "sheet", "table"):
        assert extract_price(page("<dl><dt>Weight</dt><dd>10 lb</dd></dl>", name="Crib mattress"), URL, unit=unit).pack is None, unit
        assert extract_price(titled("Wall shelf, 8.3 kg"), URL, unit=unit).pack is None, unit
    assert extract_price(titled("Wall shelf, 8.3 kg"), URL, unit="kg").pack == "8.3 kg"
    assert extract_price(page("<dl><dt>Weight</dt><dd>10 lb</dd></dl>", name="Crib mattress"), URL, unit="lb").pack == "10 lb"
    five = extract_price(titled("Plywood, pack of 5 sheets, 40 kg"), URL, unit="sheet").pack
    assert five is not None and units.amount_in(units.parse_quantity(five), "sheet") == 5
