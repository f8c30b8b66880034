"""EventBridge notices parsed with the powertools models, on the real-format examples."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pydantic import ValidationError

from cloudoptim.interruptions.notices import NOTICE_EVENT, to_notices
from engines.interruption.events import classify
from tests.support.pipeline import health, rebalance, spot_warning, state_change

EXAMPLES = Path(__file__).resolve().parents[3] / "shared" / "data" / "spot-events" / "nth-examples"


def test_our_fixtures_parse_into_notices_and_classify() -> None:
    kinds = [classify(n.notice).kind for e in (spot_warning(), rebalance(), health(), state_change("stopping"))
             for n in to_notices(NOTICE_EVENT.validate_python(e))]  # fmt: skip
    assert kinds == ["interruption", "rebalance", "scheduled-change", "state-change"]


def test_envelope_without_account_parses() -> None:
    event = spot_warning()
    del event["account"]  # EventBridge -> SQS in moto drops it
    [notice] = to_notices(NOTICE_EVENT.validate_python(event))
    assert notice.account is None and notice.notice.instance_id == event["detail"]["instance-id"]


def test_health_start_time_is_read() -> None:
    [notice] = to_notices(NOTICE_EVENT.validate_python(health()))
    assert notice.notice.start_time == 1764515409  # Sun, 30 Nov 2025 15:10:09 GMT


@pytest.mark.evaluation
@pytest.mark.skipif(not EXAMPLES.is_dir(), reason="../shared/data/spot-events is absent")
def test_the_termination_handler_examples() -> None:
    parsed: dict[str, list[tuple[str | None, str]] | None] = {}
    for path in sorted(EXAMPLES.glob("*.json")):
        try:
            event = NOTICE_EVENT.validate_python(json.loads(path.read_text()))
        except ValidationError:
            parsed[path.stem] = None
            continue
        parsed[path.stem] = [(classify(n.notice).kind, n.notice.instance_id) for n in to_notices(event)]
    assert parsed == {
        "asg-lifecycle-event": None,  # not one of the four notices
        "ec2-state-change-event": [(None, "i-abcd1111")],  # "pending": ignored
        "rebalance-recommendation-event": [("rebalance", "i-0b662ef9931388ba0")],
        "scheduled-change-event": [("scheduled-change", "i-12345678")],
        "spot-itn-event": [("interruption", "i-0b662ef9931388ba0")],
    }
