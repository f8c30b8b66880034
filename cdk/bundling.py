"""Lambda code and layer folders built without Docker: plain copies, plus `pip install --target` for the deps.

Layout (gitignored `build/`):
- `layers/runtime/python/{cloudoptim,engines}`: our code, layer `CloudOptimRuntime`, from the allow-list in
  cdk/manifest.py (an entry of layers/cloudoptim in neither list stops the build).
- `layers/deps-<name>/python/...`: third-party packages for python3.12 x86_64, one layer per
  `layers/deps/<name>.lock` (exact versions, sha256 hashes, installed with `--require-hashes`).
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

from cdk.manifest import (
    DEPS_LAYERS,
    FUNCTION_NAMES,
    RUNTIME_EXCLUDED,
    RUNTIME_INCLUDED,
    RUNTIME_PACKAGES,
    SHARED_LIBRARIES,
    UNUSED_PATHS,
)

REPO_ROOT = Path(__file__).resolve().parent.parent

# The Lambda runtime already provides boto3/botocore/s3transfer: the locks leave them out.
PROVIDED_BY_RUNTIME = ("boto3", "botocore", "s3transfer")
# numpy 2.x publishes manylinux_2_28 wheels only; Lambda python3.12 (Amazon Linux 2023, glibc 2.34) runs both.
PLATFORMS = ("manylinux2014_x86_64", "manylinux_2_28_x86_64")
LAMBDA_PYTHON = "3.12"

NOT_SHIPPED = ("__pycache__", "*.pyc", ".mypy_cache", ".pytest_cache")
STALE_AFTER_SECONDS = 3600


@dataclass(frozen=True)
class AssetFolders:
    """Folders CDK turns into assets (each is zipped as is)."""

    runtime_layer: Path
    deps_layers: Mapping[str, Path]  # layer name (cdk.manifest.DEPS_LAYERS) -> folder
    functions: Mapping[str, Path]


class BundlingError(RuntimeError):
    """A source folder is missing, the runtime allow-list is out of date, or pip failed."""


def stage_sources(build_dir: Path, root: Path = REPO_ROOT) -> AssetFolders:
    """Offline copies of the code; deps layers are stand-ins (handlers in local mode use the venv)."""
    staging = build_dir / "staging"
    functions = {name: _staged(staging, f"function-{name}", _function_files(root, name)) for name in FUNCTION_NAMES}
    runtime = _staged(staging, "runtime-layer", _runtime_files(root))
    deps = {}
    for layer in DEPS_LAYERS:
        note = f"Stand-in for layer deps-{layer}: synthesized with bundle=false, packages not installed.\n".encode()
        deps[layer] = _staged(staging, f"deps-{layer}-standin", iter([("python/README.txt", note)]))
    return AssetFolders(runtime_layer=runtime, deps_layers=deps, functions=functions)


def bundle(
    build_dir: Path, root: Path = REPO_ROOT, *, python: str = sys.executable, compile_with: str | None = None
) -> AssetFolders:
    """The deployable build: fixed folders under build_dir, deps installed by pip for python3.12 x86_64.

    `compile_with` (a python3.12) writes bytecode into every folder: /opt and /var/task are read-only in Lambda,
    so without it every cold start compiles every module it imports from source.
    """
    functions = {}
    for name in FUNCTION_NAMES:
        if not (root / "functions" / name / "handler.py").is_file():
            raise BundlingError(f"functions/{name}/handler.py does not exist: nothing to deploy for {name}")
        functions[name] = _write_fresh(build_dir / "functions" / name, _function_files(root, name))
    runtime = _write_fresh(build_dir / "layers" / "runtime", _runtime_files(root))
    deps = {}
    for layer in DEPS_LAYERS:
        deps[layer] = build_dir / "layers" / f"deps-{layer}"
        install_layer(deps[layer], root / "layers" / "deps" / f"{layer}.lock", python=python)
    if compile_with:
        for folder in (runtime, *deps.values(), *functions.values()):
            compile_bytecode(folder, compile_with)
    return AssetFolders(runtime_layer=runtime, deps_layers=deps, functions=functions)


def keep_shared_libraries(layer_dir: Path, wanted: tuple[tuple[str, str], ...]) -> None:
    """Copy each wanted library into the layer's lib/ (Lambda puts /opt/lib on LD_LIBRARY_PATH)."""
    for pattern, name in wanted:
        found = sorted((layer_dir / "python").glob(pattern))
        if not found:
            raise BundlingError(f"{layer_dir.name}: no {pattern} in the installed packages for lib/{name}")
        (layer_dir / "lib").mkdir(exist_ok=True)
        shutil.copyfile(found[0], layer_dir / "lib" / name)


def compile_bytecode(folder: Path, python: str) -> None:
    """`unchecked-hash` bytecode: valid whatever timestamps the zip gives the sources, never re-checked."""
    command = [python, "-m", "compileall", "-q", "-j", "0", "--invalidation-mode", "unchecked-hash", str(folder)]
    version = subprocess.run([python, "-c", "import sys; print(sys.version_info[:2])"], capture_output=True, text=True)
    if version.stdout.strip() != f"({LAMBDA_PYTHON.replace('.', ', ')})":
        raise BundlingError(f"{python} is not Python {LAMBDA_PYTHON}: its bytecode would not load in Lambda")
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise BundlingError(f"compileall of {folder} failed: {result.stdout.strip()[-2000:]}")


def install_layer(layer_dir: Path, lock: Path, *, python: str = sys.executable) -> None:
    """pip install a lock file into layer_dir/python (hashes required), skipped when that lock is installed."""
    if not lock.is_file():
        raise BundlingError(f"{lock} does not exist: run scripts/lock_layers.py")
    stamp = layer_dir / ".lock"
    wanted = lock.read_text()
    if stamp.is_file() and stamp.read_text() == wanted:
        return
    shutil.rmtree(layer_dir, ignore_errors=True)
    target = layer_dir / "python"
    platforms = [arg for platform in PLATFORMS for arg in ("--platform", platform)]
    command = [python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--target", str(target)]
    command += [*platforms, "--only-binary=:all:", "--implementation", "cp", "--python-version", LAMBDA_PYTHON]
    command += ["--no-deps", "--require-hashes", "-r", str(lock)]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise BundlingError(f"pip install of {lock.name} failed: {result.stderr.strip()[-2000:]}")
    _prune(target)
    # right after the install (a stamped layer is already pruned): libraries first, then what no function imports
    keep_shared_libraries(layer_dir, SHARED_LIBRARIES.get(lock.stem, ()))
    for unused in UNUSED_PATHS.get(lock.stem, ()):
        shutil.rmtree(target / unused, ignore_errors=True)
    stamp.write_text(wanted)


def _prune(site: Path) -> None:
    for entry in list(site.iterdir()):
        if entry.name == "bin":
            shutil.rmtree(entry)
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


def runtime_entries(root: Path = REPO_ROOT) -> list[str]:
    """The allow-listed entries of layers/cloudoptim; BundlingError names any entry the manifest does not."""
    present = sorted(p.name for p in (root / "layers" / "cloudoptim").iterdir() if not _skipped(p.name))
    unlisted = [name for name in present if name not in RUNTIME_INCLUDED and name not in RUNTIME_EXCLUDED]
    if unlisted:
        raise BundlingError(
            f"layers/cloudoptim/{', '.join(unlisted)}: not in cdk/manifest.py's RUNTIME_INCLUDED or RUNTIME_EXCLUDED;"
            " say whether Lambda runs it"
        )
    return [name for name in present if name in RUNTIME_INCLUDED]


def _runtime_files(root: Path) -> Iterator[tuple[str, bytes]]:
    source = root / "layers" / "cloudoptim"
    for name in runtime_entries(root):
        path = source / name
        if path.is_dir():
            yield from _tree(path, f"python/cloudoptim/{name}")
        else:
            yield f"python/cloudoptim/{name}", path.read_bytes()
    for package in RUNTIME_PACKAGES:
        yield from _tree(root / package, f"python/{package}")


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
