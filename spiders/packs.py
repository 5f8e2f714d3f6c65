"""Read what one price buys ("25 kg bag", "case of 12", "5 gal pail", "10 rolls per package") from
what a page says.

Returns quantities as text pint understands (``"25 kg"``), or None when the text does not say. A
size that describes the product rather than what the price buys (an oven's "800W 23L", a
backpack's capacity) is never taken for the pack.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
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
_COUNT_OF = re.compile(rf"(?:{_PACKAGE_WORDS})\s+(?:of\s+|à\s+|de\s+|mit\s+|à\s+)?(\d+)(?!\d|[.,]\d)(?!\s*(?:{_UNIT_ALTERNATION})(?![a-z]))",
                       re.IGNORECASE)
# Packages that hold several of one thing ("case of 12", "pack of 6"); a box, a set, a bundle or a
# lot may hold a hundred screws weighing what the label says in all, so they never multiply.
_MULTIPACK_OF = re.compile(r"(?:case|pack|pkg|package|carton|crate|tray|packung|paket|karton|gebinde|lot de|paquet|caja|paquete|"
                           rf"confezione|pacco)\s+(?:of\s+|à\s+|de\s+|mit\s+|von\s+)?(\d+)(?!\d|[.,]\d)(?!\s*(?:{_UNIT_ALTERNATION})(?![a-z]))",
                           re.IGNORECASE)
# Containers of one size each: "12 bottles", "a 6-pack", "24 cans" (a case holds them all); "12 pieces"
# of a set or "100 ct" of tablets may weigh what the label says in all, so they never multiply.
_CONTAINER_WORDS = r"pk|pack|rolls|bottles|cans|bags|tubes|jars|cartons|sachets|rollen|flaschen|dosen|rouleaux|bouteilles|rotoli|rollos"
_COUNT_CONTAINERS = re.compile(rf"(?<![\w.,])(\d+)\s*-?\s*(?:{_CONTAINER_WORDS})(?![a-z])", re.IGNORECASE)
# "3 x 2 x 25 kg": a number times a multipack; "96 oz total": the size is the whole pack's already.
_CHAINED = re.compile(r"\d\s*[x×]\s*$", re.IGNORECASE)
_TOTAL = re.compile(r"\b(?:total|in all|altogether|insgesamt|gesamt|au total|en total|in totale)\b", re.IGNORECASE)
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


@dataclass(frozen=True)
class _Size:
    amount: Decimal
    unit: str
    start: int
    end: int

    @property
    def text(self) -> str:
        return _format(self.amount, self.unit)


def packs_in_text(text: str | None) -> list[str]:
    """Every pack a title states, most specific first: "Bottles 150 ml, case of 12" -> 1800 mL, 150 mL,
    12 each; "Tape 10 m, 10 rolls per package" -> 100 m, 10 m, 10 each; none when what the price
    buys is unclear ("8 oz or 16 oz, case of 12": see ``pack_problem``)."""
    return list(_read(" ".join(str(text).split()) if text else "")[0])


def pack_problem(text: str | None) -> str | None:
    """Why a title that states sizes gives no pack: the sizes it states do not say what one price buys."""
    return _read(" ".join(str(text).split()) if text else "")[1]


@lru_cache(maxsize=256)
def _read(text: str) -> tuple[tuple[str, ...], str | None]:
    """The packs a text states and, when it states sizes that cannot be told apart, why none."""
    if not text:
        return (), None
    # "100 x 50 mm" is a label's width by its height, not a hundred pieces of 50 mm.
    multis = [m for m in _MULTI.finditer(text) if _UNIT_WORDS[m.group(3).lower()] not in ("mm", "cm")]
    for match in multis:
        if _CHAINED.search(text[max(0, match.start() - 12):match.start()]):
            return (), f"{match.group(0)!r} in {text[:80]!r} multiplies more than two numbers"
    widths = {m.start() for m in _DIMENSIONS.finditer(text)}  # the first term is a width, never what the price buys
    inside = [range(m.start(), m.end()) for m in multis]
    sizes = []
    for match in _QUANTITY.finditer(text):
        amount, unit = match.groups()
        if match.start() in widths or _is_capacity(text, match.start(), match.end()):
            continue
        sizes.append(_Size(_number(amount), _UNIT_WORDS[unit.lower()], match.start(), match.end()))
    free = [q for q in sizes if not any(q.start in span for span in inside)]  # "8 oz" of "12 x 8 oz" is not a size of its own
    per_package = [int(m.group(1)) for m in _PER_PACKAGE.finditer(text)]
    package_counts = [int(m.group(1)) for m in _MULTIPACK_OF.finditer(text)]
    container_counts = [int(m.group(1)) for m in _COUNT_CONTAINERS.finditer(text)]
    counts = {n for n in per_package + package_counts + container_counts if n > 0}
    found: list[str] = []
    if multis:  # "12 x 500 ml" is 6 L
        totals = [_Size(int(m.group(1)) * _number(m.group(2)), _UNIT_WORDS[m.group(3).lower()], m.start(), m.end()) for m in multis]
        extra = counts - {int(m.group(1)) for m in multis}
        if extra:
            return (), f"{text[:80]!r} states {multis[0].group(0)!r} and a count of {min(extra)}: which one price buys is unclear"
        if _differing(totals):
            return (), f"{text[:80]!r} states several multipacks ({', '.join(m.group(0) for m in multis)})"
        found += [t.text for t in totals]
    elif counts:
        if len(counts) > 1:
            return (), f"{text[:80]!r} states several counts ({', '.join(str(n) for n in sorted(counts))}): which one price buys is unclear"
        count = next(iter(counts))
        for group in _by_dimension(free):
            small, large = min(group, key=_base), max(group, key=_base)
            if not _differing(group):  # one size ("8 oz", or "500 ml (16.9 fl oz)"): the case holds count of them
                found.append(group[0].text if _TOTAL.search(text) else _format(count * group[0].amount, group[0].unit))
            elif len(_distinct(group)) == 2 and _same(_Size(count * small.amount, small.unit, 0, 0), large):
                found.append(large.text)  # "case of 12, 8 oz each, 96 oz in all"
            else:
                return (), f"{text[:80]!r} states a count of {count} and several sizes ({', '.join(q.text for q in _distinct(group))})"
    found += [q.text for q in free]
    found += [f"{int(m.group(1))} each" for m in multis] + [f"{n} each" for n in per_package]
    for pattern in (_COUNT_OF, _COUNT_PIECES):
        found += [f"{int(m.group(1))} each" for m in pattern.finditer(text) if int(m.group(1)) > 0]
    return tuple(dict.fromkeys(found)), None


def _base(size: _Size) -> float:
    """The size in its dimension's base unit, to compare "500 ml" with "16.9 fl oz"."""
    from monitor import units

    try:
        return float(units.parse_quantity(size.text).to_base_units().magnitude)
    except (ValueError, AttributeError):
        return float(size.amount)


def _dimension(size: _Size) -> str:
    from monitor import units

    try:
        return str(units.parse_quantity(size.text).dimensionality)
    except (ValueError, AttributeError):
        return size.unit


def _by_dimension(sizes: list[_Size]) -> list[list[_Size]]:
    groups: dict[str, list[_Size]] = {}
    for size in sizes:
        groups.setdefault(_dimension(size), []).append(size)
    return list(groups.values())


def _same(a: _Size, b: _Size) -> bool:
    """The same quantity written twice, within the rounding of a converted label (16.9 fl oz for 500 ml)."""
    left, right = _base(a), _base(b)
    return _dimension(a) == _dimension(b) and abs(left - right) <= 0.02 * max(left, right)


def _distinct(sizes: list[_Size]) -> list[_Size]:
    kept: list[_Size] = []
    for size in sizes:
        if not any(_same(size, k) for k in kept):
            kept.append(size)
    return kept


def _differing(sizes: list[_Size]) -> bool:
    return any(len(_distinct(group)) > 1 for group in _by_dimension(sizes))


def pack_from_text(text: str | None, unit: str | None = None) -> str | None:
    """The pack a title states, e.g. ``"Lye, 25 kg bag"`` -> ``"25 kg"``; with ``unit``, the first
    one that converts to it, so "Bottles 5 oz, case of 12" bought per ``each`` reads as 12 each."""
    packs = packs_in_text(text)
    if unit is None:
        return packs[0] if packs else None
    return next((pack for pack in packs if converts(pack, unit)), None)


def converts(pack: str | None, unit: str | None) -> bool:
    """Whether a pack ("6 each", "10 lb") is an amount of ``unit`` (no density: litres are no kg)."""
    if pack is None or unit is None:
        return False
    from monitor import units  # the project's one registry, with the trade units

    try:
        units.amount_in(units.parse_quantity(pack), unit)
        return True
    except ValueError:
        return False


def pack_from_reference(reference: object) -> str | None:
    """schema.org ``referenceQuantity`` / ``weight`` ({value, unitCode}) as a pack."""
    if not isinstance(reference, dict):
        return None
    from .numbers import machine_number

    value, code = reference.get("value"), reference.get("unitCode") or reference.get("unitText") or ""
    code = code.strip() if isinstance(code, str) else ""
    unit = UNIT_CODES.get(code.upper()) or _UNIT_WORDS.get(code.lower())
    amount = machine_number(value.replace(",", ".") if isinstance(value, str) else value) if value is not None else Decimal(1)
    return _format(amount, unit) if unit and amount is not None else None


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
