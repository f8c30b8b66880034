"""`AdvisorSource`: the Spot Advisor document AWS publishes in a public S3 bucket (spot-bid-advisor). In AWS the
client is unsigned (a public object needs no grant); local mode serves the shipped snapshot from moto's S3."""

from __future__ import annotations

from typing import Any

from botocore import UNSIGNED
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from cloudoptim.adapters.aws import clients
from cloudoptim.adapters.aws.errors import translate

ADVISOR_BUCKET = "spot-bid-advisor"
ADVISOR_KEY = "spot-advisor-data.json"


class S3AdvisorSource:
    def __init__(self, s3: Any, bucket: str = ADVISOR_BUCKET, key: str = ADVISOR_KEY) -> None:
        self._s3, self._bucket, self._key = s3, bucket, key

    def document(self) -> bytes:
        try:
            body: bytes = self._s3.get_object(Bucket=self._bucket, Key=self._key)["Body"].read()
        except (ClientError, BotoCoreError) as exc:
            raise translate(exc, f"S3 get s3://{self._bucket}/{self._key}") from exc
        return body


def public_s3(region: str | None, endpoint_url: str | None) -> Any:
    """An unsigned S3 client for public objects (local mode's moto accepts it too)."""
    with clients._LOCK:
        return clients.shared_session().create_client(
            "s3", region_name=region, endpoint_url=endpoint_url, config=Config(signature_version=UNSIGNED)
        )
