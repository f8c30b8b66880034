"""What a model artifact promises: the target it predicts and the features it reads, in order.

Bump CONTRACT_VERSION whenever a feature's meaning, the feature order or the target changes: the loader refuses
an artifact whose version or feature list differs from this module's.
"""

from __future__ import annotations

CONTRACT_VERSION = 1

HOUR = 3600
DAY = 24 * HOUR

# The target, defined once (the seed's definition, and the backtest's instability event): a pool is unstable at t
# if its Spot price rises TARGET_RISE or more above its price at t at some moment of (t, t + TARGET_HORIZON].
TARGET_RISE = 0.03
TARGET_HORIZON = 12 * HOUR

WINDOW = 7 * DAY  # the rolling window of the price statistics
SHORT_WINDOW = DAY

FEATURE_NAMES: tuple[str, ...] = (
    "price_position_7d",  # (price - 7 d min) / (7 d max - 7 d min); 0.5 when the price was flat
    "price_vs_mean_7d",  # price / time-weighted 7 d mean - 1
    "discount",  # 1 - price / On-Demand; NaN when no On-Demand price is known
    "volatility_7d",  # time-weighted std / mean over 7 d
    "range_7d",  # (max - min) / mean over 7 d: the weekly move the rank gate uses
    "range_24h",  # (max - min) / price over the last 24 h
    "trend_24h",  # price / price 24 h earlier - 1; NaN without that much history
    "trend_7d",  # price / price 7 d earlier - 1
    "changes_7d",  # price records within the window
    "hours_since_change",
    "history_hours",  # hours of history in the window (new pools have less), at most 168
    "family_position_mean",  # mean price_position_7d of the other sizes of the family in the same zone
    "family_position_max",  # their max: the "hardware contagion" signal
    "family_trend_24h_max",  # the largest 24 h rise among them
    "advisor_bucket",  # Spot Advisor interruption bucket 0..4; NaN when unknown
    "hour",  # UTC hour of day
    "day_of_week",  # 0 = Monday
    "weekend",
)
