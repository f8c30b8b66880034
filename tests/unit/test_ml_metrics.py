"""Metrics of the model and its baselines, checked against hand-computed values."""

from __future__ import annotations

import numpy as np
import pytest

from ml.metrics import at_threshold, best_f1_threshold, evaluate_scores, roc_auc


def test_auc_counts_ties_half_and_orders_pairs() -> None:
    labels = np.array([0.0, 0.0, 1.0, 1.0])
    assert roc_auc(labels, np.array([0.1, 0.2, 0.3, 0.4])) == 1.0
    assert roc_auc(labels, np.array([0.4, 0.3, 0.2, 0.1])) == 0.0
    assert roc_auc(labels, np.array([0.5, 0.5, 0.5, 0.5])) == 0.5
    assert roc_auc(labels, np.array([0.1, 0.3, 0.2, 0.4])) == pytest.approx(0.75)
    assert np.isnan(roc_auc(np.zeros(3), np.array([0.1, 0.2, 0.3])))


def test_precision_recall_f1_at_a_threshold() -> None:
    labels = np.array([1.0, 1.0, 0.0, 0.0, 1.0])
    scores = np.array([0.9, 0.6, 0.7, 0.1, 0.2])
    precision, recall, f1 = at_threshold(labels, scores, 0.5)
    assert (precision, recall) == pytest.approx((2 / 3, 2 / 3)) and f1 == pytest.approx(2 / 3)
    assert at_threshold(labels, scores, 0.95) == (0.0, 0.0, 0.0)


def test_best_threshold_maximises_f1_and_keeps_tied_scores_together() -> None:
    labels = np.array([1.0, 1.0, 0.0, 0.0, 1.0, 0.0])
    scores = np.array([0.9, 0.8, 0.8, 0.1, 0.7, 0.05])
    threshold = best_f1_threshold(labels, scores)
    assert threshold == 0.7  # calls 4 (3 right): F1 6/7, better than 0.9 (F1 1/2) or 0.8 (F1 2/3)
    assert evaluate_scores(labels, scores, threshold).f1 == pytest.approx(6 / 7)
