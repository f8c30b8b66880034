"""Local mode's identity provider: an RSA key on disk, its JWKS, and ID tokens shaped like Cognito's.

The API verifies these exactly as it verifies Cognito's (cloudoptim.api.auth.JwtVerifier): only the issuer URL
and JWKS URL differ. `cloudoptim local token` and `cloudoptim local up` share the key through the state folder
(`$CLOUDOPTIM_HOME`, default ~/.cloudoptim), so a token printed by one verifies in the other.
"""

from __future__ import annotations

import json
import os
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

AUDIENCE = "cloudoptim-local"
KEY_FILE = "local-issuer.pem"
JWKS_PATH = "/local-issuer/.well-known/jwks.json"


def state_dir() -> Path:
    folder = Path(os.environ.get("CLOUDOPTIM_HOME") or Path.home() / ".cloudoptim")
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    return folder


@dataclass(frozen=True)
class LocalIssuer:
    private_key: rsa.RSAPrivateKey
    issuer: str
    key_id: str

    @classmethod
    def load(cls, issuer: str, folder: Path | None = None) -> LocalIssuer:
        """The key in the state folder, created on first use (readable by its owner only)."""
        path = (folder or state_dir()) / KEY_FILE
        if path.is_file():
            key = serialization.load_pem_private_key(path.read_bytes(), password=None)
            assert isinstance(key, rsa.RSAPrivateKey)
        else:
            key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
            pem = key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
            path.write_bytes(pem)
            path.chmod(0o600)
        numbers = key.public_key().public_numbers()
        return cls(private_key=key, issuer=issuer, key_id=f"local-{numbers.n % 10**12:012d}")

    def jwks(self) -> Mapping[str, Any]:
        jwk = json.loads(RSAAlgorithm.to_jwk(self.private_key.public_key()))
        return {"keys": [{**jwk, "kid": self.key_id, "use": "sig", "alg": "RS256"}]}

    def token(
        self,
        tenant: str,
        role: str,
        email: str | None = None,
        ttl_seconds: int = 12 * 3600,
        groups: tuple[str, ...] = (),
    ) -> str:
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": self.issuer,
            "aud": AUDIENCE,
            "sub": f"local-{tenant}-{role}",
            "email": email or f"{role}@{tenant}.local",
            "token_use": "id",
            "custom:tenant_id": tenant,
            "custom:role": role,
            "iat": now,
            "exp": now + ttl_seconds,
            "jti": str(uuid.uuid4()),
        }
        if groups:  # as Cognito does: the claim only when the user is in a group
            claims["cognito:groups"] = list(groups)
        return jwt.encode(claims, self.private_key, algorithm="RS256", headers={"kid": self.key_id})


def issuer_url(port: int) -> str:
    return f"http://127.0.0.1:{port}/local-issuer"
