"""Each Lambda ships only what it runs: locked dependency layers chosen by its import closure, an allow-listed
runtime layer with no command line and no local mode."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from importlib.metadata import packages_distributions
from pathlib import Path

import pytest
from packaging.requirements import Requirement

from cdk.bundling import PROVIDED_BY_RUNTIME, BundlingError, runtime_entries, stage_sources
from cdk.manifest import DEPS_LAYERS, FUNCTION_LAYERS, UNUSED_PACKAGES, UNUSED_PATHS
from tests.infrastructure.conftest import SynthesizedSaas

ROOT = Path(__file__).resolve().parents[2]
DEPS = ROOT / "layers" / "deps"
LOCK_LINE = re.compile(r"^([a-z0-9-]+)==(\S+) --hash=sha256:[0-9a-f]{64}$")
FIRST_PARTY = {"cloudoptim", "engines", "ml", "functions", "cli", "localmode", "cdk", "tests"}
# Imported by a package only when installed (try/except ImportError); the layers rightly leave them out.
OPTIONAL_IMPORTS = {
    "blinker": "pynamodb emits signals through it when present",
    "certifi": "botocore falls back to its own CA bundle without it",
    "charset_normalizer": "numpy.f2py (which scipy._lib loads under lightgbm) detects encodings with it when present",
    "google": "kubernetes.config tries google.auth (GKE credentials); here only protobuf's namespace answers",
}


def normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def lock(layer: str) -> dict[str, str]:
    pins = {}
    for line in (DEPS / f"{layer}.lock").read_text().splitlines():
        if line.startswith("#") or not line.strip():
            continue
        match = LOCK_LINE.match(line)
        assert match, f"{layer}.lock: not an exact pin with a sha256 hash: {line!r}"
        pins[match.group(1)] = match.group(2)
    return pins


@pytest.mark.parametrize("layer", DEPS_LAYERS)
def test_every_lock_pins_exact_versions_with_hashes_and_satisfies_its_requirements(layer: str) -> None:
    shipped = {
        name: version
        for earlier in DEPS_LAYERS[: DEPS_LAYERS.index(layer) + 1]
        for name, version in lock(earlier).items()
    }
    for line in (DEPS / f"{layer}.in").read_text().splitlines():
        spec = line.split("#", 1)[0].strip()
        if not spec:
            continue
        requirement = Requirement(spec)
        version = shipped.get(normalise(requirement.name))
        assert version is not None, f"{layer}.lock lacks {requirement.name}: run scripts/lock_layers.py"
        assert requirement.specifier.contains(version), f"{layer}.lock pins {requirement.name}=={version}: {spec}"


def test_layers_ship_each_package_once_and_nothing_lambda_provides() -> None:
    seen: dict[str, str] = {}
    for layer in DEPS_LAYERS:
        for name in lock(layer):
            assert name not in seen, f"{name} is in both {seen.get(name)}.lock and {layer}.lock"
            assert name not in {normalise(p) for p in PROVIDED_BY_RUNTIME}, f"{layer}.lock ships {name}"
            assert name not in UNUSED_PACKAGES.get(layer, frozenset()), f"{layer}.lock ships unused {name}"
            seen[name] = layer


# Installed in this venv (the `ml` extra, training and notebooks) but in no layer: lightgbm imports each only when
# it is importable, so the handler is imported here as the Lambda runs it, with these absent.
ABSENT_IN_LAMBDA = ("pandas", "sklearn", "pyarrow", "dask", "polars", "matplotlib", "graphviz")


def _imported_modules(function: str) -> set[str]:
    """Modules the handler's import adds (what the interpreter loaded at start-up, .pth hooks included, is not)."""
    code = (
        f"import json, sys; sys.modules.update(dict.fromkeys({ABSENT_IN_LAMBDA!r})); before = set(sys.modules); "
        f"import functions.{function}.handler; "
        "print(json.dumps(sorted(set(sys.modules) - before)))"
    )
    answer = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True, timeout=120
    )
    return set(json.loads(answer.stdout))


def _layer_of_distribution() -> dict[str, str]:
    return {name: layer for layer in DEPS_LAYERS for name in lock(layer)}


@pytest.mark.parametrize("function", sorted(FUNCTION_LAYERS))
def test_each_function_carries_exactly_the_layers_its_imports_need(function: str) -> None:
    modules = _imported_modules(function)
    tops = {m.split(".")[0] for m in modules if not m.startswith("_sysconfigdata")}
    tops -= FIRST_PARTY | set(sys.stdlib_module_names) | set(OPTIONAL_IMPORTS)
    distributions = packages_distributions()
    layer_of = _layer_of_distribution()
    needed = {"core"}  # logging, metrics and tracing are set up on the first invocation, not at import
    for top in sorted(tops):
        for distribution in distributions.get(top, []):
            name = normalise(distribution)
            if name in {normalise(p) for p in PROVIDED_BY_RUNTIME}:
                continue
            assert name in layer_of, f"{function} imports {top} ({distribution}), which no layer ships"
            needed.add(layer_of[name])
    assert set(FUNCTION_LAYERS[function]) == needed, f"{function}: layers {FUNCTION_LAYERS[function]}, needs {needed}"
    for layer, unused in UNUSED_PACKAGES.items():
        for distribution in unused:
            assert not any(normalise(d) == distribution for top in tops for d in distributions.get(top, [])), (
                f"{function} imports {distribution}, which cdk/manifest.py leaves out of layer {layer}"
            )
    for layer, paths in UNUSED_PATHS.items():
        for path in paths:
            dotted = path.replace("/", ".")
            assert not any(m == dotted or m.startswith(dotted + ".") for m in modules), (
                f"{function} imports {dotted}, which the {layer} layer leaves out"
            )


def test_ingest_needs_neither_kubernetes_nor_numpy() -> None:
    modules = {m.split(".")[0] for m in _imported_modules("ingest")}
    assert not modules & {"kubernetes", "numpy", "pandas", "lightgbm", "boto3", "s3transfer"}


def test_runtime_layer_holds_no_command_line_and_no_local_mode(tmp_path: Path) -> None:
    assets = stage_sources(tmp_path)
    shipped = {p.name for p in (assets.runtime_layer / "python").iterdir()}
    assert shipped == {"cloudoptim", "engines", "ml"}
    inside = {p.name for p in (assets.runtime_layer / "python" / "cloudoptim").iterdir()}
    assert not inside & {"cli", "local", "localmode"}
    assert "local-cluster.json" not in {
        p.name for p in (assets.runtime_layer / "python" / "cloudoptim" / "data").iterdir()
    }
    for name, folder in assets.functions.items():
        assert {p.name for p in (folder / "functions").iterdir()} == {"__init__.py", name}


def test_an_entry_missing_from_the_allow_list_stops_the_bundle(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "layers" / "cloudoptim", tmp_path / "layers" / "cloudoptim")
    assert "adapters" in runtime_entries(tmp_path)
    (tmp_path / "layers" / "cloudoptim" / "scratch.py").write_text("x = 1\n")
    with pytest.raises(BundlingError, match=r"scratch\.py"):
        runtime_entries(tmp_path)


def test_the_template_gives_each_function_its_own_layers(saas: SynthesizedSaas) -> None:
    layers = saas.resources("AWS::Lambda::LayerVersion")
    assert set(layers) == {"CloudOptimRuntime", *(f"CloudOptimDeps{name.capitalize()}" for name in DEPS_LAYERS)}
    for name, deps in FUNCTION_LAYERS.items():
        logical = "".join(part.capitalize() for part in name.split("_")) + "Function"
        attached = [ref["Ref"] for ref in saas.properties(logical)["Layers"]]
        assert attached == [*(f"CloudOptimDeps{d.capitalize()}" for d in deps), "CloudOptimRuntime"], name
