"""Replacement choice: never the interrupted pool or one the hive mind excludes, always the interrupted node's
shape, On-Demand when no safe Spot pool is left; other customers' flags add risk without excluding."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from engines.interruption.hive import Flag, HivePool, PoolVerdict, verdicts_for
from engines.interruption.replacement import ReplacementRequest, Zone, choose_replacement, zone_id
from engines.spot.offerings import build_offerings
from engines.spot.risk import get_strategy
from tests.unit.spot_factories import REGION, Market, market

AZ1, AZ2, AZ3 = "euw1-az1", "euw1-az2", "euw1-az3"


def _market() -> Market:
    return market(
        [
            ("m5.xlarge", 4, 16.0, AZ1, 0.07, 0.20, 0),
            ("m5.xlarge", 4, 16.0, AZ2, 0.07, 0.20, 0),
            ("m6i.xlarge", 4, 16.0, AZ1, 0.06, 0.19, 0),
            ("m6i.xlarge", 4, 16.0, AZ2, 0.065, 0.19, 0),
            ("c5.xlarge", 4, 8.0, AZ1, 0.03, 0.17, 0),  # too little memory
            ("m6g.xlarge", 4, 16.0, AZ1, 0.04, 0.15, 0),  # arm64
            ("m5.2xlarge", 8, 32.0, AZ3, 0.12, 0.38, 0),
        ]
    )


def _excluded(pools: list[HivePool]) -> dict[HivePool, PoolVerdict]:
    """Pools this customer flagged itself: excluded."""
    return {p: PoolVerdict(p, True, 0.0, "flagged by this customer") for p in pools}


def _choose(m: Market, request: ReplacementRequest, flagged: list[HivePool] | dict[HivePool, PoolVerdict]):  # type: ignore[no-untyped-def]
    offerings = build_offerings(m.history, m.catalog, m.on_demand, m.advisor, m.at)
    hive = flagged if isinstance(flagged, dict) else _excluded(flagged)
    return choose_replacement(request, offerings, m.catalog, hive, get_strategy(), m.at)


def _request(**overrides: object) -> ReplacementRequest:
    base: dict[str, object] = {
        "region": REGION, "instance_type": "m5.xlarge", "availability_zone": AZ1, "az_id": AZ1,
    }  # fmt: skip
    return ReplacementRequest(**{**base, **overrides})  # type: ignore[arg-type]


def test_best_spot_pool_of_the_same_shape_and_arch() -> None:
    choice = _choose(_market(), _request(), [])
    assert (choice.capacity_type, choice.instance_type, choice.zone_key) == ("spot", "m6i.xlarge", AZ1)
    assert any("fits m5.xlarge's shape" in r for r in choice.reasons)


def test_flagged_pools_and_the_interrupted_pool_are_excluded_with_reasons() -> None:
    flagged = [HivePool(REGION, AZ1, "m6i.xlarge")]
    choice = _choose(_market(), _request(), flagged)
    assert (choice.instance_type, choice.zone_key) == ("m6i.xlarge", AZ2)
    assert any("hive mind" in r for r in choice.rejected)
    assert any("interrupted pool" in r for r in choice.rejected)


def test_one_other_customers_flag_adds_risk_but_does_not_exclude_the_pool() -> None:
    pools = [HivePool(REGION, z, t) for z in (AZ1, AZ2, AZ3) for t in ("m5.xlarge", "m6i.xlarge", "m5.2xlarge")]
    hive = verdicts_for("me", [Flag(pool, "other", 1000, 2800) for pool in pools], now=1100)
    choice = _choose(_market(), _request(), hive)
    assert choice.capacity_type == "spot"  # the same pools flagged by "me" leave only On-Demand (test below)
    assert any(r.startswith("hive mind 0.050") for r in choice.reasons)
    assert not any("hive mind" in r for r in choice.rejected)


def test_three_other_customers_confirm_the_pool_risky_and_exclude_it() -> None:
    pool = HivePool(REGION, AZ1, "m6i.xlarge")
    flags = [Flag(pool, tenant, 1000, 2800) for tenant in ("a", "b", "c")]
    choice = _choose(_market(), _request(), verdicts_for("me", flags, now=1100))
    assert (choice.instance_type, choice.zone_key) == ("m6i.xlarge", AZ2)
    assert any("CONFIRMED_RISKY" in r for r in choice.rejected)


def test_node_group_zones_limit_the_choice() -> None:
    choice = _choose(_market(), _request(zones=(Zone(AZ2, az_id=AZ2),)), [])
    assert choice.zone_key == AZ2


def test_zone_names_of_the_node_group_map_through_the_nodes_own_az_id() -> None:
    zones = (Zone("eu-west-1a", az_id=AZ1, name="eu-west-1a"), Zone("eu-west-1b", name="eu-west-1b"))
    choice = _choose(_market(), _request(availability_zone="eu-west-1a", zones=zones), [])
    assert (choice.instance_type, choice.zone_key, choice.az_id) == ("m6i.xlarge", "eu-west-1a", AZ1)


def test_on_demand_fallback_when_every_safe_pool_is_flagged() -> None:
    flagged = [HivePool(REGION, z, t) for z in (AZ1, AZ2, AZ3) for t in ("m5.xlarge", "m6i.xlarge", "m5.2xlarge")]
    choice = _choose(_market(), _request(), flagged)
    assert choice.capacity_type == "on-demand"
    assert choice.instance_type == "m6i.xlarge" and choice.zone_key == AZ1
    assert "On-Demand fallback" in choice.reasons[0]


def test_on_demand_node_stays_on_demand() -> None:
    choice = _choose(_market(), _request(capacity_type="on-demand"), [])
    assert choice.capacity_type == "on-demand"


def test_unknown_type_falls_back_to_the_same_type_on_demand() -> None:
    choice = _choose(_market(), _request(instance_type="x9.mega"), [])
    assert (choice.capacity_type, choice.instance_type) == ("on-demand", "x9.mega")
    assert "not in the catalogue" in choice.reasons[0]


@st.composite
def scenarios(draw: st.DrawFn) -> tuple[Market, ReplacementRequest, list[HivePool]]:
    zones = [AZ1, AZ2, AZ3][: draw(st.integers(1, 3))]
    pools = []
    for i in range(draw(st.integers(1, 6))):
        vcpus = draw(st.sampled_from([2, 4, 8]))
        memory = float(vcpus * draw(st.sampled_from([2, 4, 8])))
        on_demand = round(vcpus * draw(st.floats(0.03, 0.08)), 4)
        name = f"{draw(st.sampled_from(['m', 'c', 'r']))}{i + 5}{draw(st.sampled_from(['', 'g']))}.size{vcpus}"
        for zone in draw(st.lists(st.sampled_from(zones), min_size=1, unique=True)):
            spot = round(on_demand * draw(st.floats(0.2, 1.1)), 4)
            pools.append((name, vcpus, memory, zone, spot, on_demand, draw(st.integers(0, 4))))
    m = market(pools)
    interrupted = draw(st.sampled_from(pools))
    keys = sorted({(p[3], p[0]) for p in pools})
    flagged = [HivePool(REGION, z, t) for z, t in draw(st.lists(st.sampled_from(keys), unique=True))]
    request = ReplacementRequest(REGION, interrupted[0], interrupted[3], interrupted[3])
    return m, request, flagged


@settings(max_examples=150, deadline=None)
@given(scenarios())
def test_never_a_flagged_or_interrupted_pool_and_always_the_shape(
    scenario: tuple[Market, ReplacementRequest, list[HivePool]],
) -> None:
    m, request, flagged = scenario
    offerings = build_offerings(m.history, m.catalog, m.on_demand, m.advisor, m.at)
    choice = choose_replacement(request, offerings, m.catalog, _excluded(flagged), get_strategy(), m.at)
    interrupted = m.catalog.get(request.instance_type)
    chosen = m.catalog.get(choice.instance_type)
    assert interrupted is not None and chosen is not None
    assert chosen.vcpus >= interrupted.vcpus and chosen.memory_gib >= interrupted.memory_gib
    assert chosen.arch == interrupted.arch
    assert choice.reasons
    if choice.capacity_type == "spot":
        assert (choice.instance_type, choice.az_id) != (request.instance_type, request.az_id)
        assert HivePool(REGION, choice.az_id or "", choice.instance_type) not in flagged
        assert any(zone_id(o) == choice.az_id and o.instance_type == choice.instance_type for o in offerings)
