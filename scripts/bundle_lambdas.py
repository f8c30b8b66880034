"""Build the Lambda assets under build/ without Docker (cdk/bundling.py); `cdk synth` does the same.

    .venv/bin/python scripts/bundle_lambdas.py [--build-dir build] [--no-deps]

--no-deps copies the code only (offline) into content-addressed folders under build/staging/.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "layers")]

from cdk.bundling import AssetFolders, bundle, stage_sources  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build-dir", type=Path, default=ROOT / "build")
    parser.add_argument("--no-deps", action="store_true", help="offline: code only, deps layer is a stand-in")
    args = parser.parse_args(argv)
    assets: AssetFolders = stage_sources(args.build_dir) if args.no_deps else bundle(args.build_dir)
    print(f"runtime layer  {assets.runtime_layer}")
    for name, folder in assets.deps_layers.items():
        print(f"deps layer     {name:<8}{folder}")
    for name, folder in assets.functions.items():
        print(f"{name:<14} {folder}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
