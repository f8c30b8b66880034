"""Mounts the dashboard on the API app: `GET /` (the page), `GET /ui/*` (its scripts, styles, vendored library)
and `GET /ui/config.json` (how to sign in: Cognito's hosted UI in AWS, a pasted local token otherwise)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.responses import FileResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles

STATIC = Path(__file__).parent / "static"


@dataclass(frozen=True)
class SignIn:
    """Cognito's hosted UI (authorization code with PKCE) when `cognito_domain` is set; else the local issuer's
    token, pasted or passed as `/#token=...`. Either way the API verifies the token as it verifies any other."""

    cognito_domain: str | None = None  # https://<prefix>.auth.<region>.amazoncognito.com
    client_id: str | None = None

    def document(self) -> dict[str, Any]:
        if self.cognito_domain and self.client_id:
            return {"mode": "cognito", "domain": self.cognito_domain.rstrip("/"), "client_id": self.client_id}
        return {"mode": "token"}

    def policy(self) -> str:
        """The Content-Security-Policy of the pages: everything from this origin, tokens from Cognito's domain."""
        extra = f" {self.cognito_domain.rstrip('/')}" if self.cognito_domain else ""
        return (
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            f"connect-src 'self'{extra}; form-action 'self'{extra}; frame-ancestors 'none'; base-uri 'self'"
        )


HEADERS = {"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer", "Cache-Control": "no-cache"}


def install(app: FastAPI, sign_in: SignIn) -> None:
    headers = {**HEADERS, "Content-Security-Policy": sign_in.policy()}

    def index() -> Response:
        return FileResponse(STATIC / "index.html", media_type="text/html", headers=headers)

    def config() -> JSONResponse:
        return JSONResponse(sign_in.document(), headers=HEADERS)

    app.add_api_route("/", index, methods=["GET"], include_in_schema=False)
    app.add_api_route("/ui/config.json", config, methods=["GET"], include_in_schema=False)
    app.mount("/ui", StaticFiles(directory=STATIC), name="ui")
