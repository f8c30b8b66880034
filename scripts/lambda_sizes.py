"""Unzipped size of each Lambda (its code + both layers) against Lambda's 250 MB limit, after a real bundle.

    .venv/bin/python scripts/lambda_sizes.py [--build-dir build] [--top 10]

Runs the pip install of the deps layer (python3.12, manylinux x86_64 wheels) the first time; exit 1 if a
function is over the limit.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "layers")]

from cdk.bundling import bundle  # noqa: E402

LIMIT_BYTES = 250 * 1024 * 1024  # Lambda: function code and all its layers, unzipped
MB = 1024 * 1024


def tree_size(folder: Path) -> int:
    return sum((Path(dirpath) / name).stat().st_size for dirpath, _, names in os.walk(folder) for name in names)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build-dir", type=Path, default=ROOT / "build")
    parser.add_argument("--top", type=int, default=10, help="largest packages of the deps layer to list")
    args = parser.parse_args(argv)
    assets = bundle(args.build_dir)
    runtime, deps = tree_size(assets.runtime_layer), tree_size(assets.deps_layer)
    print(f"{'function':<20}{'code MB':>9}{'runtime MB':>12}{'deps MB':>9}{'total MB':>10}{'of 250 MB':>11}")
    over = False
    for name, folder in assets.functions.items():
        code = tree_size(folder)
        total = code + runtime + deps
        over |= total > LIMIT_BYTES
        row = f"{name:<20}{code / MB:>9.2f}{runtime / MB:>12.2f}{deps / MB:>9.1f}{total / MB:>10.1f}"
        print(f"{row}{100 * total / LIMIT_BYTES:>10.0f}%")
    site = assets.deps_layer / "python"
    packages = sorted(
        ((tree_size(p) if p.is_dir() else p.stat().st_size, p.name) for p in site.iterdir()), reverse=True
    )
    print(f"\nlargest entries of the deps layer ({deps / MB:.1f} MB):")
    for size, name in packages[: args.top]:
        print(f"  {name:<40}{size / MB:>8.1f} MB")
    return 1 if over else 0


if __name__ == "__main__":
    raise SystemExit(main())
