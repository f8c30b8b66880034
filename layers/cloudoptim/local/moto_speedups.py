"""Performance patches for a busy in-process moto server; behaviour is unchanged.

Profiling a drill showed most time spent before any backend ran: moto's dispatcher lists its own package
folder (`list_of_moto_modules`: ~150 `isdir` calls) and tries every URL pattern, on every request, under
one global lock; and the Step Functions interpreter builds a new boto3 client (service model load, SSL
context) for every Lambda task, and every execution parses its ASL definition again with ANTLR (~45 ms).
The folder listing and the host -> backend answer never change while the process runs, boto3 clients are
thread-safe, and the parsed program is read-only during evaluation (executions keep their state in their
own `Environment`), so all four are cached.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from moto import backends
from moto.moto_server.werkzeug_app import DomainDispatcherApplication
from moto.stepfunctions.parser.asl.component.state.exec.state_task import lambda_eval_utils
from moto.stepfunctions.parser.asl.parse.asl_parser import AmazonStateLanguageParser
from moto.stepfunctions.parser.backend.execution_worker import ExecutionWorker

_CLIENT_FACTORY = "boto_client_for"  # imported by name into lambda_eval_utils, so patched there


@functools.lru_cache(maxsize=64)
def _parsed_program(definition: str) -> Any:
    return AmazonStateLanguageParser.parse(definition)[0]


def _evaluation_entrypoint(worker: ExecutionWorker) -> Any:
    return _parsed_program(worker._evaluation_details.state_machine_details.definition)


def install() -> Callable[[], None]:
    """Apply the caches; returns the function that removes them."""
    original_modules = backends.list_of_moto_modules
    original_lookup = DomainDispatcherApplication.get_backend_for_host
    original_client = getattr(lambda_eval_utils, _CLIENT_FACTORY)
    original_entrypoint = ExecutionWorker._get_evaluation_entrypoint
    modules = tuple(original_modules())
    found: dict[str | None, Any] = {}

    def get_backend_for_host(app: DomainDispatcherApplication, host: str | None) -> Any:
        if host not in found:
            found[host] = original_lookup(app, host)
        return found[host]

    @functools.cache
    def shared_client(region: str, service: str) -> Any:
        return original_client(region=region, service=service, state_credentials=None)

    def boto_client_for(region: str, service: str, state_credentials: Any = None) -> Any:
        # Local credentials are all fake: one client per region and service serves every task.
        return shared_client(region, service)

    backends.list_of_moto_modules = lambda: iter(modules)
    DomainDispatcherApplication.get_backend_for_host = get_backend_for_host  # type: ignore[method-assign,assignment]
    setattr(lambda_eval_utils, _CLIENT_FACTORY, boto_client_for)
    ExecutionWorker._get_evaluation_entrypoint = _evaluation_entrypoint  # type: ignore[method-assign,assignment]

    def restore() -> None:
        backends.list_of_moto_modules = original_modules
        DomainDispatcherApplication.get_backend_for_host = original_lookup  # type: ignore[method-assign]
        setattr(lambda_eval_utils, _CLIENT_FACTORY, original_client)
        ExecutionWorker._get_evaluation_entrypoint = original_entrypoint  # type: ignore[method-assign]

    return restore
