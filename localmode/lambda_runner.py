"""In-process Lambda runtime for moto: every way moto invokes a function ends in `_invoke_lambda`.

moto would start a Docker container there; no Docker runs here, so the patched method imports the
function's handler module (`functions/<name>/handler.handler` -> `functions.<name>.handler:handler`) and
calls it under an environment overlay made of the deployed function configuration, like a warm Lambda.
Every invocation is recorded in a journal so the drill can measure latencies from real timestamps.
"""

from __future__ import annotations

import importlib
import json
import sys
import threading
import time
import traceback
import uuid
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from localmode import cpu as emulator_cpu
from localmode.environ import environment_overlay

Handler = Callable[[Any, Any], Any]
# Called before each invocation's handler with (code name, event, configured timeout seconds); may raise a
# SimulatedFailure (local mode's fault injection: localmode.faults).
BeforeHook = Callable[[str, Any, float], None]


class SimulatedFailure(BaseException):
    """What the Lambda runtime reports when the invocation dies, not when the handler raises.

    A BaseException so that no `except Exception` of the handler (ingest's claim release, powertools' batch
    processor) sees it: a crashed or timed-out process runs no cleanup code.
    """

    error_type = "Runtime.ExitError"


class LambdaCrash(SimulatedFailure):
    """The process exited mid-invocation (out of memory, a segfault, a killed sandbox)."""


class LambdaTimeout(SimulatedFailure):
    """The invocation ran past the function's timeout and was stopped."""

    error_type = "Sandbox.Timedout"


@dataclass(frozen=True)
class Invocation:
    """One finished invocation: what ran (`function` is the code's name, e.g. `ingest`), when (epoch s), how."""

    function: str
    function_name: str
    started: float
    ended: float
    errored: bool
    event: Any
    result: Any
    cpu_seconds: float = 0.0  # this thread's CPU time, moto's in-process work for the handler's calls included
    emulator_seconds: float = 0.0  # of which inside the in-process AWS emulator (localmode.cpu): not product work

    @property
    def product_seconds(self) -> float:
        """The handler's own CPU: its code, the SDKs and clients it calls, their TLS and JSON; not moto's."""
        return max(0.0, self.cpu_seconds - self.emulator_seconds)


@dataclass
class InvocationJournal:
    """Thread-safe record of invocations; listeners see each one as it finishes."""

    _records: list[Invocation] = field(default_factory=list)
    _counts: Counter[str] = field(default_factory=Counter)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    listeners: list[Callable[[Invocation], None]] = field(default_factory=list)

    def add(self, record: Invocation) -> None:
        with self._lock:
            self._records.append(record)
            self._counts[record.function] += 1
        for listener in list(self.listeners):
            listener(record)

    def count(self, function: str) -> int:
        """How many invocations of `function` finished (cheap: for polling loops)."""
        with self._lock:
            return self._counts[function]

    def records(self, function: str | None = None) -> list[Invocation]:
        """Invocations of the code `function` (e.g. `evict_pods`), whatever the deployed function's name."""
        with self._lock:
            return [r for r in self._records if function is None or r.function == function]

    def clear(self) -> None:
        with self._lock:
            self._records.clear()
            self._counts.clear()


@dataclass(frozen=True)
class LambdaContext:
    """The attributes of the Lambda context object that handlers and powertools read."""

    function_name: str
    function_version: str
    invoked_function_arn: str
    memory_limit_in_mb: int
    aws_request_id: str
    deadline: float
    log_group_name: str = ""
    log_stream_name: str = ""

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self.deadline - time.time()) * 1000))


def handler_target(handler_path: str) -> tuple[str, str]:
    """`functions/ingest/handler.handler` -> (`functions.ingest.handler`, `handler`).

    >>> handler_target("functions/ingest/handler.handler")
    ('functions.ingest.handler', 'handler')
    """
    module_path, _, attribute = handler_path.rpartition(".")
    return module_path.replace("/", "."), attribute


def code_name(handler_path: str) -> str:
    """The function's code name: `functions/evict_pods/handler.handler` -> `evict_pods`."""
    module_name, _ = handler_target(handler_path)
    parts = module_name.split(".")
    return parts[-2] if len(parts) >= 2 else parts[0]


def load_handler(handler_path: str) -> Handler:
    module_name, attribute = handler_target(handler_path)
    handler: Handler = getattr(importlib.import_module(module_name), attribute)
    return handler


@dataclass
class HandlerLoader:
    """Loads each handler once per local stack, re-executing a module imported before (by an earlier stack
    or a test): a fresh deploy is a cold start, so composition roots cached at module level never keep the
    table names of another deploy."""

    _loaded: dict[str, Handler] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __call__(self, handler_path: str) -> Handler:
        with self._lock:
            if handler_path not in self._loaded:
                module_name, attribute = handler_target(handler_path)
                fresh = module_name not in sys.modules
                module = importlib.import_module(module_name)
                if not fresh:
                    module = importlib.reload(module)
                self._loaded[handler_path] = getattr(module, attribute)
            return self._loaded[handler_path]


@dataclass
class ColdStarts:
    """Each function's first invocation runs alone. In Lambda every concurrent invocation has a container of its
    own; here they share one module, whose composition root (`functools.cache`) is not safe to race: a burst of
    first calls would each build it (load the shipped prices, the model) while holding the GIL in turn, a cost no
    Lambda pays more than once per container. Later invocations never wait."""

    _warm: set[str] = field(default_factory=set)
    _locks: dict[str, threading.Lock] = field(default_factory=dict)
    _guard: threading.Lock = field(default_factory=threading.Lock)

    def run(self, key: str, call: Callable[[], tuple[str, bool, Any]]) -> tuple[str, bool, Any]:
        if key in self._warm:
            return call()
        with self._guard:
            lock = self._locks.setdefault(key, threading.Lock())
        with lock:
            if key not in self._warm:
                try:
                    return call()
                finally:
                    self._warm.add(key)
        return call()


def run_handler(
    handler_path: str,
    event: Any,
    context: LambdaContext,
    environment: Mapping[str, str],
    loader: Callable[[str], Handler] = load_handler,
) -> tuple[str, bool, Any]:
    """Run one invocation; errors come back as Lambda does: `{"errorType", "errorMessage"}` and errored."""
    with environment_overlay(environment):
        try:
            handler = loader(handler_path)
        except (ImportError, AttributeError) as exc:
            return _error_payload("Runtime.ImportModuleError", f"{handler_path}: {exc}"), True, None
        try:
            result = handler(event, context)
        except SimulatedFailure as failure:
            return _error_payload(failure.error_type, str(failure)), True, None
        except Exception as exc:
            return _error_payload(type(exc).__name__, str(exc) or repr(exc), traceback.format_exc()), True, None
    return json.dumps(result, default=str), False, result


def _error_payload(error_type: str, message: str, trace: str | None = None) -> str:
    body: dict[str, Any] = {"errorType": error_type, "errorMessage": message}
    if trace:
        body["stackTrace"] = trace.splitlines()[-8:]
    return json.dumps(body)


def _decode_event(event: Any) -> Any:
    if isinstance(event, str | bytes):
        try:
            return json.loads(event)
        except ValueError:
            return event
    return {} if event is None else event


EnvironmentFor = Callable[[Mapping[str, str]], Mapping[str, str]]


def make_invoke_patch(
    environment_for: EnvironmentFor,
    journal: InvocationJournal,
    before: Callable[[], BeforeHook | None] = lambda: None,
) -> Callable[[Any, Any], tuple[str, bool, str]]:
    """Build the replacement for `moto.awslambda.models.LambdaFunction._invoke_lambda`.

    `environment_for` turns the deployed function's variables into the invocation's whole overlay
    (adding the endpoint, region and fake credentials of local mode); `before` gives the current hook, if any.
    """

    loader = HandlerLoader()
    cold = ColdStarts()

    def _invoke_lambda(function: Any, event: Any = None) -> tuple[str, bool, str]:
        payload = _decode_event(event)
        deployed = {key: str(value) for key, value in (function.environment_vars or {}).items()}
        environment = {
            **environment_for(deployed),
            "AWS_LAMBDA_FUNCTION_NAME": function.function_name,
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(function.memory_size),
        }
        saved_emulation = emulator_cpu.swap(0.0)
        started, cpu = time.time(), time.thread_time()
        context = LambdaContext(
            function_name=function.function_name,
            function_version=str(function.version),
            invoked_function_arn=function.function_arn,
            memory_limit_in_mb=int(function.memory_size or 128),
            aws_request_id=str(uuid.uuid4()),
            deadline=started + float(function.timeout or 3),
        )
        name = code_name(function.handler)
        hook = before()
        try:
            if hook is not None:
                hook(name, payload, float(function.timeout or 3))
        except SimulatedFailure as failure:
            body, errored, result = _error_payload(failure.error_type, str(failure)), True, None
        else:
            body, errored, result = cold.run(
                function.handler, lambda: run_handler(function.handler, payload, context, environment, loader)
            )
        ended, cpu = time.time(), time.thread_time() - cpu
        emulated = emulator_cpu.swap(saved_emulation)
        journal.add(Invocation(name, function.function_name, started, ended, errored, payload, result, cpu, emulated))
        logs = f"invoked {function.handler} in {int((ended - started) * 1000)} ms" + (" (error)" if errored else "")
        return body, errored, logs

    return _invoke_lambda
