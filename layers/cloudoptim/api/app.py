"""The product API: one FastAPI app, served by Mangum behind API Gateway REST in AWS and by uvicorn locally.

`create_app(deps)` takes everything wired (cloudoptim.api.context.ApiDeps): tests pass in-memory fakes, the
Lambda's composition root (functions/api/handler.py) and local mode pass DynamoDB and the real verifier.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from cloudoptim.api import problems
from cloudoptim.api.context import ApiDeps
from cloudoptim.api.routers import (
    accounts,
    audit,
    clusters,
    health,
    hibernation,
    hive,
    me,
    model_registry,
    notifications,
    policies,
    prices,
    recommendations,
    savings,
    settings,
    sweeps,
    users,
    waste,
)
from cloudoptim.dashboard import site

TITLE = "CloudOptim API"
PUBLIC_PATHS = frozenset({"/v1/health"})


def create_app(deps: ApiDeps) -> FastAPI:
    app = FastAPI(title=TITLE, version="1.0.0", docs_url="/docs", redoc_url=None)
    app.state.deps = deps
    routers = (health, me, settings, accounts, clusters, policies, hibernation, users, audit, prices, waste,
               recommendations, sweeps, savings, model_registry, hive, notifications)  # fmt: skip
    for module in routers:
        app.include_router(module.router)
    problems.install(app)
    site.install(app, deps.sign_in)
    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    return app


def _openapi(app: FastAPI) -> dict[str, Any]:
    """The document with the bearer scheme on every route but health (what API Gateway's authorizer enforces)."""
    if app.openapi_schema:
        return app.openapi_schema
    schema = get_openapi(title=app.title, version=app.version, routes=app.routes)
    schema.setdefault("components", {})["securitySchemes"] = {
        "bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT (Cognito ID token)"}
    }
    for path, operations in schema.get("paths", {}).items():
        for operation in operations.values():
            if path not in PUBLIC_PATHS:
                operation["security"] = [{"bearer": []}]
                _drop_authorization_parameter(operation)
            for response in operation.get("responses", {}).values():
                _problems_as_problem_json(response.get("content", {}))
    _links(schema)
    app.openapi_schema = schema
    return schema


# A created resource's id feeds the routes that address it (OpenAPI links: clients and fuzzers follow them).
LINKED = {"/v1/accounts": "account_id", "/v1/clusters": "cluster_id", "/v1/users": "user_id"}


def _links(schema: dict[str, Any]) -> None:
    paths = schema.get("paths", {})
    for collection, parameter in LINKED.items():
        created = paths.get(collection, {}).get("post", {}).get("responses", {}).get("201")
        if created is None:
            continue
        links = created.setdefault("links", {})
        for path, operations in paths.items():
            if not path.startswith(f"{collection}/{{{parameter}}}"):
                continue
            for method, operation in operations.items():
                name = f"{method}_{operation['operationId']}"
                links[name] = {"operationId": operation["operationId"], "parameters": {parameter: "$response.body#/id"}}


def _problems_as_problem_json(content: dict[str, Any]) -> None:
    """FastAPI files a response model under application/json; problems are sent as application/problem+json."""
    schema = content.get("application/json", {}).get("schema", {})
    if problems.PROBLEM in content and str(schema.get("$ref", "")).endswith("/Problem"):
        content[problems.PROBLEM] = content.pop("application/json")


def _drop_authorization_parameter(operation: dict[str, Any]) -> None:
    """The Authorization header is documented by the security scheme, not as a parameter."""
    params = [p for p in operation.get("parameters", []) if p.get("name", "").lower() != "authorization"]
    if params:
        operation["parameters"] = params
    else:
        operation.pop("parameters", None)
