"""Binary classification metrics in numpy (no scikit-learn in the runtime): AUC, precision, recall, F1."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np

from ml.pricebook import Floats


@dataclass(frozen=True, slots=True)
class Scores:
    auc: float
    precision: float
    recall: float
    f1: float

    def as_dict(self) -> dict[str, float | None]:
        """Rounded for reports; an undefined AUC (one class only) is None, which JSON can carry."""
        return {k: None if math.isnan(v) else round(v, 4) for k, v in asdict(self).items()}


def roc_auc(labels: Floats, scores: Floats) -> float:
    """Area under the ROC curve (ties count half); NaN when only one class is present."""
    positives = int(labels.sum())
    negatives = labels.size - positives
    if positives == 0 or negatives == 0:
        return float("nan")
    _, inverse, counts = np.unique(scores, return_inverse=True, return_counts=True)
    upper = np.cumsum(counts)
    average_rank = upper - (counts - 1) / 2.0  # 1-based rank shared by tied scores
    rank_sum = float(average_rank[inverse][labels > 0].sum())
    return (rank_sum - positives * (positives + 1) / 2.0) / (positives * negatives)


def at_threshold(labels: Floats, scores: Floats, threshold: float) -> tuple[float, float, float]:
    """Precision, recall and F1 when scores >= threshold are called unstable (0 where undefined)."""
    called = scores >= threshold
    hits = float(np.sum(called & (labels > 0)))
    precision = hits / float(called.sum()) if called.any() else 0.0
    positives = float(labels.sum())
    recall = hits / positives if positives else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return float(precision), float(recall), float(f1)


def best_f1_threshold(labels: Floats, scores: Floats) -> float:
    """The score threshold with the highest F1 on these samples (tune on validation, never on test)."""
    order = np.argsort(-scores, kind="stable")
    ranked, hits = scores[order], np.cumsum(labels[order] > 0)
    last_of_value = np.r_[ranked[1:] != ranked[:-1], True]  # a threshold takes every sample with that score
    called = np.arange(1, ranked.size + 1)[last_of_value]
    f1 = 2.0 * hits[last_of_value] / (called + labels.sum())
    return float(ranked[last_of_value][int(np.argmax(f1))]) if f1.size else 0.5


def evaluate_scores(labels: Floats, scores: Floats, threshold: float) -> Scores:
    precision, recall, f1 = at_threshold(labels, scores, threshold)
    return Scores(roc_auc(labels, scores), precision, recall, f1)
