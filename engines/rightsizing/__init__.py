"""Workload rightsizing (E3) and OOM remediation (E4): usage series and pod specs in, recommendations out."""
