"""Bearer tokens: RS256 JWTs verified against the issuer's JWKS, exactly as Cognito's ID tokens are verified, in
AWS and in local mode alike (local mode only points the issuer and JWKS URL at its own issuer). The tenant and role
come from the verified claims and nowhere else.

Claims used: `iss`, `aud` (the app client id), `token_use` = `id`, `exp`/`iat`/`nbf`, `sub`, `email`,
`custom:tenant_id`, `custom:role` (Cognito custom attributes, writable by administrators only), `cognito:groups`
(membership of PLATFORM_OPERATORS marks CloudOptim's own staff; only pool administrators change groups).
"""

from __future__ import annotations

import json
import threading
import time
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import jwt
from jwt.algorithms import RSAAlgorithm

from cloudoptim.errors import AuthenticationError
from cloudoptim.tenancy.principal import PLATFORM_OPERATORS, TENANT_ID, Principal, Role

TENANT_CLAIM = "custom:tenant_id"
ROLE_CLAIM = "custom:role"
GROUPS_CLAIM = "cognito:groups"
LEEWAY_SECONDS = 30
JWKS_REFRESH_SECONDS = 300  # an unknown `kid` refetches the JWKS at most this often (key rotation)

Fetch = Callable[[str], Mapping[str, Any]]


def fetch_json(url: str) -> Mapping[str, Any]:
    if not url.startswith(("https://", "http://127.0.0.1", "http://localhost")):
        raise AuthenticationError("the JWKS URL must be https (or a local issuer on loopback)")
    with urllib.request.urlopen(url, timeout=5) as answer:
        document: Mapping[str, Any] = json.loads(answer.read())
    return document


@dataclass
class JwtVerifier:
    issuer: str
    audience: str
    jwks_url: str
    fetch: Fetch = fetch_json
    clock: Callable[[], float] = time.time
    _keys: dict[str, Any] = field(default_factory=dict)
    _fetched_at: float = -1e18
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def principal(self, authorization: str | None) -> Principal:
        token = _bearer(authorization)
        claims = self.claims(token)
        return principal_of(claims)

    def claims(self, token: str) -> Mapping[str, Any]:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise AuthenticationError(f"malformed token: {exc}") from None
        if header.get("alg") != "RS256":
            raise AuthenticationError("token must be signed with RS256")
        key = self._key(str(header.get("kid", "")))
        try:
            claims: Mapping[str, Any] = jwt.decode(
                token,
                key=key,
                algorithms=["RS256"],
                audience=self.audience,
                issuer=self.issuer,
                leeway=LEEWAY_SECONDS,
                options={"require": ["exp", "iat", "iss", "aud", "sub"]},
            )
        except jwt.ExpiredSignatureError:
            raise AuthenticationError("token expired") from None
        except jwt.PyJWTError as exc:
            raise AuthenticationError(f"token rejected: {exc}") from None
        if claims.get("token_use") != "id":
            raise AuthenticationError("an ID token is required (token_use=id)")
        return claims

    def _key(self, kid: str) -> Any:
        with self._lock:
            if kid not in self._keys and self.clock() - self._fetched_at >= JWKS_REFRESH_SECONDS:
                self._refresh()
            key = self._keys.get(kid)
        if key is None:
            raise AuthenticationError("token signed by an unknown key")
        return key

    def _refresh(self) -> None:
        try:
            document = self.fetch(self.jwks_url)
        except AuthenticationError:
            raise
        except Exception as exc:  # network, JSON: no key means no access, said plainly
            raise AuthenticationError(f"cannot read the issuer's keys: {type(exc).__name__}") from None
        self._fetched_at = self.clock()
        keys = {}
        for jwk in document.get("keys", []):
            if jwk.get("kty") == "RSA" and jwk.get("kid"):
                keys[str(jwk["kid"])] = RSAAlgorithm.from_jwk(json.dumps(jwk))
        self._keys = keys


def _bearer(authorization: str | None) -> str:
    if not authorization:
        raise AuthenticationError("no bearer token: send Authorization: Bearer <token>")
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise AuthenticationError("Authorization must be 'Bearer <token>'")
    return token.strip()


def principal_of(claims: Mapping[str, Any]) -> Principal:
    tenant = claims.get(TENANT_CLAIM)
    if not isinstance(tenant, str) or not TENANT_ID.match(tenant):
        raise AuthenticationError(f"token carries no valid {TENANT_CLAIM}")
    try:
        role = Role(str(claims.get(ROLE_CLAIM)))
    except ValueError:
        raise AuthenticationError(f"token carries no valid {ROLE_CLAIM} (admin, operator or viewer)") from None
    groups = claims.get(GROUPS_CLAIM) or []
    operator = isinstance(groups, list) and PLATFORM_OPERATORS in groups
    return Principal(
        tenant_id=tenant,
        subject=str(claims["sub"]),
        email=str(claims.get("email") or ""),
        role=role,
        platform_operator=operator,
    )
