"""Hibernation (spec E5, flow 5): schedules set through the API, a scheduled tick that decides, a state machine that
sleeps and wakes clusters through the steps here, every sleep and wake snapshotted, audited and listed."""
