"""Derived tables and measures, written once as SQL over the canonical events."""
