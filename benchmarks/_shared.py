"""Paths to the real data beside the repository, and a clear exit when it is absent."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "data"
EU_WEST_1_90D = SHARED / "spot-price-history" / "eu-west-1" / "eu-west-1_90d_2021-12-13_to_2022-03-13.tsv.xz"
ADVISOR_2021 = SHARED / "spot-advisor" / "spot-advisor-data_2021-02-10_spotinfo.json"
ADVISOR_2025 = SHARED / "spot-advisor" / "spot-advisor-data_2025-06-28_spotinfo.json"

T = TypeVar("T")


def require(*paths: Path) -> None:
    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        print(f"skipped: shared data not found: {', '.join(missing)}")
        sys.exit(0)


def timed(fn: Callable[[], T]) -> tuple[T, float]:
    start = time.perf_counter()
    value = fn()
    return value, time.perf_counter() - start
