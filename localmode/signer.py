"""Local mode's audit checkpoint signer: an EC P-256 key in the state folder (KMS ECC_NIST_P256 in AWS)."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from localmode.issuer import state_dir

KEY_FILE = "audit-signing.pem"


@dataclass(frozen=True)
class LocalSigner:
    private_key: ec.EllipticCurvePrivateKey

    @classmethod
    def load(cls, folder: Path | None = None) -> LocalSigner:
        path = (folder or state_dir()) / KEY_FILE
        if path.is_file():
            key = serialization.load_pem_private_key(path.read_bytes(), password=None)
            assert isinstance(key, ec.EllipticCurvePrivateKey)
            return cls(key)
        key = ec.generate_private_key(ec.SECP256R1())
        pem = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        path.write_bytes(pem)
        path.chmod(0o600)
        return cls(key)

    @property
    def public_pem(self) -> str:
        public = self.private_key.public_key()
        return public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()

    @property
    def key_id(self) -> str:
        return "local-" + hashlib.sha256(self.public_pem.encode()).hexdigest()[:16]

    def sign(self, message: bytes) -> str:
        return self.private_key.sign(message, ec.ECDSA(hashes.SHA256())).hex()

    def public_keys(self) -> Mapping[str, str]:
        return {self.key_id: self.public_pem}
