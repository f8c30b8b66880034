"""The artifact contract: a good model loads and scores; anything else is refused with one clear line."""

from __future__ import annotations

import json
import pickle
import subprocess
import sys
from pathlib import Path

import lightgbm as lgb
import numpy as np
import pytest

from ml.artifact import METADATA_FILE, MODEL_FILE, ModelArtifactError, ModelMetadata, SplitInfo, save_artifact
from ml.contract import CONTRACT_VERSION, FEATURE_NAMES
from ml.inference import load_model

ROOT = Path(__file__).resolve().parents[2]


def tiny_model(directory: Path) -> Path:
    """A few trees on random features: enough to exercise the contract, in milliseconds."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(400, len(FEATURE_NAMES)))
    y = (x[:, 4] + rng.normal(scale=0.5, size=400) > 1).astype(float)
    data = lgb.Dataset(x, y, feature_name=list(FEATURE_NAMES))
    booster = lgb.train({"objective": "binary", "verbose": -1, "num_threads": 1}, data, num_boost_round=5)
    part = {"auc": 0.9, "precision": 0.5, "recall": 0.5, "f1": 0.5}
    metadata = ModelMetadata(
        contract_version=CONTRACT_VERSION,
        feature_names=list(FEATURE_NAMES),
        threshold=0.3,
        region="eu-west-1",
        trained_until="2022-02-01T00:00:00Z",
        target={"rise": 0.03, "horizon_hours": 12},
        split=SplitInfo(train=("a", "b"), validation=("b", "c"), test=("c", "d")),
        samples={"train": {"n": 400, "positives": int(y.sum())}},
        metrics={"test": part},
        baselines={"recent_volatility": part},
        baseline_thresholds={"advisor_bucket": 4, "recent_volatility": 0.1, "family_stress": 0.9},
        params={},
        lightgbm_version=lgb.__version__,
        sources={},
        model_sha256="",
    )
    return save_artifact(directory, booster.model_to_string(), metadata)


def rewrite_metadata(directory: Path, **changes: object) -> None:
    path = directory / METADATA_FILE
    document = json.loads(path.read_text())
    document.update(changes)
    path.write_text(json.dumps(document))


def test_a_saved_model_loads_and_scores_in_contract_order(tmp_path: Path) -> None:
    model = load_model(tiny_model(tmp_path / "m"))
    x = np.zeros((3, len(FEATURE_NAMES)))
    x[:, 4] = [-2.0, 0.0, 3.0]
    scores = model.predict(x)
    assert scores.shape == (3,) and np.all((scores >= 0) & (scores <= 1))
    assert scores[2] > scores[0]
    assert model.metadata.threshold == 0.3


def test_wrong_feature_order_is_refused(tmp_path: Path) -> None:
    directory = tiny_model(tmp_path / "m")
    swapped = list(FEATURE_NAMES)
    swapped[0], swapped[1] = swapped[1], swapped[0]
    rewrite_metadata(directory, feature_names=swapped)
    with pytest.raises(ModelArtifactError, match="another order"):
        load_model(directory)


def test_a_model_text_with_other_features_is_refused(tmp_path: Path) -> None:
    directory = tiny_model(tmp_path / "m")
    text = (directory / MODEL_FILE).read_text().replace("price_position_7d", "price_position_30d")
    tampered = tiny_model(tmp_path / "n")
    (tampered / MODEL_FILE).write_text(text)
    import hashlib

    rewrite_metadata(tampered, model_sha256=hashlib.sha256(text.encode()).hexdigest())
    with pytest.raises(ModelArtifactError, match="features differ"):
        load_model(tampered)


def test_another_contract_version_is_refused(tmp_path: Path) -> None:
    directory = tiny_model(tmp_path / "m")
    rewrite_metadata(directory, contract_version=CONTRACT_VERSION + 1)
    with pytest.raises(ModelArtifactError, match="contract version"):
        load_model(directory)


@pytest.mark.parametrize("missing", [MODEL_FILE, METADATA_FILE])
def test_a_missing_file_is_named(tmp_path: Path, missing: str) -> None:
    directory = tiny_model(tmp_path / "m")
    (directory / missing).unlink()
    with pytest.raises(ModelArtifactError, match=f"missing {missing}"):
        load_model(directory)


def test_a_missing_directory_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ModelArtifactError, match="no such model directory"):
        load_model(tmp_path / "absent")


def test_pickles_are_refused_whatever_their_name(tmp_path: Path) -> None:
    directory = tiny_model(tmp_path / "m")
    (directory / "model.pkl").write_bytes(pickle.dumps({"not": "a model"}))
    with pytest.raises(ModelArtifactError, match="pickled"):
        load_model(directory)
    other = tiny_model(tmp_path / "n")
    (other / MODEL_FILE).write_bytes(pickle.dumps({"not": "a model"}))
    with pytest.raises(ModelArtifactError, match="is a pickle"):
        load_model(other)


def test_an_edited_model_fails_its_checksum(tmp_path: Path) -> None:
    directory = tiny_model(tmp_path / "m")
    with (directory / MODEL_FILE).open("a") as handle:
        handle.write("\n")
    with pytest.raises(ModelArtifactError, match="sha256"):
        load_model(directory)


def test_malformed_metadata_names_the_field(tmp_path: Path) -> None:
    directory = tiny_model(tmp_path / "m")
    rewrite_metadata(directory, threshold=3)
    with pytest.raises(ModelArtifactError, match="threshold"):
        load_model(directory)


def test_inference_runs_without_pandas(tmp_path: Path) -> None:
    directory = tiny_model(tmp_path / "m")
    script = (
        "import sys; sys.modules['pandas'] = None\n"  # any `import pandas` now fails
        "from pathlib import Path\nimport numpy as np\n"
        "from ml.inference import load_model\n"
        f"m = load_model(Path({str(directory)!r}))\n"
        "print(m.predict(np.zeros((2, len(m.metadata.feature_names)))).shape)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env={"PYTHONPATH": f"{ROOT}:{ROOT / 'layers'}"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "(2,)"


def test_the_shipped_model_meets_this_contract() -> None:
    shipped = ROOT / "layers" / "cloudoptim" / "data" / "models" / "eu-west-1-2022q1"
    model = load_model(shipped)  # fails here when the features change without a retrain
    assert model.metadata.region == "eu-west-1" and model.booster.num_feature() == len(FEATURE_NAMES)
