"""Lambda code and layer folders built without Docker: plain copies, plus `pip install --target` for the deps.

Layout (gitignored `build/`):
- `layers/runtime/python/{cloudoptim,engines,ml}`: our code, layer `CloudOptimRuntime`.
- `layers/deps/python/...`: third-party packages for python3.12 x86_64, layer `CloudOptimDeps` (no boto3:
  the Lambda runtime ships it).
- `functions/<name>/functions/<name>/handler.py`: one folder per function, so the handler string
  `functions/<name>/handler.handler` of the platform contract resolves (the runtime turns `/` into `.`)
  and a handler may import its own sibling modules as `functions.<name>.x`.

`stage_sources` copies only (offline, used for synth in tests and local mode): each folder is
content-addressed under `build/staging/` and created by an atomic rename, so concurrent synths never see
half-written folders. `bundle` does the real build for a deploy or the size report.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent

FUNCTION_NAMES = (
    "ingest",
    "choose_replacement",
    "launch_replacement",
    "node_status",
    "cordon_node",
    "evict_pods",
    "record_outcome",
)

# The Lambda runtime already provides boto3/botocore/s3transfer; pynamodb pulls botocore in, so it is pruned.
DEPS_REQUIREMENTS = (
    "aws-lambda-powertools[tracer]>=3.0",
    "pynamodb>=6.0",
    "kubernetes>=29.0",
    "pydantic>=2.6",
    "numpy>=1.26",
)
PROVIDED_BY_RUNTIME = ("boto3", "botocore", "s3transfer")
# numpy 2.x publishes manylinux_2_28 wheels only; Lambda python3.12 (Amazon Linux 2023, glibc 2.34) runs both.
PLATFORMS = ("manylinux2014_x86_64", "manylinux_2_28_x86_64")
LAMBDA_PYTHON = "3.12"

# Runtime layer: (folder in the repo, name under python/). localmode is the emulator, never shipped.
RUNTIME_PACKAGES = (("layers/cloudoptim", "cloudoptim"), ("engines", "engines"), ("ml", "ml"))
NOT_SHIPPED = ("__pycache__", "*.pyc", ".mypy_cache", ".pytest_cache")
STALE_AFTER_SECONDS = 3600


@dataclass(frozen=True)
class AssetFolders:
    """Folders CDK turns into assets (each is zipped as is)."""

    runtime_layer: Path
    deps_layer: Path
    functions: Mapping[str, Path]


class BundlingError(RuntimeError):
    """A source folder is missing or pip failed."""


def stage_sources(build_dir: Path, root: Path = REPO_ROOT) -> AssetFolders:
    """Offline copies of the code; the deps layer is a stand-in (handlers in local mode use the venv)."""
    staging = build_dir / "staging"
    functions = {name: _staged(staging, f"function-{name}", _function_files(root, name)) for name in FUNCTION_NAMES}
    runtime = _staged(staging, "runtime-layer", _runtime_files(root))
    note = b"Stand-in: synthesized with bundle=false, third-party packages not installed.\n"
    deps = _staged(staging, "deps-layer-standin", iter([("python/README.txt", note)]))
    return AssetFolders(runtime_layer=runtime, deps_layer=deps, functions=functions)


def bundle(build_dir: Path, root: Path = REPO_ROOT, *, python: str = sys.executable) -> AssetFolders:
    """The deployable build: fixed folders under build_dir, deps installed by pip for python3.12 x86_64."""
    functions = {}
    for name in FUNCTION_NAMES:
        if not (root / "functions" / name / "handler.py").is_file():
            raise BundlingError(f"functions/{name}/handler.py does not exist: nothing to deploy for {name}")
        functions[name] = _write_fresh(build_dir / "functions" / name, _function_files(root, name))
    runtime = _write_fresh(build_dir / "layers" / "runtime", _runtime_files(root))
    deps = build_dir / "layers" / "deps"
    install_deps(deps, python=python)
    return AssetFolders(runtime_layer=runtime, deps_layer=deps, functions=functions)


def install_deps(layer_dir: Path, *, python: str = sys.executable) -> None:
    """pip install the deps layer into layer_dir/python, skipped when the same requirements are there."""
    stamp = layer_dir / ".requirements"
    wanted = "\n".join((*DEPS_REQUIREMENTS, *PLATFORMS, LAMBDA_PYTHON)) + "\n"
    if stamp.is_file() and stamp.read_text() == wanted:
        _prune(layer_dir / "python")  # bytecode written by a local import since the install
        return
    shutil.rmtree(layer_dir, ignore_errors=True)
    target = layer_dir / "python"
    platforms = [arg for platform in PLATFORMS for arg in ("--platform", platform)]
    command = [python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--target", str(target)]
    command += [*platforms, "--only-binary=:all:", "--implementation", "cp", "--python-version", LAMBDA_PYTHON]
    result = subprocess.run([*command, *DEPS_REQUIREMENTS], capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise BundlingError(f"pip install of the deps layer failed: {result.stderr.strip()[-2000:]}")
    _prune(target)
    stamp.write_text(wanted)


def _prune(site: Path) -> None:
    for entry in list(site.iterdir()):
        top = entry.name.split("-")[0].lower()
        if top in PROVIDED_BY_RUNTIME or entry.name == "bin":
            shutil.rmtree(entry) if entry.is_dir() else entry.unlink()
    for cache in site.rglob("__pycache__"):
        shutil.rmtree(cache, ignore_errors=True)


def _function_files(root: Path, name: str) -> Iterator[tuple[str, bytes]]:
    folder = root / "functions" / name
    if not folder.is_dir():
        # Synth still works before the handler exists; a deploy (`bundle`) refuses it.
        yield f"functions/{name}/MISSING.txt", b"functions/" + name.encode() + b" did not exist at synth time\n"
        return
    package_init = root / "functions" / "__init__.py"
    if package_init.is_file():
        yield "functions/__init__.py", package_init.read_bytes()
    yield from _tree(folder, f"functions/{name}")


def _runtime_files(root: Path) -> Iterator[tuple[str, bytes]]:
    for source, name in RUNTIME_PACKAGES:
        if (root / source).is_dir():
            yield from _tree(root / source, f"python/{name}")


def _tree(folder: Path, prefix: str) -> Iterator[tuple[str, bytes]]:
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames[:] = sorted(d for d in dirnames if not _skipped(d))
        for filename in sorted(f for f in filenames if not _skipped(f)):
            path = Path(dirpath) / filename
            yield f"{prefix}/{path.relative_to(folder).as_posix()}", path.read_bytes()


def _skipped(name: str) -> bool:
    return any(Path(name).match(pattern) for pattern in NOT_SHIPPED)


def _staged(staging: Path, kind: str, files: Iterator[tuple[str, bytes]]) -> Path:
    collected = list(files)
    digest = hashlib.sha256()
    for relative, content in collected:
        digest.update(relative.encode() + b"\0" + hashlib.sha256(content).digest())
    final = staging / f"{kind}-{digest.hexdigest()[:16]}"
    if final.is_dir():
        return final
    staging.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=f".{kind}-", dir=staging))
    _write(scratch, collected)
    try:
        scratch.rename(final)
    except OSError:  # another synth staged the same content first
        shutil.rmtree(scratch, ignore_errors=True)
    _drop_stale(staging, kind, keep=final)
    return final


def _drop_stale(staging: Path, kind: str, keep: Path) -> None:
    """Older stagings of the same folder; an hour's grace leaves them to synths still running."""
    cutoff = time.time() - STALE_AFTER_SECONDS
    for old in staging.glob(f"{kind}-*"):
        if old != keep and old.stat().st_mtime < cutoff:
            shutil.rmtree(old, ignore_errors=True)


def _write_fresh(folder: Path, files: Iterator[tuple[str, bytes]]) -> Path:
    shutil.rmtree(folder, ignore_errors=True)
    _write(folder, list(files))
    return folder


def _write(folder: Path, files: list[tuple[str, bytes]]) -> None:
    for relative, content in files:
        path = folder / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
