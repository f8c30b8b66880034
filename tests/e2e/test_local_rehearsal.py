"""The mass-interruption rehearsal at a small scale: one pool, several tenants, duplicates and throttled writes;
nothing lost, every throttled notice retried until its workflow started, one customer item per tenant."""

from __future__ import annotations

from localmode.rehearsal import Rehearsal, RehearsalSettings
from localmode.stack import LocalStack


def test_a_mass_interruption_loses_nothing_and_retries_every_throttled_write(local_stack: LocalStack) -> None:
    settings = RehearsalSettings(notices=60, tenants=3, window_seconds=6.0, duplicates=0.1, throttled=0.2, seed=3)
    report = Rehearsal(local_stack, settings).run()

    assert report["notices_accepted"] == report["notices_sent"] == 60
    assert report["workflows_started"] == report["unique_notices"] == 54 and report["lost"] == 0
    assert report["duplicates_sent"] == report["duplicates_suppressed"] == 6
    assert report["executions_total"] == 54  # no duplicate started a second workflow
    assert report["throttled_notices"] == report["throttled_notices_started"] == 11
    assert report["throttled_left_unretried"] == 0
    assert report["throttled_writes"] >= 11 * 2  # every planned answer was given, the SDK or SQS retried each
    assert report["redelivered_by_sqs"] >= 1  # the notices throttled past the SDK's retries came back through SQS
    hive = report["hive_mind"]
    assert (hive["records_written"], hive["customer_items"], hive["flags_written"]) == (54, 3, 3)
    assert hive["level"] == "CONFIRMED_RISKY" and hive["customers"] == 3
    assert report["dlq_messages"] == 0
