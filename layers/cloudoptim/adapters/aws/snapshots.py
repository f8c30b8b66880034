"""`SnapshotStore` (cloudoptim.optimization.ports) on S3: discovery's snapshots as gzip JSON
(`snapshots/<tenant>/<cluster>/<run>.json.gz`, written once) and each cluster's usage history
(`usage/<tenant>/<cluster>.json.gz`, replaced under If-Match / If-None-Match so concurrent samplers never lose a
sample). Keys start with the tenant: one tenant's objects are one prefix."""

from __future__ import annotations

import gzip
import json
from collections.abc import Mapping
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from cloudoptim.adapters.aws.errors import translate
from cloudoptim.errors import NotFoundError

_RACE = ("PreconditionFailed", "ConditionalRequestConflict")


def _gzip(document: Mapping[str, Any]) -> bytes:
    return gzip.compress(json.dumps(document, separators=(",", ":"), sort_keys=True).encode(), mtime=0)


class S3Snapshots:
    def __init__(self, s3: Any, bucket: str) -> None:
        self._s3 = s3
        self._bucket = bucket

    def put_snapshot(self, tenant: str, cluster: str, run: str, document: Mapping[str, Any]) -> str:
        key = f"snapshots/{tenant}/{cluster}/{run}.json.gz"
        try:
            self._s3.put_object(Bucket=self._bucket, Key=key, Body=_gzip(document), ContentEncoding="gzip",
                                ContentType="application/json")  # fmt: skip
        except (ClientError, BotoCoreError) as exc:
            raise translate(exc, f"PutObject {key}") from exc
        return key

    def get_snapshot(self, tenant: str, cluster: str, run: str) -> Mapping[str, Any]:
        key = f"snapshots/{tenant}/{cluster}/{run}.json.gz"
        body, _ = self._read(key)
        if body is None:
            raise NotFoundError(f"snapshot {run} of cluster {cluster} not found")
        document: Mapping[str, Any] = json.loads(gzip.decompress(body))
        return document

    def get_usage(self, tenant: str, cluster: str) -> tuple[Mapping[str, Any] | None, str | None]:
        body, etag = self._read(f"usage/{tenant}/{cluster}.json.gz")
        return (json.loads(gzip.decompress(body)) if body is not None else None), etag

    def put_usage(self, tenant: str, cluster: str, history: Mapping[str, Any], etag: str | None) -> bool:
        key = f"usage/{tenant}/{cluster}.json.gz"
        condition = {"IfMatch": etag} if etag else {"IfNoneMatch": "*"}
        try:
            self._s3.put_object(Bucket=self._bucket, Key=key, Body=_gzip(history), **condition)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in _RACE:
                return False
            raise translate(exc, f"PutObject {key}") from exc
        except BotoCoreError as exc:
            raise translate(exc, f"PutObject {key}") from exc
        return True

    def _read(self, key: str) -> tuple[bytes | None, str | None]:
        try:
            answer = self._s3.get_object(Bucket=self._bucket, Key=key)
            return answer["Body"].read(), str(answer["ETag"])
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
                return None, None
            raise translate(exc, f"GetObject {key}") from exc
        except BotoCoreError as exc:
            raise translate(exc, f"GetObject {key}") from exc
