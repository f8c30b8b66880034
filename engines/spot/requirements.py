"""Node requirements (S1 filters): what an instance type must offer to host the workload."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from engines.spot.model import InstanceType


class Requirements(BaseModel):
    """Minimum shape of a node plus allow/block lists.

    >>> Requirements(vcpus=4, memory_gib=16, arch="arm64").mismatch(
    ...     InstanceType("m5.xlarge", 4, 16.0, "x86_64"))
    'architecture x86_64, arm64 required'
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    vcpus: float = Field(gt=0, description="minimum vCPUs per node")
    memory_gib: float = Field(gt=0, description="minimum memory per node, GiB")
    arch: Literal["x86_64", "arm64"] | None = None
    gpus: int = Field(default=0, ge=0, description="GPUs per node; 0 leaves GPU types out")
    max_vcpus: float | None = Field(default=None, gt=0)
    max_memory_gib: float | None = Field(default=None, gt=0)
    allowed_families: frozenset[str] = frozenset()
    blocked_families: frozenset[str] = frozenset()
    allowed_types: frozenset[str] = frozenset()
    blocked_types: frozenset[str] = frozenset()
    min_generation: int | None = Field(default=None, ge=1)
    allow_burstable: bool = True
    allow_previous_generation: bool = False
    allow_bare_metal: bool = False

    @model_validator(mode="after")
    def _bounds_consistent(self) -> Requirements:
        if self.max_vcpus is not None and self.max_vcpus < self.vcpus:
            raise ValueError(f"max_vcpus {self.max_vcpus} is below vcpus {self.vcpus}")
        if self.max_memory_gib is not None and self.max_memory_gib < self.memory_gib:
            raise ValueError(f"max_memory_gib {self.max_memory_gib} is below memory_gib {self.memory_gib}")
        return self

    def mismatch(self, instance: InstanceType) -> str | None:
        """Why `instance` does not fit, in plain words, or None when it fits."""
        return self._shape_mismatch(instance) or self._list_mismatch(instance)

    def _shape_mismatch(self, t: InstanceType) -> str | None:
        if t.vcpus < self.vcpus:
            return f"{t.vcpus:g} vCPUs, {self.vcpus:g} required"
        if t.memory_gib < self.memory_gib:
            return f"{t.memory_gib:g} GiB memory, {self.memory_gib:g} GiB required"
        if self.max_vcpus is not None and t.vcpus > self.max_vcpus:
            return f"{t.vcpus:g} vCPUs, at most {self.max_vcpus:g} allowed"
        if self.max_memory_gib is not None and t.memory_gib > self.max_memory_gib:
            return f"{t.memory_gib:g} GiB memory, at most {self.max_memory_gib:g} GiB allowed"
        if self.arch is not None and t.arch != self.arch:
            return f"architecture {t.arch}, {self.arch} required"
        if self.gpus == 0 and t.gpus > 0:
            return f"GPU type ({t.gpus} GPUs) and no GPU was asked for"
        if t.gpus < self.gpus:
            return f"{t.gpus} GPUs, {self.gpus} required"
        return None

    def _list_mismatch(self, t: InstanceType) -> str | None:
        if t.name in self.blocked_types:
            return "instance type is blocked by policy"
        if t.family in self.blocked_families:
            return f"family {t.family} is blocked by policy"
        if self.allowed_types and t.name not in self.allowed_types:
            return "instance type is not in the allowed list"
        if self.allowed_families and t.family not in self.allowed_families:
            return f"family {t.family} is not in the allowed families"
        if self.min_generation is not None and (t.generation or 0) < self.min_generation:
            return f"generation {t.generation} is older than generation {self.min_generation}"
        if not self.allow_previous_generation and not t.current_generation:
            return "previous-generation type (AWS no longer lists it as current)"
        if not self.allow_burstable and t.burstable:
            return "burstable type and burstable types are not allowed"
        if not self.allow_bare_metal and t.bare_metal:
            return "bare-metal type and bare metal is not allowed"
        return None
