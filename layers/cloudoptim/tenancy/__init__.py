"""Tenants, users and roles, AWS accounts, clusters, policies and settings: the use cases behind the API.

Every record is keyed by the tenant taken from the caller's verified token, never from the request.
"""
