"""Why a target is slow: the fields and values behind its delays (``explain.json``)."""

from procflow.explain.explanation import Explanation, explain
from procflow.explain.targets import Target, parse_target

__all__ = ["Explanation", "Target", "explain", "parse_target"]
