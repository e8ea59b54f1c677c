"""Every figure of a log: settings and prepared step tables (:mod:`~.prepare`), the metric SQL
(:mod:`~.queries`) on DuckDB or Spark (:mod:`~.backends`), the working clock
(:mod:`~.working_clock`), decision steps, variants, service standards, the figures
(:mod:`~.figures`), ``analyze`` (:mod:`~.analysis`) and its terminal summary."""
