"""The selector's second candidate: the mean of the best algorithm's trials tied with the best by CV."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from services.selector import final_model, tied
from tests.unit.selector.test_final_model import Board, job
from zygarde.ml import cv, oof


def trial(i: int, algorithm: str, key: float, std: float = 0.01, folds: int = 5) -> dict[str, Any]:
    return {"_id": f"j-{i:05d}", "algorithm": algorithm, "sort_key": key, "cv_std": std,
            "fold_scores": [key] * folds}


def test_members_are_the_best_algorithms_trials_within_one_standard_error() -> None:
    # the best's standard error: 0.01 / sqrt(4) = 0.005
    leaders = [trial(0, "lightgbm", 0.880, folds=4), trial(1, "catboost", 0.879), trial(2, "lightgbm", 0.8776),
               trial(3, "lightgbm", 0.8749), trial(4, "lightgbm", 0.8751)]
    assert tied.members(leaders, leaders[0]) == [0, 2, 4]
    assert tied.standard_error(leaders[0]) == pytest.approx(0.005)


def test_members_are_capped_best_first_and_need_a_spread() -> None:
    leaders = [trial(i, "lightgbm", 0.9 - i * 1e-4) for i in range(9)]
    assert tied.members(leaders, leaders[0]) == list(range(tied.MAX_MEMBERS))
    assert tied.members(leaders, {**leaders[0], "cv_std": None}) == []
    assert tied.members(leaders, {**leaders[0], "fold_scores": [0.9]}) == []
    assert tied.members(leaders, {**leaders[0], "cv_std": 0.0}) == [0]  # no peer within no noise


def tied_board(tmp_path: Path, spread: float) -> tuple[Any, ...]:
    """Three ridge trials a hair apart by CV and a knn trial; rmse's sort key is its negative."""
    spec, frame, train, holdout, _ = job(tmp_path)
    trials = []
    for i, (algorithm, params) in enumerate([("ridge", {"alpha": 1.0}), ("ridge", {"alpha": 30.0}),
                                             ("ridge", {"alpha": 60.0}), ("knn", {"n_neighbors": 7})]):
        result = cv.run_cv(spec, "regression", algorithm, params, train, 0, keep_oof=True)
        uri, sha = oof.store(tmp_path.as_uri(), "j", f"j-{i:05d}", 1, result.oof)  # type: ignore[arg-type]
        trials.append({"_id": f"j-{i:05d}", "algorithm": algorithm, "params": params, "cv_mean": result.mean,
                       "sort_key": -result.mean, "cv_std": spread, "fit_seconds": result.fit_seconds,
                       "fold_scores": result.fold_scores, "oof": {"uri": uri, "sha256": sha}})
    return spec, frame, train, holdout, Board(trials)


def test_when_greedy_selection_is_turned_away_the_tied_trials_mean_is_the_candidate(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    spec, frame, train, holdout, board = tied_board(tmp_path, spread=5.0)
    best = board.trials[0]
    ridges = [t["_id"] for t in board.trials if t["algorithm"] == "ridge"]
    monkeypatch.setattr(final_model, "MIN_GAIN", 10.0)  # no greedy ensemble is ever worth fitting
    found, why = final_model.candidate(tmp_path.as_uri(), board, "j", spec, "regression", train, best)
    assert found is not None, why
    assert found.method == "tied mean" and sorted(t["_id"] for t in found.trials) == sorted(ridges)
    assert found.weights == pytest.approx([1 / 3] * 3) and found.size == 3
    assert "not worth fitting its members; instead the mean of 3 ridge trials" in why
    preds = [oof.load(tmp_path.as_uri(), t["oof"]["uri"], t["oof"]["sha256"]) for t in found.trials]
    y = cv.prepare(train, spec).y.to_numpy()
    assert found.oof_score == pytest.approx(float(np.sqrt(np.mean((np.mean(preds, axis=0) - y) ** 2))), rel=1e-5)

    built = final_model.build(tmp_path.as_uri(), board, "j", spec, "regression", frame, train, holdout, best)
    assert built.ensemble["tried"] and built.ensemble["method"] == "tied mean"
    assert sorted(m["trial_id"] for m in built.ensemble["members"]) == sorted(ridges)


def test_without_tied_peers_the_greedy_reason_stands(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    spec, _, train, _, board = tied_board(tmp_path, spread=1e-9)  # folds agree: no peer is within the noise
    monkeypatch.setattr(final_model, "MIN_GAIN", 10.0)
    found, why = final_model.candidate(tmp_path.as_uri(), board, "j", spec, "regression", train, board.trials[0])
    assert found is None and why.endswith("not worth fitting its members"), why
