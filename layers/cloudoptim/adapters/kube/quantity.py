"""Kubernetes resource quantities ("250m", "1.5", "512Mi", "1G", "1e3") as plain numbers.

CPU becomes millicores (int) and memory bytes (int), the units the engines use everywhere, so a request read
from JSON compares exactly with one computed by an engine.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from cloudoptim.errors import InputFileError

_BINARY = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50, "Ei": 2**60}
_DECIMAL = {"n": Decimal("1e-9"), "u": Decimal("1e-6"), "m": Decimal("1e-3"), "": Decimal(1), "k": Decimal("1e3")}
_DECIMAL |= {"M": Decimal("1e6"), "G": Decimal("1e9"), "T": Decimal("1e12"), "P": Decimal("1e15"), "E": Decimal("1e18")}
_QUANTITY_RE = re.compile(r"^\s*(?P<number>[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?)(?P<suffix>[a-zA-Z]{0,2})\s*$")


def parse_quantity(value: object, what: str) -> Decimal:
    """The quantity as a Decimal in base units; `what` names the field in the error."""
    if isinstance(value, bool):
        raise InputFileError(f"{what}: {value!r} is not a Kubernetes quantity")
    if isinstance(value, int | float):
        return Decimal(str(value))
    if not isinstance(value, str):
        raise InputFileError(f"{what}: {value!r} is not a Kubernetes quantity")
    match = _QUANTITY_RE.match(value)
    if match is None:
        raise InputFileError(f"{what}: {value!r} is not a Kubernetes quantity")
    suffix = match.group("suffix")
    try:
        number = Decimal(match.group("number"))
    except InvalidOperation as exc:  # pragma: no cover - the regex admits only valid decimals
        raise InputFileError(f"{what}: {value!r} is not a Kubernetes quantity") from exc
    if suffix in _BINARY:
        return number * _BINARY[suffix]
    if suffix in _DECIMAL:
        return number * _DECIMAL[suffix]
    raise InputFileError(f"{what}: {value!r} has an unknown suffix {suffix!r}")


def cpu_millicores(value: object, what: str = "cpu") -> int:
    """CPU quantity in millicores, rounded up (Kubernetes rounds sub-milli requests up as well)."""
    millis = parse_quantity(value, what) * 1000
    if millis < 0:
        raise InputFileError(f"{what}: {value!r} is negative")
    return int(millis.to_integral_value(rounding="ROUND_CEILING"))


def memory_bytes(value: object, what: str = "memory") -> int:
    """Memory quantity in bytes, rounded up."""
    amount = parse_quantity(value, what)
    if amount < 0:
        raise InputFileError(f"{what}: {value!r} is negative")
    return int(amount.to_integral_value(rounding="ROUND_CEILING"))


def count(value: object, what: str) -> int:
    """A countable resource (pods, nvidia.com/gpu) as an int."""
    amount = parse_quantity(value, what)
    if amount < 0:
        raise InputFileError(f"{what}: {value!r} is negative")
    return int(amount.to_integral_value(rounding="ROUND_FLOOR"))
