"""The model a job announces: the best trial or an ensemble of the top trials, measured on the holdout
after a fit on the training part, then (final_refit=all) refitted on every row."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import make_friedman1

from services.selector import final_model
from zygarde import events as ev
from zygarde.ml import cv, ensemble, metrics, oof

TRIALS = [("ridge", {}), ("knn", {"n_neighbors": 7}), ("random_forest", {"n_estimators": 40})]


class Board:
    """The part of ResultRepository the selection reads: completed full-data trials, best first."""

    def __init__(self, trials: list[dict[str, Any]]) -> None:
        self.trials = sorted(trials, key=lambda t: t["cv_mean"])  # rmse: lower is better

    def leaderboard(self, job_id: str, limit: int = 1000) -> list[dict[str, Any]]:
        return self.trials[:limit]


def job(tmp_path: Path, final_refit: str = "all", keep: bool = True) -> tuple[Any, ...]:
    X, y = make_friedman1(n_samples=400, noise=1.0, random_state=0)
    frame = pd.DataFrame(X, columns=[f"x{i}" for i in range(10)])
    frame["y"] = y
    spec = ev.JobSpec.model_validate({"dataset": {"uri": "builtin:x", "target": "y"}, "metric": "rmse",
                                      "cv": {"folds": 3}, "final_refit": final_refit})
    train, holdout = cv.split_holdout(frame, spec.dataset, "regression", spec.search.seed)
    trials = []
    for i, (algorithm, params) in enumerate(TRIALS):
        result = cv.run_cv(spec, "regression", algorithm, params, train, 0, keep_oof=True)
        trial: dict[str, Any] = {"_id": f"j-{i:05d}", "algorithm": algorithm, "params": params, "cv_mean": result.mean,
                                 "fit_seconds": result.fit_seconds, "fold_scores": result.fold_scores}
        if keep:
            uri, sha = oof.store(tmp_path.as_uri(), "j", trial["_id"], 1, result.oof)  # type: ignore[arg-type]
            trial["oof"] = {"uri": uri, "sha256": sha}
        trials.append(trial)
    board = Board(trials)
    return spec, frame, train, holdout, board


def medians(pipeline: Any) -> np.ndarray:
    """What the pipeline's imputer learnt: the median of each numeric column over the rows it was fitted on."""
    return np.asarray(pipeline.named_steps["prep"].named_transformers_["num"].named_steps["impute"].statistics_)


def test_a_complementary_ensemble_is_announced_and_refitted_on_every_row(tmp_path: Path) -> None:
    spec, frame, train, holdout, board = job(tmp_path)
    best = board.trials[0]
    built = final_model.build(tmp_path.as_uri(), board, "j", spec, "regression", frame, train, holdout, best)
    assert built.kind == "ensemble", built.ensemble
    assert len(built.members) >= 2 and sum(m["weight"] for m in built.members) == pytest.approx(1.0)
    info = built.ensemble
    assert info["oof_score"] < info["best_oof_score"] and info["holdout_score"] < info["best_holdout_score"]
    features, y = cv.features(holdout, spec.dataset), holdout["y"]
    rmse = metrics.get("rmse")
    assert built.holdout_score == pytest.approx(metrics.score(rmse, built.pipeline, features, y))
    assert built.holdout_score == info["holdout_score"]
    single = metrics.score(rmse, built.fitted[best["_id"]], features, y)
    assert single == pytest.approx(info["best_holdout_score"]) and built.holdout_score < single

    # what was measured was fitted on the training part; what is served, on every row
    assert isinstance(built.final, ensemble.WeightedEnsemble) and built.final_rows == len(frame)
    fits = [f["fits"] for f in built.ensemble["final_fits"]]  # a seed-dependent member: fits with several seeds
    assert [f["trial_id"] for f in built.ensemble["final_fits"]] == [m["trial_id"] for m in built.members]
    assert built.final.weights == pytest.approx([m["weight"] / n for m, n in zip(built.members, fits, strict=True)
                                                 for _ in range(n)])
    x_all, x_train = frame.drop(columns="y").to_numpy(), train.drop(columns="y").to_numpy()
    for measured in built.pipeline.members:
        assert np.allclose(medians(measured), np.median(x_train, axis=0))
    for served in built.final.members:
        assert np.allclose(medians(served), np.median(x_all, axis=0))
    assert not np.allclose(np.median(x_all, axis=0), np.median(x_train, axis=0))


def test_final_refit_train_serves_the_measured_model(tmp_path: Path) -> None:
    spec, frame, train, holdout, board = job(tmp_path, final_refit="train")
    built = final_model.build(tmp_path.as_uri(), board, "j", spec, "regression", frame, train, holdout,
                              board.trials[0])
    assert built.final is built.pipeline and built.final_rows == len(train)


def test_without_out_of_fold_predictions_the_best_trial_is_refitted_on_every_row(tmp_path: Path) -> None:
    spec, frame, train, holdout, board = job(tmp_path, keep=False)
    best = board.trials[0]
    built = final_model.build(tmp_path.as_uri(), board, "j", spec, "regression", frame, train, holdout, best)
    assert built.kind == "single" and built.members[0]["trial_id"] == best["_id"]
    assert not built.ensemble["tried"] and "no out-of-fold" in built.ensemble["reason"]
    assert np.allclose(medians(built.final), np.median(frame.drop(columns="y").to_numpy(), axis=0))
    assert np.allclose(medians(built.pipeline), np.median(train.drop(columns="y").to_numpy(), axis=0))
    assert built.holdout_score == pytest.approx(
        metrics.score(metrics.get("rmse"), built.pipeline, cv.features(holdout, spec.dataset), holdout["y"]))


def test_an_ensemble_that_only_wins_out_of_fold_is_not_announced(tmp_path: Path) -> None:
    # a near-constant model whose stored predictions claim to cancel the best trial's errors exactly:
    # the pair is perfect out of fold, and worse than the best trial alone on the holdout
    spec, frame, train, holdout, board = job(tmp_path)
    y = cv.prepare(train, spec).y.to_numpy()
    best_oof = oof.load(tmp_path.as_uri(), board.trials[0]["oof"]["uri"], board.trials[0]["oof"]["sha256"])
    uri, sha = oof.store(tmp_path.as_uri(), "j", "j-00009", 1, 2 * y - best_oof)
    board.trials.append({"_id": "j-00009", "algorithm": "ridge", "params": {"alpha": 1e6}, "cv_mean": 9.0,
                         "oof": {"uri": uri, "sha256": sha}})
    best = board.trials[0]
    built = final_model.build(tmp_path.as_uri(), board, "j", spec, "regression", frame, train, holdout, best)
    assert built.ensemble["tried"] and "j-00009" in [m["trial_id"] for m in built.ensemble["members"]]
    assert built.ensemble["holdout_score"] > built.ensemble["best_holdout_score"]
    assert built.kind == "single" and built.members == [
        {"trial_id": best["_id"], "algorithm": best["algorithm"], "params": best["params"], "weight": 1.0}]
    # the out-of-fold gain outweighs the holdout's loss by rows; the holdout's veto turns it away
    assert built.ensemble["pooled_gain"] > 0
    assert "worse on the holdout by over 2 standard errors" in built.ensemble["reason"]


def test_a_tampered_prediction_file_is_left_out(tmp_path: Path) -> None:
    spec, frame, train, holdout, board = job(tmp_path)
    second = board.trials[2]  # the worst: the best two still make an ensemble
    path = Path(second["oof"]["uri"].removeprefix("file://"))
    path.write_bytes(path.read_bytes()[:-4] + b"\0\0\0\0")
    found, why = final_model.candidate(tmp_path.as_uri(), board, "j", spec, "regression", train,
                                       board.trials[0])
    assert found is None or second["_id"] not in [t["_id"] for t in found.trials]
    assert found is not None and found.offered == 2, why


def test_an_out_of_fold_gain_within_the_folds_noise_is_still_judged_on_the_holdout(tmp_path: Path) -> None:
    # ridge + knn beat ridge alone out of fold here, but by less than the spread of the per-fold gains: the
    # gain and its standard error are reported, and the holdout decides
    spec, frame, train, holdout, board = job(tmp_path)
    board.trials = [t for t in board.trials if t["algorithm"] != "random_forest"]
    best = board.trials[0]
    built = final_model.build(tmp_path.as_uri(), board, "j", spec, "regression", frame, train, holdout, best)
    gain, error = built.ensemble["fold_gain"]
    assert built.ensemble["tried"] and 0 < gain <= error
    assert len(built.fitted) == 2, "the other member was fitted to be scored on the holdout"
    info = built.ensemble
    verdict = final_model.judge(info["best_oof_score"] - info["oof_score"], len(train),  # rmse: lower is better
                                info["best_holdout_score"] - info["holdout_score"], len(holdout),
                                error * np.sqrt(spec.cv.folds), len(train) / spec.cv.folds)
    assert built.kind == ("ensemble" if verdict.announce else "single")
    assert info["pooled_gain"] == pytest.approx(verdict.pooled_gain)


def test_an_out_of_fold_gain_under_min_gain_of_the_score_is_not_worth_fitting(tmp_path: Path,
                                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    spec, _, train, _, board = job(tmp_path)
    best = board.trials[0]
    found, why = final_model.candidate(tmp_path.as_uri(), board, "j", spec, "regression", train, best)
    assert found is not None, why
    share = abs(found.oof_score - found.best_oof_score) / abs(found.best_oof_score)  # the complementary gain
    assert share > final_model.MIN_GAIN
    monkeypatch.setattr(final_model, "MIN_GAIN", share * 1.01)
    found, why = final_model.candidate(tmp_path.as_uri(), board, "j", spec, "regression", train, best)
    assert found is None and "not worth fitting its members" in why, why
    monkeypatch.setattr(final_model, "MIN_GAIN", share * 0.99)
    found, why = final_model.candidate(tmp_path.as_uri(), board, "j", spec, "regression", train, best)
    assert found is not None, why


def test_an_ensemble_losing_on_the_holdout_within_its_noise_is_announced(tmp_path: Path,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    # the complementary ensemble gains clearly out of fold; the holdout is made to score it a hair worse
    # than the best trial: the two weighed together still say it gains
    spec, frame, train, holdout, board = job(tmp_path)
    real, singles = metrics.score, list[float]()

    def score(metric: Any, model: Any, X: Any, y: Any) -> float:
        if isinstance(model, ensemble.WeightedEnsemble):
            return singles[0] + 1e-6
        singles.append(float(real(metric, model, X, y)))
        return singles[-1]

    monkeypatch.setattr(metrics, "score", score)  # the module final_model scores with
    built = final_model.build(tmp_path.as_uri(), board, "j", spec, "regression", frame, train, holdout,
                              board.trials[0])
    info = built.ensemble
    assert info["holdout_score"] > info["best_holdout_score"] and info["oof_score"] < info["best_oof_score"]
    assert built.kind == "ensemble" and len(built.members) >= 2, info["reason"]
    assert "over both" in info["reason"] and info["pooled_gain"] > 0


def test_judge_weighs_the_out_of_fold_and_holdout_gains_by_their_rows() -> None:
    # out of fold +0.0066 on 685 rows, holdout -0.0004 on 171 rows, per-fold gains spread 0.0076 on 137-row folds
    verdict = final_model.judge(0.0066, 685, -0.0004, 171, 0.0076, 137)
    assert verdict.announce, verdict.reason
    assert verdict.pooled_gain == pytest.approx((685 * 0.0066 - 171 * 0.0004) / 856)
    assert verdict.holdout_error == pytest.approx(0.0076 * np.sqrt(137 / 171))
    # the holdout's noise is 0.0068 here: a loss of 0.02 there is a veto whatever the out-of-fold gain
    assert not final_model.judge(0.05, 685, -0.02, 171, 0.0076, 137).announce
    # a loss within the noise that outweighs a small out-of-fold gain: no gain over both
    small = final_model.judge(0.0001, 685, -0.001, 171, 0.0076, 137)
    assert not small.announce and small.pooled_gain < 0 and "no gain" in small.reason
    # without per-fold gains the holdout alone decides
    assert not final_model.judge(0.0066, 685, -0.0004, 171, None, 137).announce
    assert final_model.judge(0.0066, 685, 0.0004, 171, None, 137).announce


def test_an_ensemble_whose_members_cost_too_much_to_fit_is_not_tried(tmp_path: Path) -> None:
    spec, frame, train, holdout, board = job(tmp_path)
    best = board.trials[0]
    found, _ = final_model.candidate(tmp_path.as_uri(), board, "j", spec, "regression", train, best)
    assert found is not None
    others = [t for t in found.trials if t["_id"] != best["_id"]]
    for trial in board.trials:  # the other members' fits now outweigh a tenth of the search's
        trial["fit_seconds"] = 100.0 if trial in others else 1.0
    found, why = final_model.candidate(tmp_path.as_uri(), board, "j", spec, "regression", train, best)
    assert found is None and "would cost over 25%" in why
    assert final_model.refit_estimate({"fit_seconds": 6.0, "fold_scores": [1, 1, 1]}, spec) == pytest.approx(3.0)


def test_a_multiclass_job_gets_its_model(tmp_path: Path) -> None:
    """The class names of a multiclass target come as an array: the shape check must not test its truth."""
    from sklearn.datasets import make_classification

    X, y = make_classification(n_samples=300, n_classes=3, n_informative=4, random_state=0)
    frame = pd.DataFrame(X, columns=[f"x{i}" for i in range(X.shape[1])])
    frame["y"] = np.array(["a", "b", "c"])[y]
    spec = ev.JobSpec.model_validate({"dataset": {"uri": "builtin:x", "target": "y"}, "metric": "logloss",
                                      "cv": {"folds": 3}})
    train, holdout = cv.split_holdout(frame, spec.dataset, "multiclass", spec.search.seed)
    trials = []
    for i, (algorithm, params) in enumerate([("logistic_regression", {}), ("knn", {"n_neighbors": 9})]):
        result = cv.run_cv(spec, "multiclass", algorithm, params, train, 0, keep_oof=True)
        uri, sha = oof.store(tmp_path.as_uri(), "j", f"j-{i:05d}", 1, result.oof)  # type: ignore[arg-type]
        trials.append({"_id": f"j-{i:05d}", "algorithm": algorithm, "params": params, "cv_mean": result.mean,
                       "fit_seconds": result.fit_seconds, "fold_scores": result.fold_scores,
                       "oof": {"uri": uri, "sha256": sha}})
    board = Board(trials)  # logloss: lower is better, as Board sorts
    built = final_model.build(tmp_path.as_uri(), board, "j", spec, "multiclass", frame, train, holdout,
                              board.trials[0])
    assert built.kind in ("single", "ensemble")
    features = cv.features(holdout, spec.dataset)
    assert np.asarray(built.pipeline.predict_proba(features)).shape == (len(holdout), 3)


def test_every_fit_of_the_selector_and_of_fit_final_is_a_final_one(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    # final=True: an early-stopped booster fits again on every row (the trials' fits keep their held-out rows)
    spec, frame, train, holdout, board = job(tmp_path)
    seen: list[bool] = []
    from zygarde.ml.pipeline import build_pipeline as real

    def recording(*args: Any, **kwargs: Any) -> Any:
        seen.append(bool(kwargs.get("final")))
        return real(*args, **kwargs)

    monkeypatch.setattr(final_model, "build_pipeline", recording)
    monkeypatch.setattr(cv, "build_pipeline", recording)
    built = final_model.build(tmp_path.as_uri(), board, "j", spec, "regression", frame, train, holdout, board.trials[0])
    # each member: on the training part, and on every row once per seed
    fits = len(built.members) + sum(f["fits"] for f in built.ensemble["final_fits"])
    assert built.kind == "ensemble" and len(seen) == fits, seen
    cv.fit_final(spec, "regression", "ridge", {}, train, 0)
    assert len(seen) == fits + 1 and all(seen), seen


def test_the_job_end_sums_the_search_seconds_from_one_read_of_the_whole_leaderboard(tmp_path: Path) -> None:
    spec, frame, train, holdout, board = job(tmp_path)
    limits: list[int] = []
    read = board.leaderboard

    def counted(job_id: str, limit: int = 1000) -> list[dict[str, Any]]:
        limits.append(limit)
        return list(read(job_id, limit))

    board.leaderboard = counted
    final_model.build(tmp_path.as_uri(), board, "j", spec, "regression", frame, train, holdout, board.trials[0])
    assert limits.count(1000) == 1 and limits.count(ensemble.TOP_K) == 1, limits
    assert final_model.search_seconds(board, "j") == pytest.approx(sum(t["fit_seconds"] for t in board.trials))
