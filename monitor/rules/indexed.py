"""What the rules reading a material's linked public index share (``index_rise``, ``index_fall``,
``above_index``). They are judged by :mod:`monitor.decisions.market`, which reads the index as it was
known each night beside the suppliers' prices; these classes declare what the owner may write and
what each rule watches."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field

from .base import RuleKind, Scope


class IndexRule(RuleKind):
    """A rule reading a material's linked public index beside its suppliers' prices."""

    months: int = Field(3, ge=1, le=24)  # the span both moves are measured over

    scopes: ClassVar[frozenset[Scope]] = frozenset({Scope.MATERIAL})
    judged_here: ClassVar[bool] = False  # monitor.decisions.market judges it

    def history_days(self) -> float:
        return 0  # the market module reads its own history
