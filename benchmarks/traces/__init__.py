"""Converters from public workload traces to realistic Kubernetes clusters, for benchmarks and evaluation tests."""
