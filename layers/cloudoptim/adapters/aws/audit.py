"""Audit items: append-only, one per execution; a retried RecordOutcome finds its item and keeps it."""

from __future__ import annotations

from pynamodb.exceptions import PynamoDBException

from cloudoptim.adapters.aws._dynamo import dynamo_error, is_condition_failure
from cloudoptim.adapters.aws.tables import AuditItem
from cloudoptim.interruptions.execution import iso
from cloudoptim.interruptions.ports import AuditEntry


def audit_key(entry: AuditEntry) -> tuple[str, str]:
    return f"TENANT#{entry.tenant_id}#CLUSTER#{entry.cluster}", f"{iso(entry.at)}#{entry.execution}"


class DynamoAudit:
    def __init__(self, model: type[AuditItem]) -> None:
        self._model = model

    def record(self, entry: AuditEntry) -> str:
        pk, sk = audit_key(entry)
        item = self._model(
            pk,
            sk,
            event_id=entry.event_id,
            kind=entry.kind,
            node=entry.node,
            outcome=entry.outcome,
            replacement=entry.replacement,
            pods_evicted=entry.pods_evicted,
            reasons=list(entry.reasons),
            dry_run=entry.dry_run,
        )
        try:
            item.save(condition=self._model.sk.does_not_exist())
        except PynamoDBException as exc:
            if not is_condition_failure(exc):
                raise dynamo_error(exc, f"Audit put {pk}") from exc
        return f"{pk}/{sk}"
