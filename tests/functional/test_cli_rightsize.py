"""`cloudoptim rightsize` end to end on tests/fixtures/rightsize (Bitbrains usage on a small EKS-like cluster)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cli.main import main

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "rightsize"
CPU, MEMORY, WORKLOADS = (str(FIXTURES / n) for n in ("cpu-usage.json", "memory-usage.json", "workloads.json"))
BASE = ["rightsize", "--cpu-usage", CPU, "--memory-usage", MEMORY, "--workloads", WORKLOADS]
RECOMMENDATION_KEYS = {
    "namespace",
    "pod",
    "container",
    "cpu_request_cores",
    "memory_request_bytes",
    "memory_limit_bytes",
    "current",
    "reasons",
}


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def as_json(capsys: pytest.CaptureFixture[str], *extra: str) -> dict:  # type: ignore[type-arg]
    code, out, err = run(capsys, *BASE, "--format", "json", *extra)
    assert code == 0, err
    return json.loads(out)  # type: ignore[no-any-return]


def by_container(body: dict, container: str) -> dict:  # type: ignore[type-arg]
    return next(r for r in body["recommendations"] if r["container"] == container)


def test_json_contract(capsys: pytest.CaptureFixture[str]) -> None:
    body = as_json(capsys)
    assert {"recommendations", "skipped", "oom", "escalations", "strategy", "window"} <= set(body)
    assert body["strategy"] == "cloudoptim" and body["window"]["days"] == 14
    for rec in body["recommendations"]:
        assert set(rec) >= RECOMMENDATION_KEYS
        assert set(rec["current"]) >= {"cpu_request_cores", "memory_request_bytes", "memory_limit_bytes"}
        assert rec["reasons"]
    for skip in body["skipped"]:
        assert {"namespace", "pod", "container", "reason"} <= set(skip)


def test_what_the_fixture_cluster_gets(capsys: pytest.CaptureFixture[str]) -> None:
    body = as_json(capsys)
    app = by_container(body, "app")
    assert app["pods"] == ["web-7d4b9c8f6d-abcde", "web-7d4b9c8f6d-fghij"] and app["workload"] == "Deployment/web"
    assert 0.01 <= app["cpu_request_cores"] < 2
    assert app["memory_request_bytes"] is None  # the web HPA scales app on memory
    assert any("HPA web" in r for r in app["reasons"])
    sidecar = by_container(body, "istio-proxy")
    assert sidecar["container_kind"] == "sidecar" and sidecar["memory_limit_bytes"] == sidecar["memory_request_bytes"]
    db = by_container(body, "postgres")
    assert db["cpu_request_cores"] is None  # the db HPA scales on CPU
    assert db["memory_request_bytes"] == int(4 * 2**30 * 1.2 + 0.999)  # OOM bump wins over the cut
    worker = by_container(body, "worker")
    assert worker["escalate"] and worker["memory_request_bytes"] is None
    assert [e["pod"] for e in body["escalations"]] == ["worker-5f6d7c8b9-xyz12"]
    skipped = {s["container"]: s["reason"] for s in body["skipped"]}
    assert "not enough data" in skipped["migrate"] and "not enough data" in skipped["runner"]
    assert skipped["app"] == "pod not in the workloads file"  # the ghost pod's usage


def test_strategies_and_window_options(capsys: pytest.CaptureFixture[str]) -> None:
    krr = as_json(capsys, "--strategy", "krr-simple")
    vpa = as_json(capsys, "--strategy", "vpa-target")
    assert krr["strategy"] == "krr-simple" and vpa["strategy"] == "vpa-target"
    short = as_json(capsys, "--window-days", "0.5")
    assert not any(r["cpu_request_cores"] for r in short["recommendations"])  # 12 h < the 24 h minimum


def test_policy_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    policy = tmp_path / "policy.json"
    policy.write_text(json.dumps({"cpu_floor_cores": 0.5, "skip_hpa_resources": False, "oom": {"bump_ratio": 2}}))
    body = as_json(capsys, "--policy", str(policy))
    assert all(r["cpu_request_cores"] >= 0.5 for r in body["recommendations"] if r["cpu_request_cores"] is not None)
    assert by_container(body, "postgres")["memory_request_bytes"] == 8 * 2**30


def test_table(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, *BASE)
    assert code == 0
    assert "Deployment/web" in out and "ESCALATE" in out and "Skipped (3)" in out and "OOM kills (2)" in out


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ("{not json", "not JSON"),
        ('{"status":"error","error":"bad query","data":{}}', "the query failed: bad query"),
        ('{"status":"success","data":{"resultType":"vector","result":[]}}', "expected 'matrix'"),
        ('{"status":"success","data":{"resultType":"matrix","result":[{"metric":{"pod":"a"},"values":[]}]}}', "no "),
        (
            '{"status":"success","data":{"resultType":"matrix","result":[{"metric":{"namespace":"a","pod":"b",'
            '"container":"c"},"values":[[1,"x"]]}]}}',
            "bad sample",
        ),
    ],
)
def test_bad_usage_file_exits_2_with_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str, problem: str
) -> None:
    bad = tmp_path / "cpu.json"
    bad.write_text(content)
    code, out, err = run(
        capsys, "rightsize", "--cpu-usage", str(bad), "--memory-usage", MEMORY, "--workloads", WORKLOADS
    )
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and str(bad) in err and problem in err


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ('{"kind":"List","items":[]}', "no Pod in the list"),
        ('{"kind":"Pod"}', "metadata.name is missing"),  # one object is read now (issue 11), so its fields are checked
        (
            '{"kind":"List","items":[{"kind":"Pod","metadata":{"name":"p"},"spec":{"containers":[{"name":"c",'
            '"resources":{"requests":{"memory":"lots"}}}]}}]}',
            "'lots' is not a Kubernetes quantity",
        ),
    ],
)
def test_bad_workloads_file_exits_2_with_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str, problem: str
) -> None:
    bad = tmp_path / "workloads.json"
    bad.write_text(content)
    code, _, err = run(capsys, "rightsize", "--cpu-usage", CPU, "--memory-usage", MEMORY, "--workloads", str(bad))
    assert code == 2 and err.count("\n") == 1 and str(bad) in err and problem in err


def test_missing_file_and_bad_options_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "rightsize", "--cpu-usage", str(tmp_path / "nope.json"), "--memory-usage", MEMORY,
                       "--workloads", WORKLOADS)  # fmt: skip
    assert code == 2 and "no such file" in err
    code, _, err = run(capsys, *BASE, "--window-days", "-1")
    assert code == 2 and "window_days" in err and err.count("\n") == 1
    policy = tmp_path / "p.json"
    policy.write_text('{"strategy_settings": {"cpu_percentile": 500}}')
    code, _, err = run(capsys, *BASE, "--policy", str(policy))
    assert code == 2 and "strategy_settings.cpu_percentile" in err
