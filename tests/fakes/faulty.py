"""What every in-memory fake shares: `fail(operation, error, times)` makes the next calls of an operation raise."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class _Faulty:
    _errors: dict[str, list[Exception]] = field(default_factory=dict, kw_only=True)

    def fail(self, operation: str, error: Exception, times: int = 1) -> None:
        if not callable(getattr(self, operation, None)):
            raise ValueError(f"{type(self).__name__} has no operation {operation!r}")
        self._errors.setdefault(operation, []).extend([error] * times)

    def _check(self, operation: str) -> None:
        pending = self._errors.get(operation)
        if pending:
            raise pending.pop(0)
