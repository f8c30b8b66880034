"""Request and response bodies of the model registry's admin routes (platform operators only). Times are ISO-8601
UTC strings."""

from __future__ import annotations

import base64
import binascii

from pydantic import BaseModel, ConfigDict, Field

from cloudoptim.api.schemas import iso
from cloudoptim.errors import FieldError
from cloudoptim.models.ports import CheckResult, ModelRecord, RegistryEvent, RegistryState

# A model is a LightGBM text model and a small JSON (the shipped one: 0.7 MB). The bound keeps the base64 body
# (4/3 of it) under Lambda's 6 MB synchronous payload, which is below API Gateway's 10 MB.
MAX_UPLOAD_BYTES = 4 * 1024 * 1024
_MAX_BASE64 = MAX_UPLOAD_BYTES * 4 // 3 + 4


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ModelUploadIn(_In):
    """The artifact's files, each base64-encoded (the bytes are checksummed, so they travel exactly)."""

    name: str = Field(max_length=47, examples=["eu-west-1-2022q1"], description="lowercase letters, digits, '.', '-'")
    files: dict[str, str] = Field(
        max_length=8,
        examples=[{"model.txt": "dHJlZQo=", "metadata.json": "e30K"}],
        description="file name -> base64 content: model.txt (LightGBM text) and metadata.json, nothing else",
    )

    def decoded(self) -> dict[str, bytes]:
        """The files' bytes; FieldError naming the file that is not base64 or the size over the bound."""
        files: dict[str, bytes] = {}
        for name, text in self.files.items():
            if len(text) > _MAX_BASE64:
                raise FieldError(f"files.{name}", f"over the {MAX_UPLOAD_BYTES // 1024 // 1024} MiB upload bound")
            try:
                files[name] = base64.b64decode(text, validate=True)
            except (binascii.Error, ValueError):
                raise FieldError(f"files.{name}", "not base64") from None
        if sum(len(body) for body in files.values()) > MAX_UPLOAD_BYTES:
            raise FieldError("files", f"the files together are over the {MAX_UPLOAD_BYTES // 1024 // 1024} MiB bound")
        return files


class ShadowIn(_In):
    model_id: str | None = Field(max_length=80, description="the validated candidate to shadow; null stops shadowing")


class ModelOut(BaseModel):
    id: str
    name: str
    status: str
    sha256: str
    region: str
    trained_until: str
    uploaded_at: str | None
    uploaded_by: str
    checks: list[CheckResult]
    reason: str = Field(description="why it was rejected")
    evaluation: str = Field(description="a retraining's comparison with the active model on the newest window")
    active: bool
    shadow: bool

    @classmethod
    def of(cls, record: ModelRecord, state: RegistryState) -> ModelOut:
        return cls(
            id=record.id, name=record.name, status=record.status.value, sha256=record.sha256, region=record.region,
            trained_until=record.trained_until, uploaded_at=iso(record.uploaded_at), uploaded_by=record.uploaded_by,
            checks=list(record.checks), reason=record.reason, evaluation=record.evaluation,
            active=state.active == record.id, shadow=state.shadow == record.id,
        )  # fmt: skip


class EventOut(BaseModel):
    at: str | None
    actor: str
    action: str
    model_id: str

    @classmethod
    def of(cls, event: RegistryEvent) -> EventOut:
        return cls(at=iso(event.at), actor=event.actor, action=event.action, model_id=event.model_id)


class RegistryOut(BaseModel):
    active: str = Field(description='the model id choices use, or "heuristic"')
    shadow: str | None
    rollback_to: str | None = Field(description='what a rollback would restore ("heuristic": none), null: nothing')
    version: int
    models: list[ModelOut]
    events: list[EventOut] = Field(description="the latest changes, newest last")

    @classmethod
    def of(cls, state: RegistryState) -> RegistryOut:
        rollback_to = (state.previous[-1] or "heuristic") if state.previous else None
        models = sorted(state.models.values(), key=lambda r: (r.uploaded_at, r.id), reverse=True)
        return cls(
            active=state.active_id, shadow=state.shadow, rollback_to=rollback_to, version=state.version,
            models=[ModelOut.of(r, state) for r in models], events=[EventOut.of(e) for e in state.events],
        )  # fmt: skip


class ValidationOut(BaseModel):
    model_id: str
    execution: str = Field(description='"started", or "duplicate" when this model\'s validation was started before')
