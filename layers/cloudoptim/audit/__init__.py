"""The audit trail: one append-only, sequence-numbered, hash-chained log per tenant; signed checkpoints, export and
verification."""
