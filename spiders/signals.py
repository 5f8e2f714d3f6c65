"""Signals of the offers spider, for whoever runs it (``crawler.signals.connect(handler, signal=...)``)."""

# Sent once per supplier when all of its offers have their items for tonight (second looks
# included) and every one of those items has been through the item pipelines: its results can be
# stored and judged now, while slower suppliers are still being crawled. Arguments: ``supplier``
# (the supplier's id), ``items`` (its PriceObservation items, first looks before second looks),
# ``spider``. A supplier skipped or out of time is finished too: its items say why.
supplier_finished = object()
