"""The one observability module: powertools Logger, Metrics and Tracer, built on first use (never at import,
so importing a handler reads no environment), and the decorator every Lambda handler wears.

Log with keys (`logger.info("event ignored", extra={...})`), one metric per business event (`count`).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit

SERVICE = "cloudoptim"
NAMESPACE = "CloudOptim"

Handler = Callable[[Any, Any], Any]


@dataclass(frozen=True)
class Observability:
    logger: Logger
    metrics: Metrics
    tracer: Tracer


@functools.cache
def observability() -> Observability:
    metrics = Metrics(namespace=NAMESPACE, service=SERVICE)
    return Observability(Logger(service=SERVICE), metrics, Tracer(service=SERVICE))


def logger() -> Logger:
    return observability().logger


def count(metric: str, value: float = 1) -> None:
    """One business event, e.g. `count("NoticeIgnored")`."""
    observability().metrics.add_metric(name=metric, unit=MetricUnit.Count, value=value)


@dataclass(frozen=True)
class _LocalContext:
    """Stands in for the Lambda context when a handler runs outside Lambda (tests, local mode)."""

    function_name: str = "local"
    function_version: str = "$LATEST"
    invoked_function_arn: str = "arn:aws:lambda:local:000000000000:function:local"
    memory_limit_in_mb: int = 512
    aws_request_id: str = "local"
    log_group_name: str = "local"
    log_stream_name: str = "local"


def instrumented(handler: Handler) -> Handler:
    """Structured logs with the Lambda context, metrics flushed per invocation, a trace segment."""

    @functools.wraps(handler)
    def wrapper(event: Any, context: Any) -> Any:
        obs = observability()
        traced = obs.tracer.capture_lambda_handler(handler)
        wrapped = obs.metrics.log_metrics(obs.logger.inject_lambda_context(traced, clear_state=True))
        return wrapped(event, context if context is not None else _LocalContext())

    return wrapper
