"""checkov (the AWS CloudFormation policy pack) on the tenant onboarding template: no failed check.

checkov runs from its own virtualenv (`make test` builds it: it pins boto3 and packaging to versions the rest of
the tool chain cannot use); CHECKOV names the executable, else the Makefile's place under .venv/tools is used.
Guidelines are not downloaded (no network is needed).
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from cloudoptim.onboarding import onboarding_template
from tests.infrastructure.test_lint_and_nag import REQUESTS

ROOT = Path(__file__).resolve().parents[2]
DEFAULT = next(iter(sorted((ROOT / ".venv" / "tools").glob("checkov-*/bin/checkov"))), None)


def _checkov() -> Path:
    found = Path(os.environ["CHECKOV"]) if os.environ.get("CHECKOV") else DEFAULT
    if found is None or not found.is_file():
        pytest.fail("checkov is not installed: `make test` builds it (.venv/tools/checkov-*), or set CHECKOV")
    return found


@pytest.mark.parametrize("case", sorted(REQUESTS))
def test_checkov_finds_nothing_in_the_onboarding_template(case: str, tmp_path: Path) -> None:
    template = tmp_path / "onboarding.json"
    template.write_text(json.dumps(onboarding_template(REQUESTS[case])))
    answer = subprocess.run(
        [str(_checkov()), "-f", str(template), "--framework", "cloudformation", "--skip-download", "--output",
         "json", "--compact"],
        capture_output=True, text=True, timeout=300, env={**os.environ, "BC_SKIP_MAPPING": "TRUE"}, check=False,
    )  # fmt: skip
    report = json.loads(answer.stdout)
    failed = [(c["check_id"], c["check_name"], c["resource"]) for c in report["results"]["failed_checks"]]
    assert failed == []
    assert report["summary"]["passed"] >= 10  # the IAM and EventBridge checks really ran on it
