"""Hive-mind flags: TTL, expiry on read, S6 escalation levels."""

from __future__ import annotations

from engines.interruption.hive import Flag, HivePool, active_flags, escalation, new_flag, verdicts_for

POOL = HivePool("eu-west-1", "euw1-az1", "m5.large")
OTHER = HivePool("eu-west-1", "euw1-az2", "m5.large")
T = 1_700_000_000


def test_pool_key_round_trips() -> None:
    assert POOL.key == "eu-west-1#euw1-az1#m5.large"
    assert HivePool.parse(POOL.key) == POOL


def test_flag_lives_thirty_minutes_from_the_event() -> None:
    flag = new_flag(POOL, "t1", T)
    assert flag.expires_at == T + 1800
    assert flag.active(T + 1799) and not flag.active(T + 1800)


def test_expired_flags_are_ignored_even_if_the_store_still_holds_them() -> None:
    flags = [new_flag(POOL, "t1", T - 4000), new_flag(POOL, "t2", T - 60)]
    assert [f.tenant_id for f in active_flags(flags, T)] == ["t2"]


def _flags(tenants: list[str], at: int = T - 60, pool: HivePool = POOL) -> list[Flag]:
    return [new_flag(pool, t, at) for t in tenants]


def test_escalation_levels_count_distinct_customers() -> None:
    assert escalation(_flags(["a"]), POOL, T).level == "NORMAL"
    assert escalation(_flags(["a", "a"]), POOL, T).level == "NORMAL"
    two = escalation(_flags(["a", "b"]), POOL, T)
    assert (two.level, two.risk_bump) == ("UNCERTAIN", 0.10)
    three = escalation(_flags(["a", "b", "c"]), POOL, T)
    assert (three.level, three.customers, three.risk_bump) == ("CONFIRMED_RISKY", 3, 0.20)
    assert "rebalance proactively" in three.reasons[0]


def test_escalation_counts_only_this_pool_and_the_last_hour() -> None:
    flags = _flags(["a"]) + _flags(["b"], pool=OTHER) + _flags(["c"], at=T - 3700)
    e = escalation(flags, POOL, T)
    assert (e.level, e.customers) == ("NORMAL", 1)


def test_verdicts_count_each_customer_once_and_let_escalation_decide() -> None:
    same_customer_twice = _flags(["a"]) + _flags(["a"], at=T - 30)
    one = verdicts_for("me", same_customer_twice, T)[POOL]
    assert (one.exclude, one.risk_bump) == (False, 0.05)
    two = verdicts_for("me", _flags(["a", "b"]), T)[POOL]
    assert (two.exclude, two.risk_bump) == (False, 0.10)
    three = verdicts_for("me", _flags(["a", "b", "c"]), T)[POOL]
    assert three.exclude and "CONFIRMED_RISKY" in three.reason


def test_a_customers_own_flag_excludes_the_pool_for_it_alone() -> None:
    flags = _flags(["me"])
    assert verdicts_for("me", flags, T)[POOL].exclude
    assert not verdicts_for("someone-else", flags, T)[POOL].exclude


def test_expired_flags_have_no_say() -> None:
    assert verdicts_for("me", _flags(["a", "b", "c"], at=T - 1900), T) == {}
