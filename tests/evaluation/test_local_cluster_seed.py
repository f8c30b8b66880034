"""The shipped local-mode cluster is exactly what scripts/build_local_cluster.py derives from the OpenB trace."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks.traces.openb import NODES_CSV, PODS_CSV

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.evaluation


@pytest.mark.skipif(not (NODES_CSV.exists() and PODS_CSV.exists()), reason="shared OpenB trace absent")
def test_seed_cluster_rebuilds_byte_for_byte() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "build_local_cluster.py"), "--check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
