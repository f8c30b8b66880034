"""`Signer` over an asymmetric KMS key (ECC_NIST_P256, ECDSA_SHA_256): the private key never leaves KMS."""

from __future__ import annotations

import base64
import functools
from collections.abc import Mapping
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from cloudoptim.adapters.aws.errors import translate


class KmsSigner:
    def __init__(self, kms: Any, key_id: str) -> None:
        self._kms = kms
        self._key = key_id

    @property
    def key_id(self) -> str:
        return self._key

    def sign(self, message: bytes) -> str:
        try:
            answer = self._kms.sign(
                KeyId=self._key, Message=message, MessageType="RAW", SigningAlgorithm="ECDSA_SHA_256"
            )
        except (ClientError, BotoCoreError) as exc:
            raise translate(exc, "KMS Sign") from exc
        return bytes(answer["Signature"]).hex()

    def public_keys(self) -> Mapping[str, str]:
        return {self._key: self._pem()}

    @functools.cache  # noqa: B019 (one signer per container; the key's public half never changes)
    def _pem(self) -> str:
        try:
            der = bytes(self._kms.get_public_key(KeyId=self._key)["PublicKey"])
        except (ClientError, BotoCoreError) as exc:
            raise translate(exc, "KMS GetPublicKey") from exc
        body = "\n".join(base64.b64encode(der).decode()[i : i + 64] for i in range(0, len(base64.b64encode(der)), 64))
        return f"-----BEGIN PUBLIC KEY-----\n{body}\n-----END PUBLIC KEY-----\n"
