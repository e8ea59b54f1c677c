"""Reports: offline HTML of an analysis or a comparison, and Excel workbooks."""
