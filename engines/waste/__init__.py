"""Waste (spec W1-W4) as values: an account's inventory in, findings with reasons, monthly cost and a proposed
action out. Nothing here acts: findings are proposals, executed only through the policy and approval flow."""
