"""Whose CPU is it: the product's code, or the in-process emulators answering it.

Local mode runs every Lambda handler in the same process, often the same thread, as moto: a handler's AWS call goes
through botocore (request building, signing, response parsing: product work a real Lambda pays too) and then into
moto's dispatcher and backends (the emulation of AWS: no Lambda pays for it). The in-process transport wraps the
second part in `emulating()`, which adds that thread's CPU time to a per-thread counter; the Lambda runner reads
the counter around each handler, so an invocation's product CPU is its thread CPU minus the emulation inside it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

_state = threading.local()


def emulator_seconds() -> float:
    """This thread's CPU seconds spent inside `emulating()` since the counter was last swapped."""
    return float(getattr(_state, "seconds", 0.0))


def swap(seconds: float) -> float:
    """Set this thread's counter, return what it held (the runner zeroes it per invocation, then restores it)."""
    previous = emulator_seconds()
    _state.seconds = seconds
    return previous


@contextmanager
def emulating() -> Iterator[None]:
    """Count this block's thread CPU as emulation. A Lambda invoked inside it (SQS poller -> Invoke) swaps the counter
    for its own run, and the whole block, nested handler included, stays the caller's emulation."""
    started = time.thread_time()
    try:
        yield
    finally:
        _state.seconds = emulator_seconds() + (time.thread_time() - started)
