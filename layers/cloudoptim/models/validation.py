"""The checks a model passes before it may score: each runs alone (one Step Functions state each) on the artifact
as stored, reads nothing else but the shipped golden set, and answers pass or fail with the reason.

contract      metadata.json parses and names this CloudOptim's contract version
feature_order the metadata's and the model's own feature lists equal the contract's, in order
checksum      model.txt's sha256 is the one in metadata.json
golden_set    LightGBM here scores the golden set as the trainer recorded (metadata golden_scores), within tolerance
latency       scoring the golden set takes at most the budget (median of several runs)
"""

from __future__ import annotations

import hashlib
import json
import statistics
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from pydantic import ValidationError

from cloudoptim.models.ports import CheckResult
from ml.artifact import (
    METADATA_FILE,
    MODEL_FILE,
    ModelArtifactError,
    ModelMetadata,
    check_contract,
    check_model_features,
)
from ml.contract import CONTRACT_VERSION, FEATURE_NAMES
from ml.inference import model_from_files
from ml.pricebook import Floats

GOLDEN_FILE = "model-golden-set.json"


@dataclass(frozen=True)
class ValidationSettings:
    golden: Floats  # rows x features, contract order
    tolerance: float = 1e-6  # LightGBM's own predictions agree to ~1e-12 across platforms for the same trees
    latency_budget_ms: float = 250.0  # a choice scores every pool of a region, a few hundred rows
    runs: int = 5
    clock: Callable[[], float] = lambda: 0.0  # seconds; the Lambda passes time.perf_counter


def golden_rows(path: Path) -> Floats:
    rows = json.loads(path.read_text())["features"]
    return np.asarray([[np.nan if v is None else v for v in row] for row in rows], dtype=np.float64)


def _metadata(files: Mapping[str, bytes]) -> ModelMetadata:
    return ModelMetadata.model_validate(json.loads(files[METADATA_FILE]))


def contract(files: Mapping[str, bytes], settings: ValidationSettings) -> str:
    metadata = _metadata(files)
    if metadata.contract_version != CONTRACT_VERSION:
        check_contract("artifact", metadata)
    return f"contract version {metadata.contract_version}"


def feature_order(files: Mapping[str, bytes], settings: ValidationSettings) -> str:
    metadata = _metadata(files)
    check_contract("artifact", metadata)
    check_model_features("artifact", files[MODEL_FILE].decode("utf-8", errors="replace"))
    return f"{len(FEATURE_NAMES)} features in contract order"


def checksum(files: Mapping[str, bytes], settings: ValidationSettings) -> str:
    digest = hashlib.sha256(files[MODEL_FILE]).hexdigest()
    if digest != _metadata(files).model_sha256:
        raise ModelArtifactError(f"{MODEL_FILE} sha256 {digest[:12]}... is not the {METADATA_FILE} one")
    return f"sha256 {digest[:12]}... matches"


def golden_set(files: Mapping[str, bytes], settings: ValidationSettings) -> str:
    model = model_from_files(files, "candidate")
    expected = model.metadata.golden_scores
    if expected is None or len(expected) != len(settings.golden):
        raise ModelArtifactError(
            f"metadata golden_scores must hold the model's {len(settings.golden)} scores of the golden set"
        )
    scores = model.predict(settings.golden)
    if not np.all(np.isfinite(scores)) or np.any((scores < 0) | (scores > 1)):
        raise ModelArtifactError("scores outside [0, 1] or not finite")
    worst = float(np.max(np.abs(scores - np.asarray(expected))))
    if worst > settings.tolerance:
        raise ModelArtifactError(f"golden scores differ by up to {worst:.2e} (tolerance {settings.tolerance:g})")
    return f"{len(scores)} golden rows within {settings.tolerance:g} (worst {worst:.1e})"


def latency(files: Mapping[str, bytes], settings: ValidationSettings) -> str:
    model = model_from_files(files, "candidate")
    times = []
    for _ in range(settings.runs):
        start = settings.clock()
        model.predict(settings.golden)
        times.append((settings.clock() - start) * 1000)
    median = statistics.median(times)
    if median > settings.latency_budget_ms:
        raise ModelArtifactError(
            f"scoring {len(settings.golden)} rows takes {median:.1f} ms, budget {settings.latency_budget_ms:g} ms"
        )
    return f"{len(settings.golden)} rows in {median:.1f} ms (budget {settings.latency_budget_ms:g} ms)"


Check = Callable[[Mapping[str, bytes], ValidationSettings], str]
CHECKS: Mapping[str, Check] = {
    "contract": contract,
    "feature_order": feature_order,
    "checksum": checksum,
    "golden_set": golden_set,
    "latency": latency,
}


def run_check(name: str, files: Mapping[str, bytes], settings: ValidationSettings) -> CheckResult:
    """One named check; a failure is a result with its reason, never an exception (the state machine routes it)."""
    if name not in CHECKS:
        raise KeyError(f"unknown check {name!r}; known: {', '.join(CHECKS)}")
    try:
        return CheckResult(name=name, passed=True, detail=CHECKS[name](files, settings))
    except ModelArtifactError as exc:
        return CheckResult(name=name, passed=False, detail=str(exc))
    except (ValidationError, ValueError, KeyError) as exc:
        return CheckResult(name=name, passed=False, detail=f"{type(exc).__name__}: {str(exc).splitlines()[0]}")
