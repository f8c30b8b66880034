"""ISO-8601 <-> epoch seconds at the CLI edge (engines only see integers)."""

from __future__ import annotations

import time
from datetime import UTC, datetime

from cloudoptim.errors import InvalidArgumentError


def parse_time(text: str, option: str) -> int:
    """Parse ISO-8601; a time without an offset is taken as UTC."""
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        raise InvalidArgumentError(f"{option}: {text!r} is not an ISO-8601 time (e.g. 2022-03-01T12:00:00Z)") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp())


def iso(epoch: int) -> str:
    return datetime.fromtimestamp(epoch, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def wall_clock() -> int:
    """Now, for commands that say how old their data is (engines never read a clock)."""
    return int(time.time())
