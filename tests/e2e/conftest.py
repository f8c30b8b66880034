"""One local stack for the e2e package (synthesizing the CDK app and starting moto cost ~20 s), torn down
before other test packages run: its moto patches and process environment must not leak into their mocks."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from localmode.stack import LocalSettings, LocalStack

# Modules that pick nodes of the seeded cluster by their shape (an On-Demand node of the Auto Scaling group whose
# pods fit elsewhere) run first, on the stack as it starts. The drills before them used to leave Spot reclaims,
# replacements and slow pods in flight, so which nodes qualified depended on the machine's speed (a CI flake).
FIRST = ("test_local_execution_workflows.py", "test_local_executions.py")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Reorders this package's items among themselves (the hook sees the whole session's items)."""
    here = [i for i, item in enumerate(items) if item.path.parent.name == "e2e"]
    mine = [items[i] for i in here]
    mine.sort(key=lambda item: FIRST.index(item.path.name) if item.path.name in FIRST else len(FIRST))  # stable
    for i, item in zip(here, mine, strict=True):
        items[i] = item


@pytest.fixture(scope="package")
def local_stack() -> Iterator[LocalStack]:
    stack = LocalStack(LocalSettings(metrics=False))
    stack.start()
    try:
        yield stack
    finally:
        stack.stop()
