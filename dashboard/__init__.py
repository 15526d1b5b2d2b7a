"""Incident Map: a sourced, filterable map of state-linked covert action."""

__version__ = "0.1.0"
