"""Self-contained offline HTML reports of an analysis or a comparison."""
