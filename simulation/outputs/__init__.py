"""What a run gives back: KPIs, the result, reports, plots and the generated docs."""
