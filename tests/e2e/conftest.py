"""One local stack per test session: synthesizing the CDK app and starting moto cost ~30 s together."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from cloudoptim.local.stack import LocalSettings, LocalStack


@pytest.fixture(scope="session")
def local_stack() -> Iterator[LocalStack]:
    stack = LocalStack(LocalSettings(metrics=False))
    stack.start()
    try:
        yield stack
    finally:
        stack.stop()
