"""A throwaway handler for the local runtime tests: echoes its event and the environment it was given."""

from __future__ import annotations

import os
from typing import Any


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    if event.get("fail"):
        raise ValueError(str(event["fail"]))
    return {"event": event, "table": os.environ.get("TABLE"), "function": context.function_name}
