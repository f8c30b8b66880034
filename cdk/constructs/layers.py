"""The two Lambda layers: our code (`CloudOptimRuntime`) and third-party packages (`CloudOptimDeps`)."""

from __future__ import annotations

from pathlib import Path

from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from cdk.constructs._cfn import name_logical_id

RUNTIME = lambda_.Runtime.PYTHON_3_12
ARCHITECTURE = lambda_.Architecture.X86_64


class Layers(Construct):
    """Both layers for python3.12 on x86_64, built from folders prepared by cdk.bundling."""

    def __init__(self, scope: Construct, construct_id: str, *, runtime_folder: Path, deps_folder: Path) -> None:
        super().__init__(scope, construct_id)
        self.runtime = _layer(self, "CloudOptimRuntime", runtime_folder, "cloudoptim package and engines")
        self.deps = _layer(
            self, "CloudOptimDeps", deps_folder, "powertools, pynamodb, kubernetes, pydantic, numpy (no boto3)"
        )

    @property
    def all(self) -> list[lambda_.ILayerVersion]:
        return [self.deps, self.runtime]


def _layer(scope: Construct, name: str, folder: Path, description: str) -> lambda_.LayerVersion:
    layer = lambda_.LayerVersion(
        scope,
        name,
        code=lambda_.Code.from_asset(str(folder)),
        compatible_runtimes=[RUNTIME],
        compatible_architectures=[ARCHITECTURE],
        description=description,
    )
    name_logical_id(layer, name)
    return layer
