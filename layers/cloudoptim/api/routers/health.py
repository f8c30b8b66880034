"""`GET /v1/health`: the only route without a token (API Gateway's authorizer skips it too)."""

from __future__ import annotations

from fastapi import APIRouter

from cloudoptim.api.schemas import Health

VERSION = "1"
router = APIRouter(tags=["health"])


@router.get("/v1/health", response_model=Health, summary="Liveness: answers without a token")
def health() -> Health:
    return Health(version=VERSION)
