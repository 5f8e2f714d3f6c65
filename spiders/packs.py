"""Read what one price buys ("25 kg bag", "case of 12", "5 gal pail", "10 rolls per package") from
what a page says.

Returns quantities as text pint understands (``"25 kg"``), or None when the text does not say. A
size that describes the product rather than what the price buys (an oven's "800W 23L", a
backpack's capacity) is never taken for the pack.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Iterable

# UN/CEFACT unit codes used by schema.org's unitCode (UnitPriceSpecification.referenceQuantity).
UNIT_CODES = {
    "KGM": "kg", "GRM": "g", "LBR": "lb", "ONZ": "oz", "LTR": "L", "MLT": "mL", "GLL": "gal",
    "QT": "quart", "C62": "each", "EA": "each", "H87": "each", "XPP": "each", "BFT": "board_foot",
    "MTQ": "m^3", "MTK": "m^2", "MTR": "m", "FOT": "ft", "CMT": "cm", "CLT": "cL",
}

# Words shops use for units, mapped to the registry's names. Order matters: longest first.
_UNIT_WORDS = {
    "board feet": "board_foot", "board foot": "board_foot", "board ft": "board_foot", "bdft": "board_foot",
    "bd ft": "board_foot", "bf": "board_foot", "fbm": "board_foot",
    "kilograms": "kg", "kilogram": "kg", "kilo": "kg", "kg": "kg", "grams": "g", "gram": "g", "gr": "g", "g": "g",
    "pounds": "lb", "pound": "lb", "lbs": "lb", "lb": "lb", "ounces": "oz", "ounce": "oz", "oz": "oz",
    "fl oz": "floz", "fl. oz": "floz",
    "gallons": "gal", "gallon": "gal", "gal": "gal", "quarts": "quart", "quart": "quart", "qt": "quart",
    "litres": "L", "liters": "L", "litre": "L", "liter": "L", "ltr": "L", "l": "L",
    "millilitres": "mL", "milliliters": "mL", "ml": "mL", "cl": "cL",
    "m³": "m^3", "m3": "m^3", "cbm": "m^3", "m²": "m^2", "m2": "m^2", "sqm": "m^2",
    "metres": "m", "meters": "m", "metre": "m", "meter": "m", "lfm": "m", "m": "m", "cm": "cm", "mm": "mm",
    "feet": "ft", "foot": "ft", "ft": "ft", "yards": "yd", "yard": "yd", "yd": "yd",
}
# Words for what a price buys when it buys several: a package, a case, a roll.
_PACKAGE_WORDS = (r"case|pack|pkg|package|box|bag|carton|roll|set|bundle|lot|packung|paket|karton|rolle|gebinde|lot de|paquet|"
                  r"carton de|caja|paquete|confezione|scatola|pacco|balík|balenie|opakowanie|ケース|箱")
_PIECE_WORDS = (r"pcs|pieces|piece|count|ct|pk|pack|rolls|roll|bottles|bottle|cans|can|bags|sheets|tubes|jars|units|pairs|"
                r"stück|stk|st\.|rollen|flaschen|dosen|pièces|rouleaux|bouteilles|pezzi|rotoli|piezas|rollos|szt|ks|個|本|枚|入")
_NUMBER = r"(\d+(?:[.,]\d+)?)"
_UNIT_ALTERNATION = "|".join(re.escape(w) for w in sorted(_UNIT_WORDS, key=len, reverse=True))
_MULTI = re.compile(rf"(\d+)\s*[x×]\s*{_NUMBER}\s*({_UNIT_ALTERNATION})(?![a-z])", re.IGNORECASE)
_QUANTITY = re.compile(rf"(?<![\w/.,]){_NUMBER}\s*-?\s*({_UNIT_ALTERNATION})(?![a-z0-9²³])", re.IGNORECASE)
_COUNT_OF = re.compile(rf"(?:{_PACKAGE_WORDS})\s+(?:of\s+|à\s+|de\s+|mit\s+|à\s+)?(\d+)(?!\s*(?:{_UNIT_ALTERNATION})(?![a-z]))", re.IGNORECASE)
_COUNT_PIECES = re.compile(rf"(?<![\w.,])(\d+)\s*(?:-?\s*)(?:{_PIECE_WORDS})(?![a-z])", re.IGNORECASE)
# "24 mm x 10 m": a width by a length; a roll's quantity is its length, the last term.
_DIMENSIONS = re.compile(rf"(?<![\w/.,]){_NUMBER}\s*({_UNIT_ALTERNATION})\s*[x×]\s*{_NUMBER}\s*({_UNIT_ALTERNATION})(?![a-z0-9²³])", re.IGNORECASE)
# "10 rolls per package", "6 bottles to a case", "12 Stück pro Packung": the count a package holds.
_PER_PACKAGE = re.compile(rf"(?<![\w.,])(\d+)\s*(?:{_PIECE_WORDS})?\s*(?:per|in a|to a|a|pro|je|par|por|per)\s+(?:{_PACKAGE_WORDS})\b", re.IGNORECASE)
# Sizes that describe the product, not what the price buys.
_SPEC_BESIDE = re.compile(r"\d\s*(?:w|kw|v|mah|wh|hp|ps|bar|rpm|hz)\b", re.IGNORECASE)
_CAPACITY = re.compile(r"capacity|kapazität|fassungsvermögen|volumen|capacité|capacidad|capacità|capacidade|pojemność|objem|"
                       r"tank|drum|trommel|bowl|cavity", re.IGNORECASE)
# Labels in a buy box that give the quantity one price buys.
CONTENT_LABEL = re.compile(
    r"(?:inhalt|füllmenge|nettofüllmenge|nettogewicht|contenance|contenu|contenuto|contenido|conteúdo|content|contents|"
    r"net (?:wt|weight|contents|vol(?:ume)?)|pack size|package size|size|volume|weight|gewicht|poids|peso|obsah|zawartość|"
    r"sold (?:per|by|in)|verkauft (?:pro|je)|vendu par)\s*[:.]?\s*", re.IGNORECASE)
_LABEL_WORDS = ("inhalt", "füllmenge", "gewicht", "contenance", "contenu", "contenuto", "contenido", "conteúdo", "content",
                "net wt", "net weight", "net vol", "pack size", "package size", "size", "volume", "weight", "poids", "peso", "obsah",
                "zawartość", "sold per", "sold by", "sold in", "verkauft", "vendu par")
# A size label and, a few marks on, an amount ("Inhalt: 0,75 l", "Net weight (kg): 25", "Sold per pack of 6").
_LABELLED_AMOUNT = re.compile("(?:" + "|".join(re.escape(w) for w in _LABEL_WORDS) + r")[^\d]{0,8}?(?:pkg of |package of |pack of )?\d")
# Where a page's source stops being text: a tag, a comment, and elements whose content is never shown.
_MARKUP = re.compile(r"<(?:(script|style|template|textarea|title)\b|!--|/?[a-z!?])")


def visible_source_text(html: str) -> str:
    """The text a page's source shows, lower-cased, with every tag a space: no attribute
    (``class="size-12"``, ``data-weight="3"``), no script, style or comment. One pass over the
    source, never back: an element left open hides the rest, as it does in a browser."""
    lowered = html.lower()
    pieces: list[str] = []
    position = 0
    while (opening := _MARKUP.search(lowered, position)) is not None:
        pieces.append(lowered[position:opening.start()])
        raw = opening.group(1)
        if raw:  # the element's content is not text: skip to its end tag
            close = lowered.find("</" + raw, opening.end())
            end = lowered.find(">", close) if close >= 0 else -1
        elif opening.group(0) == "<!--":
            end = lowered.find("-->", opening.end())
            end = end + 2 if end >= 0 else -1
        else:
            end = lowered.find(">", opening.end())
        if end < 0:
            break
        pieces.append(" ")
        position = end + 1
    else:
        pieces.append(lowered[position:])
    return " ".join(" ".join(pieces).replace("&nbsp;", " ").replace("&#160;", " ").split())


def states_a_size(html: str) -> bool:
    """Whether the text a page shows has a size label followed by an amount ("<b>Inhalt:</b> 0,75 l"):
    a cheap look at the source before walking the page's tree for it. Only shown text counts: a
    stylesheet's ``font-size: 12px`` or a ``data-size="3"`` is no size, and a label separated from
    its amount by a long tag (``<td class="product-attribute-value ...">``) still is one."""
    return _LABELLED_AMOUNT.search(visible_source_text(html)) is not None


def _number(text: str) -> Decimal:
    return Decimal(text.replace(",", "."))


def _format(amount: Decimal, unit: str) -> str:
    return f"{amount.normalize():f} {unit}"


def _is_capacity(text: str, start: int, end: int) -> bool:
    """A size beside a power rating (an oven's "800W 23L") or named as a capacity."""
    near = text[max(0, start - 14):end + 14]
    return bool(_SPEC_BESIDE.search(near.replace(text[start:end], " "))) or bool(_CAPACITY.search(text[max(0, start - 24):start]))


def packs_in_text(text: str | None) -> list[str]:
    """Every pack a title states, most specific first: "Bottles 150 ml, case of 12" -> 150 mL, 12 each;
    "Tape 10 m, 10 rolls per package" -> 100 m, 10 m, 10 each."""
    if not text:
        return []
    text = " ".join(str(text).split())
    found = []
    quantities = []
    for match in _MULTI.finditer(text):  # "12 x 500 ml" is 6 L
        count, amount, unit = match.groups()
        found.append(_format(int(count) * _number(amount), _UNIT_WORDS[unit.lower()]))
    widths = set()
    for match in _DIMENSIONS.finditer(text):
        widths.add(match.start())  # the first term is a width, never what the price buys
    for match in _QUANTITY.finditer(text):
        amount, unit = match.groups()
        if match.start() in widths or _is_capacity(text, match.start(), match.end()):
            continue
        quantities.append((_number(amount), _UNIT_WORDS[unit.lower()]))
    per_package = [int(m.group(1)) for m in _PER_PACKAGE.finditer(text)]
    if per_package and quantities:  # ten rolls of 10 m in one package: 100 m
        amount, unit = quantities[0]
        found.append(_format(per_package[0] * amount, unit))
    found += [_format(a, u) for a, u in quantities]
    found += [f"{n} each" for n in per_package]
    for pattern in (_COUNT_OF, _COUNT_PIECES):
        found += [f"{int(m.group(1))} each" for m in pattern.finditer(text) if int(m.group(1)) > 0]
    return list(dict.fromkeys(found))


def pack_from_text(text: str | None, unit: str | None = None) -> str | None:
    """The pack a title states, e.g. ``"Lye, 25 kg bag"`` -> ``"25 kg"``; with ``unit``, the first
    one that converts to it, so "Bottles 5 oz, case of 12" bought per ``each`` reads as 12 each."""
    packs = packs_in_text(text)
    if unit is None:
        return packs[0] if packs else None
    from monitor import units  # the project's one registry, with the trade units

    for pack in packs:
        try:
            units.amount_in(units.parse_quantity(pack), unit)
            return pack
        except ValueError:
            continue
    return None


def pack_from_reference(reference: object) -> str | None:
    """schema.org ``referenceQuantity`` / ``weight`` ({value, unitCode}) as a pack."""
    if not isinstance(reference, dict):
        return None
    value, code = reference.get("value"), str(reference.get("unitCode") or reference.get("unitText") or "").strip()
    unit = UNIT_CODES.get(code.upper()) or _UNIT_WORDS.get(code.lower())
    try:
        amount = Decimal(str(value).replace(",", ".")) if value is not None else Decimal(1)
    except (ArithmeticError, InvalidOperation):
        return None
    return _format(amount, unit) if unit and amount.is_finite() and amount > 0 else None


def pack_from_weight(weight: object) -> str | None:
    """A product's ``weight``: a QuantitativeValue, or a string as many shops write it ("200 ml")."""
    if isinstance(weight, list):
        weight = weight[0] if weight else None
    if isinstance(weight, dict):
        return pack_from_reference(weight)
    return pack_from_text(str(weight)) if isinstance(weight, (str, int, float)) and str(weight).strip() else None


def pack_from_grams(grams: object) -> str | None:
    """A shop's variant weight in grams (Shopify), used only when the title says nothing."""
    try:
        amount = Decimal(str(grams))
    except (ArithmeticError, ValueError):
        return None
    return _format(amount, "g") if amount.is_finite() and amount > 0 else None


def labelled_pack(texts: Iterable[str]) -> str | None:
    """The quantity a buy-box label states: "Inhalt: 0,75 l", "Net weight: 200 g", "Sold per pkg of 6"."""
    for text in texts:
        match = CONTENT_LABEL.search(text)
        if match:
            pack = pack_from_text(text[match.start():match.end() + 40])
            if pack:
                return pack
    return None
