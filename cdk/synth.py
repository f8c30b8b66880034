"""Synthesize the SaaS stack in-process (no CDK CLI, no Docker) and hand back the template as a dict.

Used by tests/infrastructure and by local mode, which deploys the template into moto:

    from cdk.synth import synth_saas_template
    template = synth_saas_template()                        # offline, stand-in deps layer
    template = synth_saas_template(context={"local_endpoint_url": "http://localhost:5000"})
    synthesis = synth_saas(outdir="cdk.out")                # template + the asset folders to zip/upload
"""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cdk.settings import REPO_ROOT

CDK_JSON = REPO_ROOT / "cdk.json"


@dataclass(frozen=True)
class SaasSynthesis:
    """The synthesized template and, per file asset, the folder CDK staged (zip it and upload to S3)."""

    template: dict[str, Any]
    stack_name: str
    outdir: Path
    asset_manifest: dict[str, Any]

    def file_assets(self) -> dict[str, Path]:
        """Asset hash -> staged folder in the cloud assembly (`S3Key` is `<hash>.zip` in the template)."""
        files = self.asset_manifest.get("files", {})
        return {key: self.outdir / entry["source"]["path"] for key, entry in files.items()}


def synth_saas(
    *, bundle: bool = False, outdir: str | None = None, context: Mapping[str, Any] | None = None
) -> SaasSynthesis:
    """Synthesize into `outdir` (a fresh temporary folder if None, left in place for the caller's assets)."""
    from cdk.app import build_app  # imports aws_cdk, which starts node (~3 s): only when asked to synth

    merged = {**_cdk_json_context(), **dict(context or {}), "bundle": bundle}
    target = outdir or tempfile.mkdtemp(prefix="cdk.out-")
    app, stack = build_app(merged, outdir=target)
    assembly = app.synth()
    artifact = assembly.get_stack_artifact(stack.artifact_id)
    template_path = Path(assembly.directory) / artifact.template_file
    manifest_path = Path(assembly.directory) / f"{stack.artifact_id}.assets.json"
    manifest = json.loads(manifest_path.read_text()) if manifest_path.is_file() else {}
    return SaasSynthesis(
        template=json.loads(template_path.read_text()),
        stack_name=stack.stack_name,
        outdir=Path(assembly.directory),
        asset_manifest=manifest,
    )


def synth_saas_template(
    *, bundle: bool = False, outdir: str | None = None, context: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """The SaaS stack's CloudFormation template as a dict; a temporary outdir is removed afterwards."""
    synthesis = synth_saas(bundle=bundle, outdir=outdir, context=context)
    if outdir is None:
        shutil.rmtree(synthesis.outdir, ignore_errors=True)
    return synthesis.template


def _cdk_json_context() -> dict[str, Any]:
    if not CDK_JSON.is_file():
        return {}
    context = json.loads(CDK_JSON.read_text()).get("context", {})
    return dict(context) if isinstance(context, dict) else {}
