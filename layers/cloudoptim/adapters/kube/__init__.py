"""Adapters that read standard Kubernetes JSON (`kubectl get ... -o json`) into engine value objects."""
