"""The optimize sweep: workload rightsizing, then consolidation on the new requests, then Spot, one ledger."""
