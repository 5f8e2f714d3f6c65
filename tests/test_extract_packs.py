"""What one price buys, read from what the page shows: a size label in the page's text (never a
class name, a data-* value or a stylesheet), and multipacks read as their whole quantity."""

from __future__ import annotations

import json

from spiders import packs
from spiders.extract import extract_price

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
