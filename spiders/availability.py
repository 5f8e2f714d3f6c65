"""Whether the product can be bought, from what the page says where shops say it.

Read from the product's own stock line ("In stock", "Auf Lager", "Availability: Out Of Stock",
"- IN STOCK -") and its buy button, in many languages. Not from a size picker (one sold-out size
does not make the product sold out), an image placeholder, or the blocks of other products.
"""

from __future__ import annotations

import re

from lxml import etree
from parsel import Selector

OUT_OF_STOCK = re.compile(
    r"out of stock|sold out|currently unavailable|temporarily unavailable|no longer available|not available|unavailable|"
    r"discontinued|backorder|ausverkauft|nicht vorrätig|nicht lieferbar|nicht verfügbar|nicht mehr erhältlich|"
    r"épuisé|rupture de stock|indisponible|agotado|sin stock|no disponible|non disponibile|esaurito|esgotado|indisponível|"
    r"nedostupn|vypredan|nie je skladom|není skladem|není k dispozici|nie je možné (?:produkt )?kúpiť|brak w magazynie|"
    r"niedostępny|wyprzedany|elfogyott|nem elérhető|slutsåld|slut i lager|ikke på lager|udsolgt|utsolgt|ei varastossa|loppuunmyyty|"
    r"нет в наличии|распродано|закончился|немає в наявності|在庫切れ|品切れ|売り切れ|在庫なし|缺貨|售完|已售完|품절|일시품절|"
    r"אזל|אינו במלאי|לא במלאי|غير متوفر|نفذت",
    re.IGNORECASE,
)
IN_STOCK = re.compile(
    r"\bin stock\b|\bavailable now\b|\bin store and online\b|auf lager|sofort lieferbar|sofort verfügbar|\blieferbar\b|vorrätig|"
    r"\ben stock\b|\bdisponible\b|disponibilità immediata|\bdisponibile\b|en existencia|em estoque|\bdisponível\b|"
    r"na skladě|skladem|na sklade|na stanie|dostępny|raktáron|i lager|på lager|varastossa|noliktavā|laos|sandėlyje|na zalogi|"
    r"в наличии|є в наявності|在庫あり|有庫存|現貨|재고 있음|במלאי|متوفر|متاح",
    re.IGNORECASE,
)
# A stated availability anywhere on the page: "Availability: In stock", "Status: sold out", "- IN STOCK -".
_LABELLED = re.compile(
    r"(?:availability|availabilty|stock status|in stock\?|verfügbarkeit|lieferstatus|disponibilité|disponibilità|disponibilidad|"
    r"disponibilidade|dostupnost|dostępność|saatavuus|наличие)\s*:\s*([^\n|]{2,40})|^\W*-\s*((?:in|out of) stock)\s*-\W*$",
    re.IGNORECASE,
)
_WHERE = ("stock", "availab", "dispo", "liefer", "lager", "deliver", "zaiko", "sklad", "наличи", "add-to-cart", "addtocart",
          "add_to_cart", "product-form__submit", "buy-button", "buybox")
_LABEL_WORDS = "availab|stock|verfügbar|lieferstatus|dispon|dostup|dostęp|saatavuus|наличие"
_LABEL_TEXT = re.compile(_LABEL_WORDS)  # searched in lower case
_WORD = re.compile(r"[a-z0-9]+")
# Where a sold-out word speaks of one choice or of a picture, not of the product.
_PICKER = {"size", "sizes", "variant", "variants", "swatch", "swatches", "option", "options", "picker", "selector", "dropdown",
           "image", "img", "photo", "placeholder", "thumbnail", "thumbnails", "gallery", "media", "color", "colour", "colors"}
_SKIP_TAGS = {"option", "select", "label", "script", "style", "noscript", "template", "img"}


def _tokens(element: etree._Element) -> set[str]:
    words = " ".join(str(element.get(a) or "") for a in ("class", "id", "data-test", "data-testid"))
    return set(_WORD.findall(re.sub(r"([a-z])([A-Z])", r"\1 \2", words).lower().replace("_", " ").replace("-", " ")))


def _speaks_for_product(element: etree._Element) -> bool:
    """Not hidden, not in a size picker or image, not in a block of other products."""
    from .buybox import _hidden, _places  # one notion of "other products" for prices and stock

    for node in [element, *element.iterancestors()]:
        if not isinstance(node.tag, str) or node.tag in ("body", "html"):
            break
        if node.tag in _SKIP_TAGS or _hidden(node) or _tokens(node) & _PICKER:
            return False
    return _places(element)[1] is None


def _verdict(text: str) -> bool | None:
    if OUT_OF_STOCK.search(text):
        return False
    if IN_STOCK.search(text):
        return True
    return None


def _stock_places(page: Selector):  # noqa: ANN202 (elements)
    """Elements where shops state stock: named for stock or availability, buy buttons, the title."""
    for element in page.root.iter():
        if not isinstance(element.tag, str):
            continue
        names = f"{element.get('class') or ''} {element.get('id') or ''} {element.get('data-test') or ''}".lower()
        if element.tag in ("button", "h1") or element.get("itemprop") == "availability" or any(w in names for w in _WHERE):
            yield element


def _switched_label(element: etree._Element) -> bool:
    """An out-of-stock label kept beside its add-to-cart label in one control, for the shop's script
    to show one of them: it does not say which one shows."""
    from .buybox import _CART

    parent = element.getparent()
    if parent is None:
        return False
    for sibling in parent:
        if sibling is not element and isinstance(sibling.tag, str):
            text = " ".join(etree.tostring(sibling, method="text", encoding=str, with_tail=False).split())
            if len(text) < 60 and _CART.search(text):
                return True
    return False


def visible_stock(page: Selector) -> bool | None:
    """False when the product's own stock line or buy button says it is gone, True when it says it
    is there, None when the page does not say (in many languages)."""
    verdicts: list[bool] = []
    for element in _stock_places(page):
        raw = etree.tostring(element, method="text", encoding=str, with_tail=False)
        if len(raw) > 2000:
            continue
        text = " ".join(raw.split())
        if not text or len(text) > 160 or not _speaks_for_product(element):
            continue
        verdict = _verdict(text)
        if verdict is False and _switched_label(element):
            continue
        if verdict is not None:
            verdicts.append(verdict)
    if False in verdicts:
        return False
    if verdicts:
        return True
    return labelled_stock(page)


def labelled_stock(page: Selector) -> bool | None:
    """A stock line stated with its label anywhere in the product's text: "Availability: In stock"."""
    from .buybox import owners, texts_with

    for node in owners(texts_with(page.root, _LABEL_TEXT, lowered=True)):
        line = " ".join(etree.tostring(node, method="text", encoding=str, with_tail=False).split())
        if len(line) > 80:
            continue
        match = _LABELLED.search(line)
        if match and _speaks_for_product(node):
            verdict = _verdict(match.group(1) or match.group(2) or "")
            if verdict is not None:
                return verdict
    return None
