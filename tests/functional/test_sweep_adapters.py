"""The sweep's adapters: the snapshot and pod metrics read raw through the Kubernetes API (the emulator), and the
S3 store's conditional writes of the usage history (moto)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from cloudoptim.adapters.aws.snapshots import S3Snapshots
from cloudoptim.adapters.kube.snapshot import KubeSnapshots
from cloudoptim.errors import NotFoundError
from localmode.kube_emulator import KubeEmulator, load_seed


def test_the_snapshot_is_what_the_api_answers_with_kinds_and_the_kinds_it_lacks() -> None:
    with KubeEmulator(load_seed()) as kube:
        reader = KubeSnapshots(kube.api_client())
        snapshot = reader.snapshot()
        usage = reader.pod_usage()
    kinds = Counter(item["kind"] for item in snapshot.document["items"])
    assert kinds["Node"] == 24 and kinds["Pod"] == 162 and kinds["PodDisruptionBudget"] == 10
    assert all(item["apiVersion"] for item in snapshot.document["items"])
    assert any("ReplicaSets not served" in note for note in snapshot.notes)  # the emulator has none: said, not hidden
    assert len({(u.namespace, u.pod) for u in usage}) == 162 and all(u.cpu_cores > 0 for u in usage)


@pytest.fixture
def s3(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(key, "testing")
    with mock_aws():
        client = boto3.client("s3", region_name="eu-west-1")
        client.create_bucket(Bucket="snapshots", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
        yield client


def test_snapshots_round_trip_and_the_history_is_replaced_only_from_what_was_read(s3: Any) -> None:
    store = S3Snapshots(s3, "snapshots")
    key = store.put_snapshot("acme", "prod", "prod.20260101T000000Z", {"kind": "List", "items": []})
    assert key == "snapshots/acme/prod/prod.20260101T000000Z.json.gz"
    assert store.get_snapshot("acme", "prod", "prod.20260101T000000Z") == {"kind": "List", "items": []}
    with pytest.raises(NotFoundError):
        store.get_snapshot("acme", "prod", "missing")
    assert store.get_usage("acme", "prod") == (None, None)
    assert store.put_usage("acme", "prod", {"containers": {}}, None)
    assert not store.put_usage("acme", "prod", {"containers": {"x": []}}, None)  # someone wrote first
    history, etag = store.get_usage("acme", "prod")
    assert history == {"containers": {}} and etag
    assert store.put_usage("acme", "prod", {"containers": {"a/b/c": [[0, 1.0, 2]]}}, etag)
    assert not store.put_usage("acme", "prod", {"containers": {}}, etag)  # the ETag moved on
