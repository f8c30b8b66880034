"""Pricing data as values: what was collected when (coverage, gaps, what to fetch next) and how old prices are."""
