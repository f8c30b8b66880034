"""The simple rules the model must beat: each turns one feature into a risk score (higher is riskier)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ml.features import COLUMN
from ml.pricebook import Floats


def _advisor(x: Floats) -> Floats:
    # Unknown bucket is scored as 3 (15-20%), as the heuristic assumes to be safe.
    return np.nan_to_num(x[:, COLUMN["advisor_bucket"]], nan=3.0)


def _volatility(x: Floats) -> Floats:
    return x[:, COLUMN["range_7d"]]  # the weekly move the rank gate rejects at 10%


def _family(x: Floats) -> Floats:
    return np.nan_to_num(x[:, COLUMN["family_position_max"]], nan=0.0)


BASELINES: dict[str, Callable[[Floats], Floats]] = {
    "advisor_bucket": _advisor,
    "recent_volatility": _volatility,
    "family_stress": _family,
}
