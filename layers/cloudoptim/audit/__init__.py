"""The per-tenant audit trail: hash-chained entries, signed checkpoints, export and verification."""
