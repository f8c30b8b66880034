"""Each Lambda's unzipped size (code + runtime layer + its dependency layers) and cold import time, after a real
bundle.

    .venv/bin/python scripts/lambda_sizes.py [--build-dir build] [--import-with python3.12] [--runs 5]

Runs the pip install of each dependency layer from its lock the first time. `--import-with` compiles the
bundle's bytecode with that interpreter (as a deploy does when python3.12 is on PATH) and imports every handler
with it from exactly the bundled folders (plus boto3/botocore/s3transfer from this venv, compiled, as the Lambda
runtime provides them), in a fresh process per run, and reports the median of `-X importtime`'s total.
Exit 1 when a function is over Lambda's 250 MB limit or a handler fails to import.
"""

from __future__ import annotations

import argparse
import importlib
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "layers")]

from cdk.bundling import PROVIDED_BY_RUNTIME, AssetFolders, bundle, compile_bytecode  # noqa: E402
from cdk.manifest import FUNCTION_LAYERS  # noqa: E402

LIMIT_BYTES = 250 * 1024 * 1024  # Lambda: function code and all its layers, unzipped
MB = 1024 * 1024
_TOTAL = re.compile(r"import time:\s+\d+ \|\s+(\d+) \| functions\.\w+\.handler$")


def tree_size(folder: Path) -> int:
    return sum((Path(dirpath) / name).stat().st_size for dirpath, _, names in os.walk(folder) for name in names)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build-dir", type=Path, default=ROOT / "build")
    parser.add_argument("--import-with", help="a python3.12 interpreter to import each handler with")
    parser.add_argument("--runs", type=int, default=5, help="fresh imports per handler (median reported)")
    args = parser.parse_args(argv)
    assets = bundle(args.build_dir, compile_with=args.import_with)
    runtime = tree_size(assets.runtime_layer)
    layer_sizes = {name: tree_size(folder) for name, folder in assets.deps_layers.items()}
    print(
        "layers (MB): runtime "
        + f"{runtime / MB:.2f}, "
        + ", ".join(f"deps-{n} {s / MB:.1f}" for n, s in layer_sizes.items())
    )
    header = f"{'function':<20}{'layers':<18}{'code KB':>8}{'total MB':>10}{'of 250 MB':>10}"
    print(header + ("  cold import ms (median)" if args.import_with else ""))
    with tempfile.TemporaryDirectory() as runtime_sdk:
        _runtime_sdk(Path(runtime_sdk), args.import_with)
        failed = over = False
        for name, folder in assets.functions.items():
            code = tree_size(folder)
            total = code + runtime + sum(layer_sizes[layer] for layer in FUNCTION_LAYERS[name])
            over |= total > LIMIT_BYTES
            row = f"{name:<20}{'+'.join(FUNCTION_LAYERS[name]):<18}{code / 1024:>8.1f}{total / MB:>10.1f}"
            row += f"{100 * total / LIMIT_BYTES:>9.0f}%"
            if args.import_with:
                millis = import_millis(args.import_with, name, assets, Path(runtime_sdk), args.runs)
                failed |= millis is None
                row += f"  {millis:>8.0f}" if millis is not None else "  import FAILED"
            print(row)
    return 1 if over or failed else 0


def _runtime_sdk(folder: Path, python: str | None) -> None:
    """boto3/botocore/s3transfer as the Lambda runtime has them: this venv's copies, compiled for its Python."""
    for module in PROVIDED_BY_RUNTIME:
        source = Path(str(importlib.import_module(module).__file__)).parent
        shutil.copytree(source, folder / source.name, ignore=shutil.ignore_patterns("__pycache__"))
    if python:
        compile_bytecode(folder, python)


def import_millis(python: str, name: str, assets: AssetFolders, runtime_sdk: Path, runs: int) -> float | None:
    """Median cold import of the handler from the Lambda's own path: code, its layers, the runtime's SDK."""
    paths = [str(assets.functions[name])]
    paths += [str(assets.deps_layers[layer] / "python") for layer in FUNCTION_LAYERS[name]]
    paths += [str(assets.runtime_layer / "python"), str(runtime_sdk)]
    code = f"import sys; sys.path[:0] = {paths!r}; import functions.{name}.handler as h; h.handler.__call__"
    times = []
    for _ in range(runs):
        # -I: nothing from this venv or the user site; -B: no __pycache__ written into the asset folders
        result = subprocess.run(
            [python, "-I", "-B", "-X", "importtime", "-c", code], capture_output=True, text=True, check=False
        )
        if result.returncode != 0:
            print(f"  {name}: {(result.stderr.strip().splitlines() or ['?'])[-1]}", file=sys.stderr)
            return None
        totals = [int(m.group(1)) for line in result.stderr.splitlines() if (m := _TOTAL.search(line))]
        times.append(totals[-1] / 1000 if totals else float("nan"))
    return statistics.median(times)


if __name__ == "__main__":
    raise SystemExit(main())
