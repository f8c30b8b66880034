"""Run the project's Lambda handlers in-process under moto (no Docker here).

Every way moto invokes a function ends in `LambdaFunction._invoke_lambda(self, event)`; `in_process_lambdas()`
replaces it with a call of `functions/<name>/handler.handler`. Errors come back as
`{"errorType", "errorMessage"}` so a state machine's `Retry`/`Catch` match on the exception class name.
The functions' environment is the test's own (set it with monkeypatch before invoking): all the pipeline's
functions share the same settings, and the Step Functions interpreter invokes from threads, where swapping
`os.environ` per call would race.
"""

from __future__ import annotations

import importlib
import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from unittest import mock

from moto.awslambda.models import LambdaFunction


@dataclass
class Invocations:
    """What ran: (handler path, event, result, errored), in completion order."""

    calls: list[tuple[str, Any, Any, bool]] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, handler: str, event: Any, result: Any, errored: bool) -> None:
        with self._lock:
            self.calls.append((handler, event, result, errored))

    def of(self, name: str) -> list[tuple[Any, Any, bool]]:
        """Calls of `functions/<name>/handler.handler`."""
        return [(e, r, err) for h, e, r, err in self.calls if h.split("/")[1] == name]


def resolve(handler_path: str) -> Callable[[Any, Any], Any]:
    """`functions/ingest/handler.handler` -> the function object."""
    module_path, _, attribute = handler_path.rpartition(".")
    return getattr(importlib.import_module(module_path.replace("/", ".")), attribute)  # type: ignore[no-any-return]


def run_handler(handler_path: str, event: Any) -> tuple[Any, bool]:
    try:
        return resolve(handler_path)(event, None), False
    except Exception as exc:  # the Lambda runtime reports any exception the same way
        return {"errorType": type(exc).__name__, "errorMessage": str(exc)}, True


@contextmanager
def in_process_lambdas() -> Iterator[Invocations]:
    """Patch moto's Lambda invoke for the duration; yields the record of invocations."""
    record = Invocations()

    def invoke(self: LambdaFunction, event: Any = None) -> tuple[str, bool, str]:
        # The Invoke API hands over the body as text, the Step Functions interpreter as a parsed object.
        payload = json.loads(event) if isinstance(event, str | bytes) else (event or {})
        result, errored = run_handler(str(self.handler), payload)
        record.add(str(self.handler), payload, result, errored)
        return json.dumps(result), errored, ""

    with mock.patch.object(LambdaFunction, "_invoke_lambda", invoke):
        yield record
