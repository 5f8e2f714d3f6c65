"""``supplywatch demo``: a furniture shop's suppliers, served on 127.0.0.1, watched for months in a minute."""

from .run import ports_in_config

__all__ = ["ports_in_config"]
