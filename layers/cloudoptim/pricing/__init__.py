"""Pricing data (spec flow 4, P9): scrape Spot price history, On-Demand prices and the Spot Advisor on a schedule,
find and fill gaps, and report coverage. Ports in `ports.py`; adapters in cloudoptim.adapters.aws."""
