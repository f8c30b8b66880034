"""Lambda `api`: the FastAPI app (cloudoptim.api) behind API Gateway REST, through Mangum.

Event: an API Gateway proxy request (the Cognito authorizer has already checked the token; the app checks it again,
as it does locally). Result: the proxy response.
"""

from __future__ import annotations

import functools
import os
from typing import Any

from mangum import Mangum

from cloudoptim.api.app import create_app
from cloudoptim.observability import instrumented
from cloudoptim.settings import ApiSettings
from cloudoptim.wiring.api import api_deps


@functools.cache
def root() -> Mangum:
    return Mangum(create_app(api_deps(ApiSettings.from_env(os.environ))), lifespan="off", api_gateway_base_path="/")


@instrumented
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    answer: dict[str, Any] = root()(event, context)
    return answer
