"""`Documents` and `RequestLog` (cloudoptim.tenancy.ports) on DynamoDB: versioned JSON records in the Registry
table under `TENANT#<tenant>` / `<KIND>#<id>`, conditional writes for versions and creation, Query (never Scan)
for lists. The cluster document is also the pipeline's `CLUSTER#<name>` item (endpoint, credentials, node groups).
"""

from __future__ import annotations

import json
from typing import Any

from pynamodb.attributes import NumberAttribute, UnicodeAttribute
from pynamodb.exceptions import DoesNotExist, PynamoDBException
from pynamodb.models import Model

from cloudoptim.adapters.aws._dynamo import dynamo_error, is_condition_failure
from cloudoptim.adapters.aws.tables import bind
from cloudoptim.errors import ConflictError, NotFoundError, PreconditionFailedError
from cloudoptim.tenancy.ports import Document, Json, Page, StoredResponse, cursor_after, id_of_cursor


class DocumentItem(Model):
    pk = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)
    doc = UnicodeAttribute(null=True)  # the JSON body
    version = NumberAttribute(null=True)
    created_at = NumberAttribute(null=True)
    updated_at = NumberAttribute(null=True)
    # on REQUEST# items (idempotent writes): the stored answer and when it expires
    expires_at = NumberAttribute(null=True)


def document_model(table: str, host: str | None = None, region: str | None = None) -> type[DocumentItem]:
    return bind(DocumentItem, table, host, region)  # type: ignore[return-value]


def _pk(tenant: str) -> str:
    return f"TENANT#{tenant}"


def _sk(kind: str, id: str) -> str:
    return f"{kind.upper()}#{id}"


class DynamoDocuments:
    def __init__(self, model: type[DocumentItem]) -> None:
        self._model = model

    def get(self, tenant: str, kind: str, id: str) -> Document | None:
        try:
            item = self._model.get(_pk(tenant), _sk(kind, id), consistent_read=True)
        except DoesNotExist:
            return None
        except PynamoDBException as exc:
            raise dynamo_error(exc, f"get {kind} {id}") from exc
        return _document(kind, id, item) if item.doc is not None else None

    def list(self, tenant: str, kind: str, limit: int, cursor: str | None = None, prefix: str = "") -> Page:
        kind_prefix, scope = _sk(kind, ""), f"{tenant}/{kind}"
        start = (
            None if cursor is None else {"pk": {"S": _pk(tenant)}, "sk": {"S": _sk(kind, id_of_cursor(cursor, scope))}}
        )
        try:
            found = self._model.query(
                _pk(tenant), self._model.sk.startswith(_sk(kind, prefix)), limit=limit, last_evaluated_key=start
            )
            items = [_document(kind, item.sk[len(kind_prefix) :], item) for item in found if item.doc is not None]
            last = found.last_evaluated_key
        except PynamoDBException as exc:
            raise dynamo_error(exc, f"list {kind}") from exc
        # A cursor is the last id read (the page may end on an item without a body: then its id still counts).
        return Page(items, cursor_after(str(last["sk"]["S"])[len(kind_prefix) :], scope) if last else None)

    def create(self, tenant: str, kind: str, id: str, body: Json, now: int) -> Document:
        item = self._model(_pk(tenant), _sk(kind, id), doc=_json(body), version=1, created_at=now, updated_at=now)
        try:
            item.save(condition=self._model.sk.does_not_exist())
        except PynamoDBException as exc:
            if is_condition_failure(exc):
                raise ConflictError(f"{kind} {id} already exists") from None
            raise dynamo_error(exc, f"create {kind} {id}") from exc
        return Document(kind, id, dict(body), 1, now, now)

    def replace(self, tenant: str, kind: str, id: str, body: Json, expected_version: int, now: int) -> Document:
        current = self.get(tenant, kind, id)
        if current is None:
            raise NotFoundError(f"{kind} {id} not found")
        item = self._model(
            _pk(tenant), _sk(kind, id), doc=_json(body), version=expected_version + 1,
            created_at=current.created_at, updated_at=now,
        )  # fmt: skip
        try:
            item.save(condition=self._model.version == expected_version)
        except PynamoDBException as exc:
            if is_condition_failure(exc):
                raise PreconditionFailedError(f"{kind} {id} changed since version {expected_version}") from None
            raise dynamo_error(exc, f"replace {kind} {id}") from exc
        return Document(kind, id, dict(body), expected_version + 1, current.created_at, now)

    def delete(self, tenant: str, kind: str, id: str, expected_version: int | None = None) -> bool:
        item = self._model(_pk(tenant), _sk(kind, id))
        condition = self._model.sk.exists() if expected_version is None else self._model.version == expected_version
        try:
            item.delete(condition=condition)
        except PynamoDBException as exc:
            if not is_condition_failure(exc):
                raise dynamo_error(exc, f"delete {kind} {id}") from exc
            if expected_version is None:
                return False
            if self.get(tenant, kind, id) is None:
                raise NotFoundError(f"{kind} {id} not found") from None
            raise PreconditionFailedError(f"{kind} {id} changed since version {expected_version}") from None
        return True


class DynamoRequestLog:
    """`TENANT#<tenant>` / `REQUEST#<key>`, kept for a day (readers ignore expired items, as TTL is lazy)."""

    def __init__(self, model: type[DocumentItem], ttl_seconds: int = 86400) -> None:
        self._model = model
        self._ttl = ttl_seconds

    def get(self, tenant: str, key: str, now: int) -> StoredResponse | None:
        try:
            item = self._model.get(_pk(tenant), f"REQUEST#{key}", consistent_read=True)
        except DoesNotExist:
            return None
        except PynamoDBException as exc:
            raise dynamo_error(exc, "get stored response") from exc
        if item.doc is None or (item.expires_at or 0) <= now:
            return None
        raw = json.loads(item.doc)
        return StoredResponse(raw["request_hash"], int(raw["status"]), raw.get("body"), raw.get("headers") or {})

    def put(self, tenant: str, key: str, response: StoredResponse, now: int) -> None:
        raw = {"request_hash": response.request_hash, "status": response.status, "body": response.body,
               "headers": dict(response.headers)}  # fmt: skip
        item = self._model(_pk(tenant), f"REQUEST#{key}", doc=_json(raw), expires_at=now + self._ttl)
        try:
            item.save(condition=self._model.sk.does_not_exist() | (self._model.expires_at <= now))
        except PynamoDBException as exc:
            if not is_condition_failure(exc):  # a concurrent twin stored its answer first: keep that one
                raise dynamo_error(exc, "store response") from exc


def _document(kind: str, id: str, item: DocumentItem) -> Document:
    body = json.loads(item.doc or "{}")
    return Document(kind, id, body, int(item.version or 0), int(item.created_at or 0), int(item.updated_at or 0))


def _json(body: Any) -> str:
    return json.dumps(body, sort_keys=True, separators=(",", ":"))
