"""The Lambda layers: our code (`CloudOptimRuntime`) and one layer per dependency lock (`CloudOptimDeps<Name>`)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from cdk.constructs._cfn import name_logical_id
from cdk.manifest import DEPS_LAYER_DESCRIPTIONS, DEPS_LAYERS

RUNTIME = lambda_.Runtime.PYTHON_3_12
ARCHITECTURE = lambda_.Architecture.X86_64


class Layers(Construct):
    """Every layer for python3.12 on x86_64, built from folders prepared by cdk.bundling."""

    def __init__(
        self, scope: Construct, construct_id: str, *, runtime_folder: Path, deps_folders: Mapping[str, Path]
    ) -> None:
        super().__init__(scope, construct_id)
        self.runtime = _layer(self, "CloudOptimRuntime", runtime_folder, "cloudoptim package and engines")
        self.deps = {
            name: _layer(self, f"CloudOptimDeps{name.capitalize()}", deps_folders[name], DEPS_LAYER_DESCRIPTIONS[name])
            for name in DEPS_LAYERS
        }

    def for_function(self, deps: tuple[str, ...]) -> list[lambda_.ILayerVersion]:
        """A function's layers: its dependency layers in manifest order, then our code."""
        chosen: list[lambda_.ILayerVersion] = [self.deps[name] for name in DEPS_LAYERS if name in deps]
        return [*chosen, self.runtime]


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
