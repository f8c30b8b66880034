"""Per-invocation environment overlays on `os.environ`, so concurrent in-process Lambdas see their own env.

Real Lambda gives every function its own process environment. In-process, several handlers run at once in
moto's request threads, so a global `os.environ.update(...)` would leak one function's settings into
another, and a global lock would deadlock a Lambda that calls another Lambda through the server. Instead
the one `os.environ` object (which botocore and others capture by reference at import time) gets a class
that consults a context-local overlay first. Outside an overlay it behaves exactly as before.

>>> with environment_overlay({"TABLE": "t1"}):
...     os.environ["TABLE"]
't1'
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

# None as a value marks a variable deleted inside the overlay.
_OVERLAY: ContextVar[dict[str, str | None] | None] = ContextVar("cloudoptim_env_overlay", default=None)


class _OverlaidEnviron(os._Environ):  # type: ignore[type-arg]
    """`os._Environ` whose reads and writes go to the current overlay while one is active."""

    def __getitem__(self, key: str) -> str:
        overlay = _OVERLAY.get()
        if overlay is not None and key in overlay:
            value = overlay[key]
            if value is None:
                raise KeyError(key)
            return value
        return str(super().__getitem__(key))

    def __setitem__(self, key: str, value: str) -> None:
        overlay = _OVERLAY.get()
        if overlay is None:
            super().__setitem__(key, value)
        else:
            overlay[key] = str(value)

    def __delitem__(self, key: str) -> None:
        overlay = _OVERLAY.get()
        if overlay is None:
            super().__delitem__(key)
            return
        if key not in self:
            raise KeyError(key)
        overlay[key] = None

    def __iter__(self) -> Iterator[str]:
        overlay = _OVERLAY.get()
        base = list(super().__iter__())
        if overlay is None:
            yield from base
            return
        yield from (key for key in base if key not in overlay)
        yield from (key for key, value in overlay.items() if value is not None)

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def copy(self) -> dict[str, str]:
        return {key: self[key] for key in self}


def install() -> None:
    """Idempotent: switch the process's `os.environ` object to the overlay-aware class."""
    if not isinstance(os.environ, _OverlaidEnviron):
        os.environ.__class__ = _OverlaidEnviron


@contextmanager
def environment_overlay(variables: Mapping[str, str]) -> Iterator[None]:
    """Run a block with `variables` layered over the process environment, visible to this context only."""
    install()
    token = _OVERLAY.set(dict(variables))
    try:
        yield
    finally:
        _OVERLAY.reset(token)


def current_overlay() -> dict[str, Any] | None:
    """The active overlay (for diagnostics and tests)."""
    overlay = _OVERLAY.get()
    return None if overlay is None else dict(overlay)
