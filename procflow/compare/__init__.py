"""Before versus after: statistics (:mod:`~.stats`), the comparison result
(:mod:`~.comparison`) and its plain-language sentences (:mod:`~.narrative`)."""
