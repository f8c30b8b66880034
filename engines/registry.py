"""One registry for variants chosen by name: risk strategies, backtest policies, rightsizing strategies.

A variant is a factory from settings (a mapping, validated by the variant's own model) to the strategy, so the
CLI, the API and the benchmarks build them the same way.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Generic, TypeVar

T = TypeVar("T")
Settings = Mapping[str, Any]


class Registry(Generic[T]):
    """Factories by name; building an unknown name raises KeyError naming the known ones.

    >>> sizes = Registry[int]("size", {"small": lambda settings: settings.get("n", 1)})
    >>> sizes.build("small", {"n": 3}), sizes.names()
    (3, ['small'])
    >>> sizes.build("huge")
    Traceback (most recent call last):
    ...
    KeyError: "unknown size 'huge'; known: small"
    """

    def __init__(self, what: str, factories: Mapping[str, Callable[[Settings], T]] | None = None):
        self._what = what  # what a variant is called in the error message, e.g. "risk strategy"
        self._factories: dict[str, Callable[[Settings], T]] = dict(factories or {})

    def register(self, name: str, factory: Callable[[Settings], T]) -> None:
        """Add a variant (or replace one) under a name the CLI and API can select."""
        self._factories[name] = factory

    def names(self) -> list[str]:
        return sorted(self._factories)

    def build(self, name: str, settings: Settings | None = None) -> T:
        factory = self._factories.get(name)
        if factory is None:
            raise KeyError(f"unknown {self._what} {name!r}; known: {', '.join(self.names())}")
        return factory(settings or {})
