"""Checking a log against a reference: SOP tables (:mod:`~.sop`), deviation kinds
(:mod:`~.deviations`) and the conformance result (:mod:`~.conformance`)."""
