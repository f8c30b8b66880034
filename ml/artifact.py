"""The model artifact: LightGBM's own text model plus a metadata JSON. Never pickle.

    model.txt      LightGBM text model (Booster.model_to_string)
    metadata.json  contract version, feature names in order, threshold, trained_until, metrics, sha256 of model.txt

`load_artifact` refuses anything that does not match this module's contract, with one clear line.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ml.contract import CONTRACT_VERSION, FEATURE_NAMES

MODEL_FILE = "model.txt"
METADATA_FILE = "metadata.json"
_PICKLE_SUFFIXES = (".pkl", ".pickle", ".joblib")
_PICKLE_MAGIC = b"\x80"  # protocol 2+ pickles start with PROTO


class ModelArtifactError(ValueError):
    """A model directory that cannot be used: missing files, another contract, tampered or pickled.

    ml imports nothing of the runtime; the command line and the runtime map this error where they catch theirs.
    """


def iso(epoch: int) -> str:
    return datetime.fromtimestamp(epoch, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def epoch(text: str) -> int:
    return int(datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp())


class SplitInfo(BaseModel):
    """[start, end) of each part, ISO-8601 UTC."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    train: tuple[str, str]
    validation: tuple[str, str]
    test: tuple[str, str]

    def epochs(self, part: str) -> tuple[int, int]:
        start, end = getattr(self, part)
        return epoch(start), epoch(end)


class ModelMetadata(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    contract_version: int
    feature_names: list[str]
    threshold: float = Field(ge=0, le=1)
    region: str
    trained_until: str
    target: dict[str, float]
    split: SplitInfo
    samples: dict[str, dict[str, int]]
    metrics: dict[str, dict[str, float | None]]
    baselines: dict[str, dict[str, float | None]]
    baseline_thresholds: dict[str, float]
    params: dict[str, Any]
    lightgbm_version: str
    sources: dict[str, str]
    model_sha256: str
    # The model's scores for the shipped golden set (cloudoptim/data/model-golden-set.json), written by whoever
    # trained it: the registry re-scores the set in Lambda's LightGBM and refuses a model that disagrees.
    golden_scores: list[float] | None = None


def save_artifact(directory: Path, model_text: str, metadata: ModelMetadata) -> Path:
    """Write model.txt and metadata.json (with the model's sha256) into `directory`."""
    directory.mkdir(parents=True, exist_ok=True)
    for name, data in artifact_files(model_text, metadata).items():
        (directory / name).write_bytes(data)
    return directory


def artifact_files(model_text: str, metadata: ModelMetadata) -> dict[str, bytes]:
    """The artifact's two files as bytes (what the registry stores), metadata stamped with the model's sha256."""
    data = model_text.encode()
    stamped = metadata.model_copy(update={"model_sha256": hashlib.sha256(data).hexdigest()})
    return {MODEL_FILE: data, METADATA_FILE: (json.dumps(stamped.model_dump(mode="json"), indent=2) + "\n").encode()}


def read_artifact(directory: Path) -> tuple[str, ModelMetadata]:
    """The model text and metadata of a directory, after checking them against the contract."""
    if not directory.is_dir():
        raise ModelArtifactError(f"{directory}: no such model directory")
    files = {p.name: p.read_bytes() for p in sorted(directory.iterdir()) if p.is_file()}
    return check_files(files, str(directory))


def check_files(files: Mapping[str, bytes], where: str) -> tuple[str, ModelMetadata]:
    """The one set of artifact rules, for a directory or an upload: file names, no pickle, contract, checksum.

    >>> check_files({"model.pkl": b"\\x80\\x04."}, "upload")
    Traceback (most recent call last):
    ...
    ml.artifact.ModelArtifactError: upload: refusing pickled files (model.pkl); use LightGBM text models
    """
    pickled = sorted(name for name in files if Path(name).suffix in _PICKLE_SUFFIXES)
    if pickled:
        raise ModelArtifactError(f"{where}: refusing pickled files ({', '.join(pickled)}); use LightGBM text models")
    if files.get(MODEL_FILE, b"").startswith(_PICKLE_MAGIC):
        raise ModelArtifactError(f"{where}/{MODEL_FILE}: is a pickle, not a LightGBM text model; refusing it")
    for name in (MODEL_FILE, METADATA_FILE):
        if name not in files:
            raise ModelArtifactError(f"{where}: missing {name}")
    raw = files[MODEL_FILE]
    metadata = _metadata(files[METADATA_FILE], f"{where}/{METADATA_FILE}")
    check_contract(where, metadata)
    if hashlib.sha256(raw).hexdigest() != metadata.model_sha256:
        raise ModelArtifactError(f"{where}: {MODEL_FILE} does not match the sha256 in {METADATA_FILE}")
    text = raw.decode("utf-8", errors="replace")
    check_model_features(where, text)
    return text, metadata


def _metadata(raw: bytes, path: str) -> ModelMetadata:
    try:
        return ModelMetadata.model_validate(json.loads(raw.decode()))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ModelArtifactError(f"{path}: not valid JSON ({exc})") from None
    except ValidationError as exc:
        problem = exc.errors()[0]
        where = ".".join(str(p) for p in problem["loc"]) or "document"
        raise ModelArtifactError(f"{path}: {where}: {problem['msg']}") from None


def check_contract(directory: str, metadata: ModelMetadata) -> None:
    if metadata.contract_version != CONTRACT_VERSION:
        raise ModelArtifactError(
            f"{directory}: model contract version {metadata.contract_version}, this CloudOptim reads version "
            f"{CONTRACT_VERSION}; retrain with `cloudoptim ml train`"
        )
    if metadata.feature_names != list(FEATURE_NAMES):
        raise ModelArtifactError(
            f"{directory}: feature list differs from contract {CONTRACT_VERSION}: {_diff(metadata)}"
        )


def check_model_features(directory: str, text: str) -> None:
    line = next((row for row in text.splitlines()[:50] if row.startswith("feature_names=")), None)
    if line is None:
        raise ModelArtifactError(f"{directory}/{MODEL_FILE}: not a LightGBM text model (no feature_names line)")
    if line.removeprefix("feature_names=").split() != list(FEATURE_NAMES):
        raise ModelArtifactError(f"{directory}/{MODEL_FILE}: the model's features differ from its metadata's")


def _diff(metadata: ModelMetadata) -> str:
    expected = list(FEATURE_NAMES)
    if sorted(metadata.feature_names) == sorted(expected):
        first = next(i for i, (a, b) in enumerate(zip(metadata.feature_names, expected, strict=True)) if a != b)
        return f"same features in another order (position {first}: {metadata.feature_names[first]!r})"
    missing = sorted(set(expected) - set(metadata.feature_names))
    extra = sorted(set(metadata.feature_names) - set(expected))
    return f"missing {missing or 'none'}, unexpected {extra or 'none'}"
