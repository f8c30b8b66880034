"""Registry use cases: upload, record a validation verdict, activate, roll back, choose a shadow candidate.

Every change is a read-modify-write of the one registry document under a version check, retried when another
writer won; each change is idempotent (a retried upload of the same bytes, or a repeated activation, changes
nothing), so a Lambda or Step Functions retry never loses or doubles anything.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from cloudoptim.errors import InvalidArgumentError, ModelRefusedError, NotFoundError, RegistryConflictError
from cloudoptim.models.ports import (
    ArtifactStore,
    CheckResult,
    ModelRecord,
    ModelStatus,
    RegistryEvent,
    RegistryState,
    RegistryStore,
)
from ml.artifact import METADATA_FILE, MODEL_FILE, ModelArtifactError, check_files

NAME = re.compile(r"^[a-z0-9][a-z0-9.-]{0,46}$")
ACCEPTED_FILES = (MODEL_FILE, METADATA_FILE)
MAX_ATTEMPTS = 5
MAX_EVENTS = 50  # the document stays far below DynamoDB's 400 KB item limit


@dataclass(frozen=True)
class RegistryDeps:
    artifacts: ArtifactStore
    store: RegistryStore


def model_id(name: str, files: Mapping[str, bytes]) -> str:
    """Content-addressed: the same upload retried gets the same id.

    >>> model_id("eu-west-1-2022q1", {"model.txt": b"tree"})
    'eu-west-1-2022q1-dc9c5edb8b2d'
    """
    return f"{name}-{hashlib.sha256(files[MODEL_FILE]).hexdigest()[:12]}"


def upload(deps: RegistryDeps, name: str, files: Mapping[str, bytes], actor: str, now: int) -> ModelRecord:
    """Store an artifact as an unvalidated candidate; ModelRefusedError (one clear line) for anything else."""
    if not NAME.match(name):
        raise InvalidArgumentError(f"model name {name!r}: 1-47 lowercase letters, digits, '.' or '-'")
    others = sorted(set(files) - set(ACCEPTED_FILES))
    if others:
        pickled = [n for n in others if n.endswith((".pkl", ".pickle", ".joblib"))]
        what = "pickles are never loaded" if pickled else "nothing else is read"
        raise ModelRefusedError(
            f"refusing {', '.join(others)}: a model is {MODEL_FILE} (LightGBM text) and {METADATA_FILE} only; {what}"
        )
    try:
        _, metadata = check_files(files, f"upload {name}")
    except ModelArtifactError as exc:
        raise ModelRefusedError(str(exc)) from None
    identifier = model_id(name, files)
    deps.artifacts.put(identifier, files)  # before the record: a record never names missing files
    record = ModelRecord(
        id=identifier,
        name=name,
        sha256=metadata.model_sha256,
        region=metadata.region,
        trained_until=metadata.trained_until,
        uploaded_at=now,
        uploaded_by=actor,
    )

    def add(state: RegistryState) -> RegistryState | None:
        if identifier in state.models:
            return None
        return state.model_copy(update={"models": {**state.models, identifier: record}})

    return change(deps.store, add).models[identifier]


def record_checks(deps: RegistryDeps, identifier: str, checks: tuple[CheckResult, ...]) -> ModelRecord:
    """The validation state machine's verdict: validated when every check passed, else rejected with the reason."""
    failed = [c for c in checks if not c.passed]
    status = ModelStatus.REJECTED if failed else ModelStatus.VALIDATED
    reason = "; ".join(f"{c.name}: {c.detail}" for c in failed)

    def verdict(state: RegistryState) -> RegistryState | None:
        record = _record(state, identifier)
        updated = record.model_copy(update={"status": status, "checks": checks, "reason": reason})
        return None if updated == record else state.model_copy(update={"models": {**state.models, identifier: updated}})

    return change(deps.store, verdict).models[identifier]


def note_evaluation(deps: RegistryDeps, identifier: str, evaluation: str) -> ModelRecord:
    """Keep a retraining's comparison on the model's record (whatever validation later decides)."""

    def note(state: RegistryState) -> RegistryState | None:
        record = _record(state, identifier)
        if record.evaluation == evaluation:
            return None
        updated = record.model_copy(update={"evaluation": evaluation})
        return state.model_copy(update={"models": {**state.models, identifier: updated}})

    return change(deps.store, note).models[identifier]


def activate(deps: RegistryDeps, identifier: str, actor: str, now: int, action: str = "activate") -> RegistryState:
    def switch(state: RegistryState) -> RegistryState | None:
        _usable(state, identifier)
        if state.active == identifier:
            return None
        event = RegistryEvent(at=now, actor=actor, action=action, model_id=identifier)
        return state.model_copy(
            update={
                "active": identifier,
                "previous": (*state.previous, state.active),
                "shadow": None if state.shadow == identifier else state.shadow,
                "events": _events(state, event),
            }
        )

    return change(deps.store, switch)


def rollback(deps: RegistryDeps, actor: str, now: int) -> RegistryState:
    """The model active before the current one (or the heuristic, when there was none)."""

    def back(state: RegistryState) -> RegistryState | None:
        if not state.previous:
            raise InvalidArgumentError("nothing to roll back to: no model was active before this one")
        restored = state.previous[-1]
        event = RegistryEvent(at=now, actor=actor, action="rollback", model_id=restored or "heuristic")
        return state.model_copy(
            update={"active": restored, "previous": state.previous[:-1], "events": _events(state, event)}
        )

    return change(deps.store, back)


def set_shadow(deps: RegistryDeps, identifier: str | None, actor: str, now: int) -> RegistryState:
    """A validated candidate scored beside the active model on live choices (None stops shadowing)."""

    def shadow(state: RegistryState) -> RegistryState | None:
        if identifier is not None:
            _usable(state, identifier)
            if identifier == state.active:
                raise InvalidArgumentError(f"{identifier} is the active model; shadow a candidate")
        if state.shadow == identifier:
            return None
        event = RegistryEvent(at=now, actor=actor, action="shadow", model_id=identifier or "none")
        return state.model_copy(update={"shadow": identifier, "events": _events(state, event)})

    return change(deps.store, shadow)


def change(store: RegistryStore, edit: Callable[[RegistryState], RegistryState | None]) -> RegistryState:
    """Apply `edit` under the version check, re-reading when another writer won; None from `edit`: no change."""
    for _ in range(MAX_ATTEMPTS):
        state = store.load()
        edited = edit(state)
        if edited is None:
            return state
        updated = edited.model_copy(update={"version": state.version + 1})
        try:
            store.save(updated, state.version)
        except RegistryConflictError:
            continue
        return updated
    raise RegistryConflictError(f"the model registry kept changing during {MAX_ATTEMPTS} attempts; retry")


def _record(state: RegistryState, identifier: str) -> ModelRecord:
    record = state.models.get(identifier)
    if record is None:
        raise NotFoundError(f"no model {identifier} in the registry")
    return record


def _usable(state: RegistryState, identifier: str) -> None:
    record = _record(state, identifier)
    if record.status is not ModelStatus.VALIDATED:
        detail = f" ({record.reason})" if record.reason else ""
        raise InvalidArgumentError(f"model {identifier} is {record.status.value}{detail}: only validated models score")


def _events(state: RegistryState, event: RegistryEvent) -> tuple[RegistryEvent, ...]:
    return (*state.events, event)[-MAX_EVENTS:]
