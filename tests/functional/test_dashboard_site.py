"""The dashboard's files from the API app: public, same origin, a strict CSP, the sign-in mode, nothing else open."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from fastapi.testclient import TestClient

from cloudoptim.api.app import create_app
from cloudoptim.dashboard.site import SignIn
from tests.support.api import api_world


def test_the_page_and_its_assets_are_served_with_a_strict_policy(tmp_path: Path) -> None:
    client = api_world(tmp_path).client
    page = client.get("/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    policy = page.headers["content-security-policy"]
    assert "script-src 'self';" in policy and "unsafe" not in policy and "frame-ancestors 'none'" in policy
    assert 'src="ui/app.js"' in page.text  # relative: API Gateway's stage prefix needs no rewriting
    assert client.get("/ui/app.js").headers["content-type"].startswith("text/javascript")
    assert client.get("/ui/vendor/LICENSE-preact.txt").status_code == 200
    assert client.get("/ui/config.json").json() == {"mode": "token"}
    assert client.get("/ui/../app.py").status_code == 404
    assert "/" not in client.get("/openapi.json").json()["paths"]


def test_data_still_needs_a_token(tmp_path: Path) -> None:
    client = api_world(tmp_path).client
    assert client.get("/v1/savings").status_code == 401
    assert client.get("/v1/recommendations").status_code == 401


def test_with_a_cognito_domain_the_page_signs_in_through_it(tmp_path: Path) -> None:
    world = api_world(tmp_path)
    domain = "https://cloudoptim-123456789012.auth.eu-west-1.amazoncognito.com"
    app = create_app(dataclasses.replace(world.app.state.deps, sign_in=SignIn(domain, "client-1")))
    client = TestClient(app)
    assert client.get("/ui/config.json").json() == {"mode": "cognito", "domain": domain, "client_id": "client-1"}
    assert f"connect-src 'self' {domain};" in client.get("/").headers["content-security-policy"]
