"""One offer as the spiders receive it: the only description of the config shared by ``spiders/``
and ``monitor/`` (plain data, so it survives a trip through JSON to a scrapyd job)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel


class OfferSpec(BaseModel):
    """One offer as the spider receives it (plain data, so it survives a trip through JSON)."""

    offer_id: str
    material: str
    supplier: str
    url: str
    pack: str
    unit: str
    price_selector: str | None = None
    variant: str | None = None
    currency: str = "USD"
    locale: str | None = None  # None: each page tells how it writes numbers
    active: bool = True
    pack_from_config: bool = True
    platform: str | None = None
    price_list: dict[str, Any] | None = None
    order_quantity: float = 1
    render: bool = False
    max_download_mb: int | None = None  # the owner raised the page size cap for a big price list
