"""Write cloudoptim/data/model-golden-set.json and stamp the shipped model's golden scores into its metadata.

    .venv/bin/python scripts/build_golden_set.py

The golden set is 64 feature rows built (ml.features) from the shipped eu-west-1 Spot prices at four moments of
their last day: real inputs, so a model scoring them differently in Lambda's LightGBM than where it was trained
is caught by the registry's validation (cloudoptim.models.validation).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "layers")]

from cloudoptim.adapters.day_zero import load_day_zero, shipped_data_dir  # noqa: E402
from cloudoptim.models.validation import GOLDEN_FILE, golden_rows  # noqa: E402
from ml.artifact import METADATA_FILE  # noqa: E402
from ml.features import feature_tensor, pool_inputs, priced  # noqa: E402
from ml.inference import load_model  # noqa: E402
from ml.pricebook import PriceBook  # noqa: E402

REGION = "eu-west-1"
ROWS = 64
SHIPPED_MODEL = shipped_data_dir() / "models" / "eu-west-1-2022q1"


def main() -> int:
    data = load_day_zero()
    history = data.price_history(REGION)
    assert history is not None and history.last_time() is not None
    last = int(history.last_time() or 0)
    book = PriceBook(pool_inputs(history, data.on_demand, data.advisor))
    tensor = feature_tensor(book, np.asarray([last - h * 6 * 3600 for h in range(4)], dtype=np.int64))
    rows = tensor[priced(tensor)]
    chosen = rows[np.linspace(0, len(rows) - 1, ROWS).astype(int)]
    features = [[None if np.isnan(v) else round(float(v), 9) for v in row] for row in chosen]
    (shipped_data_dir() / GOLDEN_FILE).write_text(json.dumps({"region": REGION, "features": features}) + "\n")
    model = load_model(SHIPPED_MODEL)
    scores = model.predict(golden_rows(shipped_data_dir() / GOLDEN_FILE)).tolist()
    metadata = json.loads((SHIPPED_MODEL / METADATA_FILE).read_text())
    metadata["golden_scores"] = [round(s, 12) for s in scores]
    (SHIPPED_MODEL / METADATA_FILE).write_text(json.dumps(metadata, indent=2) + "\n")
    print(f"{len(features)} golden rows; shipped model scores {min(scores):.4f}..{max(scores):.4f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
