"""CDK entry point: `cdk synth` runs `.venv/bin/python -m cdk.app` from the repo root (see cdk.json).

Context: `bundle` (default true: pip-installs the deps layer; false: offline stand-in), `customer_accounts`,
`local_endpoint_url`, `dry_run`, `wait_seconds`, `drain_and_replace_asl`, `build_dir` (cdk/settings.py).
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Mapping
from typing import Any

import aws_cdk as cdk

from cdk.bundling import AssetFolders, bundle, stage_sources
from cdk.settings import AppSettings
from cdk.stacks.saas import SaasStack


def build_app(context: Mapping[str, Any] | None = None, outdir: str | None = None) -> tuple[cdk.App, SaasStack]:
    """The app with its one stack; context given here wins over cdk.json's (which the CLI passes in)."""
    app = cdk.App(context=dict(context or {}), outdir=outdir)
    settings = AppSettings.from_context(_context_of(app))
    assets = _bundle(settings) if settings.bundle else stage_sources(settings.build_dir)
    stack = SaasStack(
        app,
        settings.stack_name,
        settings=settings,
        assets=assets,
        env=cdk.Environment(account=os.environ.get("CDK_DEFAULT_ACCOUNT"), region=os.environ.get("CDK_DEFAULT_REGION")),
    )
    return app, stack


def _bundle(settings: AppSettings) -> AssetFolders:
    compiler = shutil.which(settings.bytecode_python)
    if compiler is None:
        print(f"cdk.app: {settings.bytecode_python} not found: shipping sources without bytecode", file=sys.stderr)
    return bundle(settings.build_dir, compile_with=compiler)


def _context_of(app: cdk.App) -> dict[str, Any]:
    values = {key: app.node.try_get_context(key) for key in AppSettings.model_fields}
    return {key: value for key, value in values.items() if value is not None}


def main() -> None:
    app, _ = build_app()
    app.synth()


if __name__ == "__main__":
    main()
