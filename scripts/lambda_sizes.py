"""Unzipped size of each Lambda (its code + both layers) against Lambda's 250 MB limit, after a real bundle.

    .venv/bin/python scripts/lambda_sizes.py [--build-dir build] [--top 10] [--import-with python3.12]

Runs the pip install of the deps layer (python3.12, manylinux x86_64 wheels) the first time; exit 1 if a
function is over the limit. `--import-with` also imports every handler with that interpreter from exactly the
bundled folders (plus boto3/botocore/s3transfer from this venv, as the Lambda runtime provides them): exit 1 if
one fails.
"""

from __future__ import annotations

import argparse
import importlib
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "layers")]

from cdk.bundling import PROVIDED_BY_RUNTIME, AssetFolders, bundle  # noqa: E402

LIMIT_BYTES = 250 * 1024 * 1024  # Lambda: function code and all its layers, unzipped
MB = 1024 * 1024


def tree_size(folder: Path) -> int:
    return sum((Path(dirpath) / name).stat().st_size for dirpath, _, names in os.walk(folder) for name in names)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build-dir", type=Path, default=ROOT / "build")
    parser.add_argument("--top", type=int, default=10, help="largest packages of the deps layer to list")
    parser.add_argument("--import-with", help="a python3.12 interpreter to import each handler with")
    args = parser.parse_args(argv)
    assets = bundle(args.build_dir)
    runtime, deps = tree_size(assets.runtime_layer), tree_size(assets.deps_layer)
    print(f"{'function':<20}{'code KB':>9}{'runtime MB':>12}{'deps MB':>9}{'total MB':>10}{'of 250 MB':>11}")
    over = False
    for name, folder in assets.functions.items():
        code = tree_size(folder)
        total = code + runtime + deps
        over |= total > LIMIT_BYTES
        row = f"{name:<20}{code / 1024:>9.1f}{runtime / MB:>12.2f}{deps / MB:>9.1f}{total / MB:>10.1f}"
        print(f"{row}{100 * total / LIMIT_BYTES:>10.0f}%")
    site = assets.deps_layer / "python"
    packages = sorted(
        ((tree_size(p) if p.is_dir() else p.stat().st_size, p.name) for p in site.iterdir()), reverse=True
    )
    print(f"\nlargest entries of the deps layer ({deps / MB:.1f} MB):")
    for size, name in packages[: args.top]:
        print(f"  {name:<40}{size / MB:>8.1f} MB")
    broken = import_failures(args.import_with, assets) if args.import_with else []
    return 1 if over or broken else 0


def import_failures(python: str, assets: AssetFolders) -> list[str]:
    """Import each handler in a clean interpreter whose path is the Lambda's: code, layers, runtime SDK."""
    failures = []
    with tempfile.TemporaryDirectory() as runtime_sdk:
        for module in PROVIDED_BY_RUNTIME:
            source = Path(str(importlib.import_module(module).__file__)).parent
            (Path(runtime_sdk) / source.name).symlink_to(source)
        print(f"\nimporting each handler with {python}:")
        for name, folder in assets.functions.items():
            paths = [str(folder), str(assets.deps_layer / "python"), str(assets.runtime_layer / "python"), runtime_sdk]
            code = f"import sys; sys.path[:0] = {paths!r}; import functions.{name}.handler as h; h.handler.__call__"
            # -B: no __pycache__ written into the asset folders
            result = subprocess.run([python, "-I", "-B", "-c", code], capture_output=True, text=True, check=False)
            last = result.stderr.strip().splitlines()[-1:] or ["ok"]
            print(f"  {name:<20}{'ok' if result.returncode == 0 else last[0]}")
            if result.returncode != 0:
                failures.append(name)
    return failures


if __name__ == "__main__":
    raise SystemExit(main())
