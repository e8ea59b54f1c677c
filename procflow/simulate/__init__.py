"""Seeded permit logs with known truth: scenarios (:mod:`~.scenarios`) and the generator
(:mod:`~.permits`)."""
