"""Spiders of the supplywatch project."""
