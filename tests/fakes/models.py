"""In-memory model registry storage: the ports of cloudoptim.models, with the version check and fault injection
(`conflicts`: how many saves lose to another writer before one wins)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from cloudoptim.errors import NotFoundError, RegistryConflictError
from cloudoptim.models.ports import Interruption, RegistryState, ShadowEntry


@dataclass
class FakeArtifacts:
    objects: dict[str, dict[str, bytes]] = field(default_factory=dict)
    puts: int = 0

    def put(self, model_id: str, files: Mapping[str, bytes]) -> None:
        self.puts += 1
        self.objects[model_id] = dict(files)

    def get(self, model_id: str) -> dict[str, bytes]:
        if model_id not in self.objects:
            raise NotFoundError(f"model {model_id} has no artifact")
        return dict(self.objects[model_id])


@dataclass
class FakeRegistryStore:
    state: RegistryState = field(default_factory=RegistryState)
    conflicts: int = 0
    saves: int = 0
    loads: int = 0

    def load(self) -> RegistryState:
        self.loads += 1
        return self.state

    def save(self, state: RegistryState, expected_version: int) -> None:
        if self.conflicts:
            self.conflicts -= 1
            self.state = self.state.model_copy(update={"version": self.state.version + 1})  # another writer won
            raise RegistryConflictError("lost the race")
        if self.state.version != expected_version:
            raise RegistryConflictError(f"stored version {self.state.version}, expected {expected_version}")
        self.saves += 1
        self.state = state


@dataclass
class FakeShadowLog:
    stored: dict[str, list[ShadowEntry]] = field(default_factory=dict)

    def record(self, entry: ShadowEntry) -> None:
        self.stored.setdefault(entry.candidate, []).append(entry)

    def entries(self, candidate: str) -> list[ShadowEntry]:
        return list(self.stored.get(candidate, []))


@dataclass
class FakeValidations:
    """`Validations`: records the models whose validation was started; a second start is a duplicate."""

    started: list[str] = field(default_factory=list)

    def start(self, model_id: str) -> str:
        if model_id in self.started:
            return "duplicate"
        self.started.append(model_id)
        return "started"


@dataclass
class FakeInterruptions:
    """`InterruptionHistory` over a list of (region, record)."""

    recorded: list[tuple[str, Interruption]] = field(default_factory=list)

    def interruptions(self, region: str, now: int) -> list[Interruption]:
        return [record for where, record in self.recorded if where == region]
