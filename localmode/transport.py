"""In-process transport: botocore requests to the local AWS's own URL skip the socket and the web server.

Every handler runs in the same process as moto, so a request to `http://127.0.0.1:<port>` would travel
through a new TCP connection, a server thread, werkzeug and flask only to reach the backends sitting next
to it. A `before-send` hook hands such requests to moto's in-process dispatcher (the one `mock_aws` uses),
after naming the AWS host the SigV4 credential scope asks for. Clients outside the process (the AWS CLI
against `cloudoptim local up`) still use the server; behaviour is the same either way, only cheaper.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import boto3
from botocore import handlers
from botocore.awsrequest import AWSPreparedRequest, AWSResponse
from moto.core.botocore_stubber import MockRawResponse
from moto.core.models import botocore_stubber

from cloudoptim.adapters.aws.clients import shared_session
from localmode.cpu import emulating

SCOPE = re.compile(r"Credential=[^/]+/\d{8}/([a-z0-9-]+)/([a-z0-9-]+)/aws4_request")


class InProcessTransport:
    def __init__(self, host: str, port: int) -> None:
        self.prefixes = tuple(f"http://{name}:{port}" for name in {host, "127.0.0.1", "localhost"})

    def __call__(self, request: AWSPreparedRequest, **_: Any) -> AWSResponse | None:
        url = str(request.url)
        prefix = next((p for p in self.prefixes if url.startswith(p)), None)
        if prefix is None:
            return None
        authorization = request.headers.get("Authorization") or b""
        text = authorization.decode() if isinstance(authorization, bytes) else str(authorization)
        scope = SCOPE.search(text)
        if scope is None:
            return None  # unsigned: leave it to the server's own inference
        region, service = scope.groups()
        request.url = f"https://{service}.{region}.amazonaws.com{url[len(prefix) :]}"
        try:
            with emulating():  # moto's work, not the caller's (localmode.cpu)
                answer = botocore_stubber.process_request(request)
        finally:
            request.url = url
        if answer is None:
            return None
        status, headers, body = answer
        return AWSResponse(url, status, headers, MockRawResponse(body))


def install(host: str, port: int) -> Callable[[], None]:
    """Hook every botocore session created from now on (and the existing shared ones); returns the undo."""
    transport = InProcessTransport(host, port)
    default = boto3.DEFAULT_SESSION
    existing = [shared_session(), *([default._session] if default is not None else [])]
    entry = ("before-send", transport)
    handlers.BUILTIN_HANDLERS.append(entry)
    for session in existing:  # sessions created before: they do not read BUILTIN_HANDLERS again
        session.register("before-send", transport)

    def restore() -> None:
        if entry in handlers.BUILTIN_HANDLERS:
            handlers.BUILTIN_HANDLERS.remove(entry)
        for session in existing:
            session.unregister("before-send", transport)

    return restore
