"""Constructs of the SaaS stack, one per business domain; shared resources come in as parameters."""
