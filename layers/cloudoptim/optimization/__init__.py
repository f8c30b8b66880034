"""From decision to saved dollars: discovery, the optimize sweep, recommendations and their approval, executions,
and the savings ledger (spec flow 3, P5)."""
