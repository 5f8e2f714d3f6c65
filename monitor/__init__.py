"""supplywatch: watch supplier prices for raw materials and alert when they move."""

from . import config
from .rules import registry

__version__ = "0.1.0"

# The config is read first and imports no stage: the rule kinds a supplywatch.yml may name are the
# registry's, handed over here, before anything can load a file.
config.accept_rule_kinds(config.RuleKinds(registry.Rule, registry.RULE_KINDS, registry.misplaced))
