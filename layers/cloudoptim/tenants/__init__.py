"""Tenants and their AWS accounts: ExternalIds, what CloudOptim may do in a customer account, registration."""
