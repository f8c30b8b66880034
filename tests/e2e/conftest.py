"""One local stack for the e2e package (synthesizing the CDK app and starting moto cost ~20 s), torn down
before other test packages run: its moto patches and process environment must not leak into their mocks."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from localmode.stack import LocalSettings, LocalStack


@pytest.fixture(scope="package")
def local_stack() -> Iterator[LocalStack]:
    stack = LocalStack(LocalSettings(metrics=False))
    stack.start()
    try:
        yield stack
    finally:
        stack.stop()
