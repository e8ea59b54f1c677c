"""Foundations every stage uses: DuckDB connections (:mod:`~.db`) and messages in English and
Bahasa Indonesia (:mod:`~.i18n`, catalogs in ``locale/``)."""
