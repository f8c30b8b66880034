"""One synthesized SaaS app for the whole tier: importing aws_cdk starts node (~3 s) and synth takes seconds."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

from cdk.settings import DRAIN_AND_REPLACE_ASL

# The real ASL is written in parallel with the stack; until it exists a stand-in with the same placeholders
# keeps the wiring tests meaningful.
STAND_IN_ASL = Path(__file__).parent / "fixtures" / "drain_and_replace.standin.asl.json"
ASL = DRAIN_AND_REPLACE_ASL if DRAIN_AND_REPLACE_ASL.is_file() else STAND_IN_ASL


@dataclass(frozen=True)
class SynthesizedSaas:
    stack: Any  # aws_cdk.Stack, kept for cdk-nag (it walks the construct tree)
    template: dict[str, Any]
    asl: Path

    def resources(self, kind: str) -> dict[str, dict[str, Any]]:
        return {lid: r for lid, r in self.template["Resources"].items() if r["Type"] == kind}

    def properties(self, logical_id: str) -> dict[str, Any]:
        props: dict[str, Any] = self.template["Resources"][logical_id]["Properties"]
        return props


@pytest.fixture(scope="session")
def saas(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SynthesizedSaas]:
    from cdk.app import build_app

    outdir = tmp_path_factory.mktemp("cdk.out")
    context = {"bundle": False, "drain_and_replace_asl": str(ASL), "build_dir": str(tmp_path_factory.mktemp("build"))}
    app, stack = build_app(context, outdir=str(outdir))
    assembly = app.synth()
    template_file = Path(assembly.directory) / assembly.get_stack_artifact(stack.artifact_id).template_file
    yield SynthesizedSaas(stack=stack, template=json.loads(template_file.read_text()), asl=ASL)
