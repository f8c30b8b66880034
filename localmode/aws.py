"""The local AWS: an in-process moto server with Step Functions executing ASL and Lambda run in-process.

A server (not `mock_aws`) so the official clients, pynamodb and the Step Functions interpreter all reach
the same backends over `AWS_ENDPOINT_URL`, from any thread. One local AWS per process: moto's backends,
config and the patched classes are process-wide.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import boto3
from botocore.config import Config
from moto.awslambda.models import LambdaFunction
from moto.core.config import default_user_config
from moto.moto_server.threaded_moto_server import ThreadedMotoServer

from localmode import environ, event_targets, moto_sfn_tasks, moto_speedups, moto_threads, transport
from localmode.lambda_runner import BeforeHook, InvocationJournal, make_invoke_patch

ACCOUNT_ID = "123456789012"  # moto's default account
FAKE_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
# Local-only knobs every function gets on top of its deployed configuration: no X-Ray daemon here, and
# quieter logs so a thousand-event drill is not bound by log formatting.
LOCAL_OVERRIDES = {"POWERTOOLS_TRACE_DISABLED": "true", "POWERTOOLS_DEV": "false"}
MOTO_CONFIG: dict[str, Any] = {"stepfunctions": {"execute_state_machine": True}, "lambda": {"use_docker": True}}


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


@dataclass
class LocalAws:
    """Start, use and stop the emulator. `client("sqs")` gives a boto3 client bound to it."""

    region: str = "eu-west-1"
    host: str = "127.0.0.1"
    port: int = 0
    log_level: str = "WARNING"
    extra_env: dict[str, str] = field(default_factory=dict)  # e.g. POWERTOOLS_METRICS_DISABLED for the drill
    in_process_transport: bool = True  # in-process callers skip HTTP (see transport.py)
    journal: InvocationJournal = field(default_factory=InvocationJournal)
    tap: event_targets.DeliveryTap = field(default_factory=event_targets.DeliveryTap)
    before_invoke: BeforeHook | None = None  # fault injection (localmode.faults), None normally
    _server: ThreadedMotoServer | None = None
    _restore: list[Callable[[], None]] = field(default_factory=list)
    _clients: dict[str, Any] = field(default_factory=dict)
    _clients_lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def endpoint_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> str:
        environ.install()
        self.port = self.port or free_port(self.host)
        self._set_process_env({"MOTO_PORT": str(self.port), "AWS_DEFAULT_REGION": self.region, **FAKE_CREDENTIALS})
        self._patch_config()
        self._patch_lambda()
        self._restore.append(event_targets.install(self.tap))
        self._restore.append(moto_speedups.install())
        self._restore.append(moto_threads.install())
        self._restore.append(moto_sfn_tasks.install())
        if self.in_process_transport:
            self._restore.append(transport.install(self.host, self.port))
        # One access-log line per request would drown the drill's output.
        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        self._server = ThreadedMotoServer(ip_address=self.host, port=self.port, verbose=False)
        self._server.start()
        return self.endpoint_url

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None
        self._clients.clear()
        while self._restore:
            self._restore.pop()()

    def function_environment(self, deployed: Mapping[str, str]) -> dict[str, str]:
        """What a function sees: region, fake credentials, the endpoint, its deployed variables."""
        return {
            "AWS_REGION": self.region,
            "AWS_DEFAULT_REGION": self.region,
            **FAKE_CREDENTIALS,
            "POWERTOOLS_LOG_LEVEL": self.log_level,
            **deployed,
            "AWS_ENDPOINT_URL": self.endpoint_url,
            **LOCAL_OVERRIDES,
            **self.extra_env,
        }

    def client(self, service: str) -> Any:
        """A shared client per service (boto3 clients are thread-safe; building one costs milliseconds)."""
        with self._clients_lock:
            if service not in self._clients:
                self._clients[service] = self._new_client(service)
            return self._clients[service]

    def _new_client(self, service: str) -> Any:
        return boto3.session.Session().client(
            service,
            region_name=self.region,
            endpoint_url=self.endpoint_url,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
            config=Config(retries={"max_attempts": 2}, max_pool_connections=64),
        )

    def _set_process_env(self, values: Mapping[str, str]) -> None:
        previous = {key: os.environ.get(key) for key in values}
        os.environ.update(values)

        def restore() -> None:
            for key, value in previous.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value

        self._restore.append(restore)

    def _patch_config(self) -> None:
        config: dict[str, Any] = default_user_config  # type: ignore[assignment]
        saved = {key: dict(config.get(key, {})) for key in MOTO_CONFIG}
        for key, value in MOTO_CONFIG.items():
            config[key] = {**saved[key], **value}

        def restore() -> None:
            for key, value in saved.items():
                config[key] = value

        self._restore.append(restore)

    def _patch_lambda(self) -> None:
        original = LambdaFunction._invoke_lambda
        LambdaFunction._invoke_lambda = make_invoke_patch(  # type: ignore[method-assign,assignment]
            self.function_environment, self.journal, lambda: self.before_invoke
        )

        def restore() -> None:
            LambdaFunction._invoke_lambda = original  # type: ignore[method-assign]

        self._restore.append(restore)
