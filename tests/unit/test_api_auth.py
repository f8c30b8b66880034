"""Tokens are verified as Cognito's are: signature against the JWKS, issuer, audience, expiry, token_use, claims."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from cloudoptim.api.auth import JwtVerifier
from cloudoptim.errors import AuthenticationError
from cloudoptim.tenancy.principal import Role
from localmode.issuer import AUDIENCE, LocalIssuer

ISSUER = "cloudoptim-test-issuer"


@pytest.fixture
def issuer(tmp_path: Path) -> LocalIssuer:
    return LocalIssuer.load(ISSUER, tmp_path)


def verifier(issuer: LocalIssuer, fetched: list[str] | None = None) -> JwtVerifier:
    def fetch(url: str) -> Any:
        (fetched if fetched is not None else []).append(url)
        return issuer.jwks()

    return JwtVerifier(ISSUER, AUDIENCE, "https://issuer.example/jwks.json", fetch=fetch)


def claims(**override: Any) -> dict[str, Any]:
    now = int(time.time())
    base = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": "u-1",
        "email": "a@b.example",
        "token_use": "id",
        "custom:tenant_id": "acme",
        "custom:role": "operator",
        "iat": now,
        "exp": now + 600,
    }
    base.update(override)
    return {k: v for k, v in base.items() if v is not None}


def sign(issuer: LocalIssuer, body: dict[str, Any], key: Any = None, kid: str | None = None) -> str:
    return jwt.encode(body, key or issuer.private_key, algorithm="RS256", headers={"kid": kid or issuer.key_id})


def test_a_local_token_names_its_tenant_and_role(issuer: LocalIssuer) -> None:
    principal = verifier(issuer).principal(f"Bearer {issuer.token('acme', 'viewer')}")
    assert (principal.tenant_id, principal.role) == ("acme", Role.VIEWER)


# Overrides, not bodies: the claims are made when the test runs, so a long suite never finds them expired first.
@pytest.mark.parametrize(
    ("override", "why"),
    [
        ({"iss": "https://other.example"}, "Invalid issuer"),
        ({"aud": "another-client"}, "Audience"),
        ({"exp": -120, "iat": -900}, "expired"),  # seconds from now
        ({"token_use": "access"}, "token_use=id"),
        ({"custom:tenant_id": None}, "custom:tenant_id"),
        ({"custom:tenant_id": "ACME/../x"}, "custom:tenant_id"),
        ({"custom:role": "root"}, "custom:role"),
        ({"sub": None}, "sub"),
    ],
)
def test_tokens_that_must_not_pass(issuer: LocalIssuer, override: dict[str, Any], why: str) -> None:
    now = int(time.time())
    body = claims(**{k: now + v if k in ("exp", "iat") else v for k, v in override.items()})
    with pytest.raises(AuthenticationError, match=why):
        verifier(issuer).principal(f"Bearer {sign(issuer, body)}")


def test_a_token_signed_by_another_key_with_the_same_kid_is_refused(issuer: LocalIssuer) -> None:
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    with pytest.raises(AuthenticationError, match="Signature"):
        verifier(issuer).principal(f"Bearer {sign(issuer, claims(), key=stranger)}")


def test_unsigned_and_hmac_tokens_are_refused(issuer: LocalIssuer) -> None:
    unsigned = jwt.encode(claims(), key="", algorithm="none", headers={"kid": issuer.key_id})
    hmac = jwt.encode(claims(), key="secret" * 8, algorithm="HS256", headers={"kid": issuer.key_id})
    for token in (unsigned, hmac):
        with pytest.raises(AuthenticationError, match="RS256"):
            verifier(issuer).principal(f"Bearer {token}")


def test_an_unknown_key_refetches_the_jwks_at_most_every_five_minutes(issuer: LocalIssuer) -> None:
    fetched: list[str] = []
    checker = verifier(issuer, fetched)
    for _ in range(3):
        with pytest.raises(AuthenticationError, match="unknown key"):
            checker.principal(f"Bearer {sign(issuer, claims(), kid='rotated-away')}")
    assert len(fetched) == 1


@pytest.mark.parametrize("header", [None, "", "Basic abc", "Bearer", "Bearer  ", "Bearer not.a.jwt"])
def test_missing_or_malformed_headers(issuer: LocalIssuer, header: str | None) -> None:
    with pytest.raises(AuthenticationError):
        verifier(issuer).principal(header)
