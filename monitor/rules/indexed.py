"""What the rules reading a material's linked public index share (``index_rise``, ``index_fall``,
``above_index``). They are judged by :mod:`monitor.decisions.market`, which reads the index as it was
known each night beside the suppliers' prices; these classes declare what the owner may write and
what each rule watches."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from pydantic import Field

from .base import RuleKind, Scope, Target, offer_label

if TYPE_CHECKING:
    from ..config import Material


class IndexRule(RuleKind):
    """A rule reading a material's linked public index beside its suppliers' prices."""

    months: int = Field(3, ge=1, le=24)  # the span both moves are measured over

    scopes: ClassVar[frozenset[Scope]] = frozenset({Scope.MATERIAL})
    judged_here: ClassVar[bool] = False  # monitor.decisions.market judges it

    def history_days(self) -> float:
        return 0  # the market module reads its own history


def index_target(material: Material, index_id: str) -> Target:
    """What ``index_rise`` and ``index_fall`` watch: the material beside one of its indexes."""
    return Target(Scope.MATERIAL, f"{material.id}~{index_id}", material.name, material_id=material.id)


def index_offer_target(material: Material, index_id: str, offer_id: str, supplier_id: str, supplier_name: str) -> Target:
    """What ``above_index`` watches: one offer of the material beside one of its indexes."""
    return Target(Scope.OFFER, f"{offer_id}~{index_id}", offer_label(material.name, supplier_name), material_id=material.id,
                  offer_id=offer_id, supplier_id=supplier_id)
