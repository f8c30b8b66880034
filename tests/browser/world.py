"""The dashboard's test world: the API app over in-memory fakes (tests.support.api), served by uvicorn on a free
loopback port, seeded through the API itself (accounts, clusters, audit) and through the planner's store format
(1,000 recommendations across sweeps, as the sweep writes them)."""

from __future__ import annotations

import socket
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cloudoptim.optimization.records import RECOMMENDATION_TTL_SECONDS, Recommendation, Sweep
from cloudoptim.optimization.state import update_state
from cloudoptim.optimization.sweeps import sweep_id
from localmode.api import LocalApiServer
from tests.support.api import ApiWorld, api_world

TENANT = "acme"
CLUSTERS = ("prod-eu", "batch-eu")
KINDS = ("consolidation", "node_rightsizing", "workload_rightsizing", "spot")
RECOMMENDATIONS = 1000
SWEEPS_PER_CLUSTER = 4
HOUR = 3600
PATCH = (
    "spec:\n  template:\n    spec:\n      containers:\n      - name: api\n"
    "        resources:\n          requests:\n            cpu: 500m\n"
)


@dataclass
class Served:
    world: ApiWorld
    server: LocalApiServer
    url: str

    def token(self, role: str) -> str:
        return self.world.issuer.token(TENANT, role)

    def api(self, path: str, role: str = "admin") -> Any:
        answer = self.world.client.get(path, headers=self.world.headers(TENANT, role))
        assert answer.status_code == 200, answer.text
        return answer.json()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _onboard(world: ApiWorld) -> None:
    admin = world.headers(TENANT, "admin")
    account = {"aws_account_id": "111122223333", "regions": ["eu-west-1"],
               "launch_template_ids": ["lt-0abc12345678def90"]}  # fmt: skip
    assert world.client.post("/v1/accounts", json=account, headers=admin).status_code == 201
    for name in CLUSTERS:
        body = {"account_id": "111122223333", "name": name, "region": "eu-west-1"}
        assert world.client.post("/v1/clusters", json=body, headers=admin).status_code == 201
    for serial in range(30):  # enough audit entries for two pages of 25
        settings = world.client.get("/v1/settings", headers=admin)
        headers = {**admin, "If-Match": settings.headers["ETag"]}
        answer = world.client.put("/v1/settings/safe-mode", json={"enabled": serial % 2 == 0}, headers=headers)
        assert answer.status_code == 200, answer.text


def _recommendations(world: ApiWorld) -> None:
    """Sweeps an hour apart per cluster; the recommendations spread over them, savings all different."""
    documents, start = world.tenancy.documents, int(world.clock.now) - SWEEPS_PER_CLUSTER * HOUR
    per_sweep = RECOMMENDATIONS // (len(CLUSTERS) * SWEEPS_PER_CLUSTER)
    serial = 0
    for c, cluster in enumerate(CLUSTERS):
        for s in range(SWEEPS_PER_CLUSTER):
            at, cost = start + s * HOUR, 40.0 + 10 * c - 2.5 * s
            sweep, ids = sweep_id(cluster, at), []
            for i in range(per_sweep):
                serial += 1
                kind = KINDS[serial % len(KINDS)]
                saving = round(0.0125 + serial * 0.00037, 6)
                recommendation = Recommendation(
                    cluster=cluster, kind=kind, title=f"{kind.replace('_', ' ')} #{serial}",
                    current=f"{2 + i % 5} nodes",
                    recommended=f"{1 + i % 3} nodes", projected_savings_per_hour=saving, cost_before_per_hour=1.5,
                    reasons=[f"saves ${saving}/h", "pods fit on fewer nodes"], sweep_id=sweep,
                    discovery_run=f"{cluster}.run.{s}", expires_at=int(world.clock.now) + RECOMMENDATION_TTL_SECONDS,
                    patch=PATCH if kind == "workload_rightsizing" else None,
                )  # fmt: skip
                ids.append(f"{sweep}.{i + 1:03d}")
                documents.create(TENANT, "recommendation", ids[-1], recommendation.model_dump(), at)
            done = Sweep(cluster=cluster, status="planned", started_at=at, finished_at=at + 60, recommendations=ids,
                         current_cost_per_hour=cost, projected_savings_per_hour=0.0)  # fmt: skip
            documents.create(TENANT, "sweep", sweep, done.model_dump(), at)
            update_state(documents, TENANT, cluster, at, last_sweep=sweep, current_cost_per_hour=cost)


def serve(state: Path) -> Served:
    world = api_world(state)
    _onboard(world)
    _recommendations(world)
    server = LocalApiServer(world.app, free_port())
    return Served(world, server, server.start())
