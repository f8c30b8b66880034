"""Constructors shared by the Lambdas' composition roots (`root()` in each handler): settings in, adapters out.

Split by what they import, so a function's cold start pays only for its own adapters: `stores` needs botocore
and pynamodb, `clusters` the `kubernetes` client.
"""
