"""Lambda `audit_checkpoint` (hourly): sign every tenant's newest audit entry with the KMS key.

Event: the EventBridge schedule. Result: `{"signed": n, "unchanged": m}`.
"""

from __future__ import annotations

import functools
import os
import time
from typing import Any

from cloudoptim.audit.log import AuditReader
from cloudoptim.observability import count, instrumented
from cloudoptim.settings import CheckpointSettings
from cloudoptim.tenancy.audit import checkpoint_all
from cloudoptim.tenancy.ports import Documents, Signer
from cloudoptim.wiring.tenancy import audit_log, documents, kms_signer


@functools.cache
def root() -> tuple[Documents, AuditReader, Signer]:
    settings = CheckpointSettings.from_env(os.environ)
    return documents(settings), audit_log(settings), kms_signer(settings, settings.audit_key_id)


def handle(deps: tuple[Documents, AuditReader, Signer], now: int) -> dict[str, int]:
    signed, unchanged = checkpoint_all(*deps, now)
    count("AuditCheckpointSigned", signed)
    return {"signed": signed, "unchanged": unchanged}


@instrumented
def handler(event: dict[str, Any], context: Any) -> dict[str, int]:
    return handle(root(), int(time.time()))
