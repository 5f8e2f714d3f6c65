"""Python's cycle collector, paused while a night's items are read, priced, stored or judged."""

from __future__ import annotations

import gc
from contextlib import contextmanager
from typing import Iterator


@contextmanager
def collector_paused() -> Iterator[None]:
    """Python's cycle collector paused while a batch is read, priced, stored or judged. A batch makes
    (almost) no reference cycles, so nothing waits long to be freed; but each collection walks every
    object alive, the config's 100,000 offers included, and cost a quarter of storing a night."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
