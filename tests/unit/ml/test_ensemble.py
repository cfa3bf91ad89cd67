"""Greedy ensemble selection (Caruana) and the weighted ensemble estimator."""

from __future__ import annotations

import functools

import numpy as np
import pytest
from sklearn.linear_model import LinearRegression, LogisticRegression

from tests.unit.ml.conftest import frame, spec
from zygarde.ml import cv, ensemble, metrics


def _complementary(n: int = 400, seed: int = 0) -> tuple[np.ndarray, list[np.ndarray]]:
    """y in {0,1}; model A sees the signal only on the first half of the rows, model B only on the
    second; C is a slightly worse copy of A. Averaging A and B beats every single model."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    noise = rng.random(n)
    half = np.arange(n) < n // 2
    a = np.where(half, 0.3 * noise + 0.7 * y, noise)
    b = np.where(~half, 0.3 * noise + 0.7 * y, noise)
    c = np.where(half, 0.5 * noise + 0.5 * y, noise)
    return y, [a, c, b]


def test_it_picks_the_complementary_member_over_a_near_copy_of_the_best() -> None:
    y, preds = _complementary()
    auc = metrics.get("roc_auc")
    score = ensemble.scorer("binary", auc, y)
    chosen = ensemble.select(preds, score, greater_is_better=True)
    singles = [score(p) for p in preds]
    assert 2 in chosen.members, "B complements A; C only copies A"
    assert chosen.score > max(singles) + 0.05
    assert sum(chosen.weights) == pytest.approx(1.0)
    assert chosen.score == pytest.approx(score(ensemble.blend([preds[m] for m in chosen.members], chosen.weights)))


def test_the_best_prefix_is_kept_and_never_worse_than_the_best_single() -> None:
    rng = np.random.default_rng(3)
    for trial in range(20):
        n = 120
        y = rng.normal(size=n)
        preds = [y + rng.normal(scale=s, size=n) + rng.normal() for s in rng.uniform(0.2, 2.0, 6)]
        rmse = metrics.get("rmse")
        score = ensemble.scorer("regression", rmse, y)
        chosen = ensemble.select(preds, score, greater_is_better=False, rounds=15, patience=None)
        assert chosen.score <= min(score(p) for p in preds) + 1e-12, trial
        assert chosen.score == pytest.approx(min(chosen.scores)), "the kept round is the best one"
        assert chosen.size == chosen.scores.index(min(chosen.scores)) + 1, "the earliest best round"
        assert len(chosen.scores) == 15


def test_a_later_worse_round_is_dropped() -> None:
    # one perfect model and a bad one: after round 1 every addition (even the perfect one again) ties
    # or worsens; the kept ensemble is the single perfect model
    y = np.array([0, 1] * 50)
    perfect, bad = y * 0.9 + 0.05, np.full(100, 0.5)
    chosen = ensemble.select([bad, perfect], ensemble.scorer("binary", metrics.get("logloss"), y), False, rounds=10)
    assert chosen.members == [1] and chosen.weights == [1.0] and chosen.size == 1


def test_ties_prefer_current_members() -> None:
    # alone, `weaker` gets one row wrong and `right` none; averaged with `right` it gets every row
    # right too, so from round 2 on adding either ties: the member already chosen is added again
    y = np.array([0, 1, 1, 0])
    weaker = np.array([0.1, 0.9, 0.45, 0.2])
    right = np.array([0.1, 0.9, 0.8, 0.2])
    chosen = ensemble.select([weaker, right], ensemble.scorer("binary", metrics.get("accuracy"), y), True, rounds=5)
    assert chosen.picks == [1] * 5 and chosen.scores == [1.0] * 5
    assert chosen.members == [1] and chosen.weights == [1.0]


@pytest.mark.parametrize("name", sorted(metrics.METRICS))
def test_every_metric_is_selected_in_its_own_direction(name: str) -> None:
    metric = metrics.get(name)
    task = "regression" if "regression" in metric.tasks else "binary" if "binary" in metric.tasks else "multiclass"
    rng = np.random.default_rng(1)
    n = 300
    y: np.ndarray
    if task == "regression":
        y = rng.uniform(1, 3, n)
        good, bad = y + rng.normal(scale=0.1, size=n), y + rng.normal(scale=1.0, size=n)
        classes = None
    elif task == "binary":
        y = rng.integers(0, 2, n)
        good = np.clip(0.8 * y + 0.2 * rng.random(n), 0, 1)
        bad = np.clip(0.2 * y + 0.8 * rng.random(n), 0, 1)
        classes = None
    else:
        classes = np.array([0, 1, 2])
        y = rng.integers(0, 3, n)
        onehot = np.eye(3)[y]
        good = 0.7 * onehot + 0.3 * rng.dirichlet(np.ones(3), n)
        bad = 0.1 * onehot + 0.9 * rng.dirichlet(np.ones(3), n)
    score = ensemble.scorer(task, metric, y, classes)
    chosen = ensemble.select([bad, good], score, metric.greater_is_better, rounds=5)
    assert 1 in chosen.members, f"{name}: the good model belongs to the ensemble"
    best_single = max(score(bad), score(good)) if metric.greater_is_better else min(score(bad), score(good))
    assert (chosen.score >= best_single if metric.greater_is_better else chosen.score <= best_single)


def test_weighted_ensemble_is_scored_like_a_single_pipeline() -> None:
    df = frame("binary", n=200, labels=("No", "Yes"))
    s = spec("roc_auc")
    X, y = cv.features(df, s.dataset), df["y"]
    a = cv.fit_final(s, "binary", "logistic_regression", {}, df, 0)
    b = cv.fit_final(s, "binary", "random_forest", {"n_estimators": 20}, df, 0)
    both = ensemble.WeightedEnsemble([a, b], [0.75, 0.25], "binary")
    expected = 0.75 * a.predict_proba(X) + 0.25 * b.predict_proba(X)
    assert np.allclose(both.predict_proba(X), expected)
    assert list(both.classes_) == ["No", "Yes"]
    assert set(both.predict(X)) <= {"No", "Yes"}
    assert (both.predict(X) == np.where(expected[:, 1] > 0.5, "Yes", "No")).all()
    assert metrics.score(metrics.get("roc_auc"), both, X, y) == pytest.approx(
        metrics.get("roc_auc").fn((y == "Yes").astype(int), expected[:, 1]))


def test_weighted_ensemble_regression_and_multiclass() -> None:
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 3))
    r1, r2 = LinearRegression().fit(X, X[:, 0]), LinearRegression().fit(X, X[:, 1])
    reg = ensemble.WeightedEnsemble([r1, r2], [1, 3], "regression")
    assert np.allclose(reg.predict(X), 0.25 * r1.predict(X) + 0.75 * r2.predict(X))
    y = rng.integers(0, 3, 60)
    m1, m2 = LogisticRegression().fit(X, y), LogisticRegression(C=0.01).fit(X, y)
    multi = ensemble.WeightedEnsemble([m1, m2], [0.5, 0.5], "multiclass")
    proba = 0.5 * m1.predict_proba(X) + 0.5 * m2.predict_proba(X)
    assert np.allclose(multi.predict_proba(X), proba)
    assert (multi.predict(X) == np.argmax(proba, axis=1)).all()


def test_selection_stops_after_rounds_without_a_better_score() -> None:
    y = np.array([0, 1] * 50)
    perfect, bad = y * 0.9 + 0.05, np.full(100, 0.5)
    score = ensemble.scorer("binary", metrics.get("logloss"), y)
    chosen = ensemble.select([bad, perfect], score, False, rounds=25, patience=4)
    assert len(chosen.scores) == 5 and chosen.size == 1, "round 1 is the best; four more rounds, then stop"
    assert len(ensemble.select([bad, perfect], score, False, rounds=25, patience=None).scores) == 25


@pytest.mark.parametrize("seed", range(5))
def test_the_rank_auc_equals_scikit_learn_s_with_ties(seed: int) -> None:
    from sklearn.metrics import roc_auc_score

    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, 300)
    pred = np.round(rng.random(300) * 0.6 + 0.4 * y, 1)  # rounded: many ties
    assert ensemble.scorer("binary", metrics.get("roc_auc"), y)(pred) == pytest.approx(roc_auc_score(y, pred),
                                                                                       abs=1e-12)


@pytest.mark.parametrize("name", ["accuracy", "balanced_accuracy"])
@pytest.mark.parametrize("absent", [False, True])
def test_the_multiclass_label_scores_from_codes_equal_scikit_learn_s(name: str, absent: bool) -> None:
    rng = np.random.default_rng(3)
    classes = np.array(["no", "perhaps", "yes"], dtype=object)
    y = classes[rng.choice(3, 500, p=[0.6, 0.3, 0.1])]
    if absent:  # a class the predictions name but no row has: balanced accuracy leaves it out
        y = np.where(y == "yes", "no", y)
    pred = rng.random((500, 3))
    pred[np.arange(500), np.searchsorted(classes, y)] += rng.random(500) * 0.8  # better than chance
    metric = metrics.get(name)
    fast = ensemble.scorer("multiclass", metric, y, classes)
    assert isinstance(fast, functools.partial), "the code path, not the generic one"
    assert fast(pred) == pytest.approx(ensemble.oof_score("multiclass", metric, y, pred, classes), abs=1e-12)
    # labels the classes do not hold (or unsorted classes): the generic path
    assert not isinstance(ensemble.scorer("multiclass", metric, y, classes[::-1]), functools.partial)
