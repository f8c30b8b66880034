"""One lock around moto's in-memory DynamoDB, which is not safe for the concurrency local mode runs it at.

moto's TransactWriteItems deep-copies every table it touches (to roll back on a failed condition) while other
threads put items into the same table's dicts: "dictionary changed size during iteration", an error real DynamoDB
never gives. The audit log writes in transactions from concurrent RecordOutcome invocations, so local mode
serialises moto's item operations (each takes a millisecond or less). Behaviour is otherwise unchanged.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from typing import Any

from moto.dynamodb.models import DynamoDBBackend

ITEM_OPERATIONS = (
    "put_item",
    "get_item",
    "query",
    "scan",
    "update_item",
    "delete_item",
    "transact_write_items",
    "batch_get_item",
    "batch_write_item",
)


def install() -> Callable[[], None]:
    """Patch the backend's item operations; returns the undo."""
    lock = threading.RLock()
    originals = {name: getattr(DynamoDBBackend, name) for name in ITEM_OPERATIONS}

    def locked(method: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(method)
        def call(*args: Any, **kwargs: Any) -> Any:
            with lock:
                return method(*args, **kwargs)

        return call

    for name, method in originals.items():
        setattr(DynamoDBBackend, name, locked(method))

    def restore() -> None:
        for name, method in originals.items():
            setattr(DynamoDBBackend, name, method)

    return restore
