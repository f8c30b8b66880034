"""What each Lambda ships: its handler folder, the runtime layer, and only the dependency layers its imports need.

`tests/infrastructure/test_layers.py` imports every handler and fails when a function lacks a layer its import
closure needs or carries one it does not use. Each dependency layer is built from `layers/deps/<name>.lock`
(pinned, with hashes; `scripts/lock_layers.py` writes it from `<name>.in`).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

# Dependency layers in the order they are attached (later layers never repeat an earlier one's packages).
DEPS_LAYERS: tuple[str, ...] = ("core", "kube", "numeric", "model", "api")

DEPS_LAYER_DESCRIPTIONS: Mapping[str, str] = MappingProxyType(
    {
        "core": "powertools, pydantic, pynamodb (boto3/botocore from the Lambda runtime)",
        "kube": "the official kubernetes client and its dependencies",
        "numeric": "numpy for the Spot engine",
        "model": "LightGBM inference for the risk model (scipy.sparse only, the OpenMP runtime in lib/)",
        "api": "FastAPI, Mangum and PyJWT (cryptography) for the API function",
    }
)

# What a layer's packages bring that no function imports (tests/infrastructure/test_layers.py imports every
# handler and fails if one does): kubernetes >= 35 ships an asyncio copy of its whole client (`kubernetes.aio`,
# ~64 MB with bytecode) and requires aiohttp for it; the sync client we use never imports either.
UNUSED_PACKAGES: Mapping[str, frozenset[str]] = MappingProxyType(
    {
        "kube": frozenset(
            {
                "aiohttp",
                "aiohttp-retry",
                "aiohappyeyeballs",
                "aiosignal",
                "attrs",
                "frozenlist",
                "multidict",
                "propcache",
                "yarl",
            }
        ),
        # scikit-learn's own dependencies: only its vendored libgomp is kept (SHARED_LIBRARIES)
        "model": frozenset({"cloudpickle", "joblib", "threadpoolctl"}),
    }
)
# Inference imports scipy, scipy._lib and scipy.sparse only (lightgbm's `import scipy.sparse`); the other scipy
# subpackages and their BLAS/Fortran runtime (scipy.libs) are ~110 of scipy's ~140 MB.
_SCIPY_UNUSED = (
    "cluster", "constants", "datasets", "differentiate", "fft", "fftpack", "integrate", "interpolate", "io",
    "linalg", "misc", "ndimage", "odr", "optimize", "signal", "spatial", "special", "stats",
)  # fmt: skip
UNUSED_PATHS: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "kube": ("kubernetes/aio",),
        "model": (
            "sklearn",
            "scikit_learn.libs",
            "scipy.libs",
            "scipy/sparse/linalg",
            "scipy/sparse/csgraph",
            *(f"scipy/{name}" for name in _SCIPY_UNUSED),
            *(f"{package}/tests" for package in ("scipy/_lib", "scipy/sparse", "lightgbm")),
        ),
    }
)
# Shared libraries a layer's packages need from the OS that Lambda's image lacks: layer -> (glob in the
# installed packages, name under the layer's lib/). Copied before UNUSED_PATHS are removed.
SHARED_LIBRARIES: Mapping[str, tuple[tuple[str, str], ...]] = MappingProxyType(
    {"model": (("scikit_learn.libs/libgomp*.so*", "libgomp.so.1"),)}
)

FUNCTION_LAYERS: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        "ingest": ("core",),
        "choose_replacement": ("core", "numeric", "model"),
        "launch_replacement": ("core",),
        "node_status": ("core", "kube"),
        "terminate_replacement": ("core",),
        "cordon_node": ("core", "kube"),
        "evict_pods": ("core", "kube"),
        "record_outcome": ("core",),
        "api": ("core", "kube", "api"),  # kube: the connectivity check reaches the cluster's API
        "audit_checkpoint": ("core",),
        "scrape_prices": ("core",),
        "fill_price_gaps": ("core",),
        "discover_clusters": ("core", "kube"),  # lists each cluster's nodes
        "hibernation_tick": ("core",),
        "hibernation_step": ("core", "kube"),  # scales workloads through the cluster's API
        "waste_scan": ("core", "kube", "numeric"),  # nodes through the cluster's API; On-Demand prices (numpy)
        "sweep_step": ("core", "kube", "numeric"),  # the cluster's API, the engines (numpy)
        "validate_model": ("core", "numeric", "model"),  # scores the golden set with the candidate
        "model_registry": ("core",),
        "retrain_model": ("core", "numeric", "model"),  # trains with LightGBM: the same layers inference needs
        "rebalance_pool": ("core",),  # DynamoDB, Step Functions and the tenants' policy documents
        "execute_step": ("core", "kube", "numeric"),  # the cluster's API; the price book (numpy price history)
        "weekly_summary": ("core",),
        "notify_event": ("core",),
    }
)

FUNCTION_NAMES: tuple[str, ...] = tuple(FUNCTION_LAYERS)

# The runtime layer's allow-list: each entry of layers/cloudoptim must be listed here or in RUNTIME_EXCLUDED,
# so nothing reaches Lambda by accident (bundling refuses an entry that is in neither).
RUNTIME_INCLUDED: tuple[str, ...] = (
    "__init__.py",
    "adapters",
    "api",
    "audit",
    "dashboard",  # the console's static pages, served by the api function (docs/decisions.md)
    "data",
    "discovery",
    "errors.py",
    "hibernation",
    "interruptions",
    "models",
    "notifications",  # the weekly summary, alerts, and the API's notification settings
    "observability.py",
    "onboarding.py",
    "optimization",  # the api function's recommendations, sweeps and savings routes import it
    "pricing",
    "settings.py",
    "tenancy",
    "waste",
    "wiring",
)
RUNTIME_EXCLUDED: tuple[str, ...] = ()
# Other packages shipped whole in the runtime layer, by folder in the repository.
RUNTIME_PACKAGES: tuple[str, ...] = ("engines", "ml")  # ml: choose_replacement scores with the risk model
