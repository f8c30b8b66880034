"""Prometheus `query_range` responses (resultType matrix) as usage series per container.

Expected: `{"status":"success","data":{"resultType":"matrix","result":[{"metric":{"namespace","pod","container"},
"values":[[ts,"v"],...]}]}}`, e.g. from `rate(container_cpu_usage_seconds_total[5m])` (cores) or
`container_memory_working_set_bytes` (bytes). Series of the pod sandbox (container "POD" or "") are ignored;
several series of one container (other labels such as `id` or `job`) are merged, keeping the larger value of a
shared timestamp; "NaN" samples (a series with no data at that step) are dropped. A series still named after a
counter (`__name__` ending in `_total`: the query forgot rate()) and "+Inf" samples are kept as marks on the series,
so the engine refuses that container with the reason instead of the whole file (engines/rightsizing/sanity.py).
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np

from cloudoptim.adapters.file_io import read_text
from cloudoptim.errors import InputFileError
from engines.rightsizing.usage import ContainerKey, UsageSeries

_LABELS = ("namespace", "pod", "container")
_SANDBOX = {"", "POD"}


def load_matrix(path: Path) -> dict[ContainerKey, UsageSeries]:
    """Every container's series in one response file (any compression file_io understands)."""
    try:
        document = json.loads(read_text(path))
    except json.JSONDecodeError as exc:
        raise InputFileError(f"{path}: not JSON ({exc.msg} at line {exc.lineno})") from None
    result = _result(document, path)
    times: dict[ContainerKey, list[np.ndarray]] = defaultdict(list)
    values: dict[ContainerKey, list[np.ndarray]] = defaultdict(list)
    counters: set[ContainerKey] = set()
    for index, series in enumerate(result):
        where = f"{path}: data.result[{index}]"
        key = _key(series, where)
        if key is None:
            continue
        ts, vs = _samples(series.get("values"), where)
        times[key].append(ts)
        values[key].append(vs)
        if str(series["metric"].get("__name__", "")).endswith("_total"):
            counters.add(key)
    return {
        key: UsageSeries.from_samples(np.concatenate(times[key]), np.concatenate(values[key]), key in counters)
        for key in times
    }


def _result(document: Any, path: Path) -> list[Any]:
    if not isinstance(document, dict) or not isinstance(document.get("data"), dict):
        raise InputFileError(f"{path}: not a Prometheus query_range response (no 'data' object)")
    if document.get("status", "success") != "success":
        raise InputFileError(f"{path}: the query failed: {document.get('error') or document.get('status')}")
    data = document["data"]
    if data.get("resultType") != "matrix":
        raise InputFileError(f"{path}: resultType is {data.get('resultType')!r}, expected 'matrix' (use query_range)")
    result = data.get("result")
    if not isinstance(result, list):
        raise InputFileError(f"{path}: data.result is not a list")
    return result


def _key(series: Any, where: str) -> ContainerKey | None:
    if not isinstance(series, dict) or not isinstance(series.get("metric"), dict):
        raise InputFileError(f"{where}: expected an object with 'metric' and 'values'")
    metric = series["metric"]
    missing = [label for label in _LABELS if label not in metric]
    if missing:
        raise InputFileError(
            f"{where}: metric has no {', '.join(missing)} label (aggregate by namespace, pod, container)"
        )
    if metric["container"] in _SANDBOX:
        return None
    return ContainerKey(str(metric["namespace"]), str(metric["pod"]), str(metric["container"]))


def _samples(raw: Any, where: str) -> tuple[np.ndarray, np.ndarray]:
    if not isinstance(raw, list):
        raise InputFileError(f"{where}: 'values' is not a list of [timestamp, \"value\"] pairs")
    try:
        pairs = np.array([(float(t), float(v)) for t, v in raw], dtype=np.float64).reshape(-1, 2)
    except (TypeError, ValueError):
        bad = next((p for p in raw if not _is_pair(p)), raw[:1])
        raise InputFileError(f'{where}: bad sample {bad!r}, expected [timestamp, "value"]') from None
    if np.any(pairs[:, 1] < 0):
        raise InputFileError(f"{where}: negative usage {pairs[pairs[:, 1] < 0][0, 1]:g}")
    if not np.all(np.isfinite(pairs[:, 0])):
        raise InputFileError(f"{where}: a timestamp is not a finite number")
    keep = ~np.isnan(pairs[:, 1])  # NaN is Prometheus' "no value"; +Inf stays for the engine to refuse
    return pairs[keep, 0], pairs[keep, 1]


def _is_pair(pair: Any) -> bool:
    try:
        t, v = pair
        float(t), float(v)
    except (TypeError, ValueError):
        return False
    return True
