"""Kubernetes resource quantities ("250m", "1.5", "512Mi", "1G", "1e3") as plain numbers.

CPU becomes millicores (int) and memory bytes (int), the units the engines use everywhere, so a request read
from JSON compares exactly with one computed by an engine. What Kubernetes itself refuses is refused here with
the field named: non-finite or negative numbers, and magnitudes above 2^63-1 (resource.Quantity's limit).
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from cloudoptim.errors import InputFileError

_BINARY = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40, "Pi": 2**50, "Ei": 2**60}
_DECIMAL = {"n": Decimal("1e-9"), "u": Decimal("1e-6"), "m": Decimal("1e-3"), "": Decimal(1), "k": Decimal("1e3")}
_DECIMAL |= {"M": Decimal("1e6"), "G": Decimal("1e9"), "T": Decimal("1e12"), "P": Decimal("1e15"), "E": Decimal("1e18")}
_QUANTITY_RE = re.compile(r"^\s*(?P<number>[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?)(?P<suffix>[a-zA-Z]{0,2})\s*$")
# "No quantity may represent a number greater than 2^63-1 in magnitude" (k8s.io/apimachinery resource.Quantity).
LARGEST = 2**63 - 1


def parse_quantity(value: object, what: str) -> Decimal:
    """The quantity as a Decimal in base units; `what` names the object and field in the error.

    >>> parse_quantity("1.5Gi", "memory"), parse_quantity("250m", "cpu")
    (Decimal('1610612736.0'), Decimal('0.250'))
    """
    number, suffix = _number(value, what)
    if suffix in _BINARY:
        amount = number * _BINARY[suffix]
    elif suffix in _DECIMAL:
        amount = number * _DECIMAL[suffix]
    else:
        raise InputFileError(f"{what}: {value!r} has an unknown suffix {suffix!r}")
    if amount < 0:
        raise InputFileError(f"{what}: {value!r} is negative")
    if amount > LARGEST:
        raise InputFileError(f"{what}: {value!r} is larger than Kubernetes allows (2^63-1)")
    return amount


def _number(value: object, what: str) -> tuple[Decimal, str]:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise InputFileError(f"{what}: {value!r} is not a Kubernetes quantity")
    if isinstance(value, int | float):
        number, suffix = Decimal(str(value)), ""  # JSON numbers (and YAML's .inf/.nan) arrive as floats
    else:
        match = _QUANTITY_RE.match(value)
        if match is None:
            raise InputFileError(f"{what}: {value!r} is not a Kubernetes quantity")
        try:
            number, suffix = Decimal(match.group("number")), match.group("suffix")
        except InvalidOperation:  # pragma: no cover - the regex admits only valid decimals
            raise InputFileError(f"{what}: {value!r} is not a Kubernetes quantity") from None
    if not number.is_finite():
        raise InputFileError(f"{what}: {value!r} is not a finite number")
    return number, suffix


def cpu_millicores(value: object, what: str = "cpu") -> int:
    """CPU quantity in millicores, rounded up (Kubernetes rounds sub-milli requests up as well)."""
    millis = int((parse_quantity(value, what) * 1000).to_integral_value(rounding="ROUND_CEILING"))
    if millis > LARGEST:  # the scheduler counts CPU in millicores, in an int64
        raise InputFileError(f"{what}: {value!r} is larger than Kubernetes allows (2^63-1 millicores)")
    return millis


def memory_bytes(value: object, what: str = "memory") -> int:
    """Memory (or any byte-sized) quantity in bytes, rounded up."""
    return int(parse_quantity(value, what).to_integral_value(rounding="ROUND_CEILING"))


def count(value: object, what: str) -> int:
    """A countable resource (pods, nvidia.com/gpu, vpc.amazonaws.com/efa) as an int.

    Extended resources must be whole numbers in Kubernetes; a fraction is refused rather than silently rounded.
    """
    amount = parse_quantity(value, what)
    if amount != amount.to_integral_value():
        raise InputFileError(f"{what}: {value!r} is not a whole number (extended resources are counted whole)")
    return int(amount)
