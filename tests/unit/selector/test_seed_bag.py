"""The served model: each seed-dependent member fitted with several seeds, as many as their cost allows."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from services.selector import final_model, seed_bag
from tests.unit.selector.test_final_model import job, medians
from zygarde.ml import cv, ensemble


def test_fits_each_is_what_the_share_of_the_search_pays_for_up_to_the_cap() -> None:
    allowed = seed_bag.SHARE * 100.0
    assert seed_bag.fits_each([2.0, 6.0], spent=100.0) == 1 + int(allowed / 8.0) < seed_bag.MAX_SEEDS
    assert seed_bag.fits_each([allowed + 0.1], spent=100.0) == 1  # a second round costs more than the share
    assert seed_bag.fits_each([allowed / 2], spent=100.0) == 3
    assert seed_bag.fits_each([seed_bag.FREE_SECONDS / 2], spent=0.0) == 3  # small extra fits are free
    assert seed_bag.fits_each([1.0], spent=1e6) == seed_bag.MAX_SEEDS
    assert seed_bag.fits_each([0.0], spent=0.0) == seed_bag.MAX_SEEDS
    assert seed_bag.fits_each([], spent=1e6) == 1  # no seed-dependent member
    assert seed_bag.varies("lightgbm") and seed_bag.varies("random_forest")
    assert not seed_bag.varies("ridge") and not seed_bag.varies("logistic_regression")
    assert not seed_bag.varies("no-such-algorithm")


def test_a_seed_dependent_winner_is_served_as_the_mean_of_its_seeds(tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    spec, frame, train, holdout, board = job(tmp_path, keep=False)
    forest = next(t for t in board.trials if t["algorithm"] == "random_forest")
    monkeypatch.setattr(seed_bag, "SHARE", 1e6)  # cost is no limit: every member gets MAX_SEEDS fits
    built = final_model.build(tmp_path.as_uri(), board, "j", spec, "regression", frame, train, holdout, forest)
    assert built.kind == "single" and built.ensemble["final_fits"] == [{"trial_id": forest["_id"],
                                                                       "fits": seed_bag.MAX_SEEDS}]
    served = built.final
    assert isinstance(served, ensemble.WeightedEnsemble) and len(served.members) == seed_bag.MAX_SEEDS
    assert served.weights == pytest.approx([1 / seed_bag.MAX_SEEDS] * seed_bag.MAX_SEEDS)
    X = cv.features(holdout, spec.dataset)
    own = cv.fit_final(spec, "regression", "random_forest", forest["params"], frame, spec.search.seed)
    assert np.allclose(served.members[0].predict(X), own.predict(X))  # the job's seed first: the unbagged model
    preds = [m.predict(X) for m in served.members]
    assert all(not np.allclose(preds[0], p) for p in preds[1:])  # every other fit has its own seed
    assert np.allclose(served.predict(X), np.mean(preds, axis=0))
    for member in served.members:  # each fitted on every row the user gave
        assert np.allclose(medians(member), np.median(frame.drop(columns="y").to_numpy(), axis=0))
    # the holdout score is still the single fit's on the training part
    assert built.pipeline is built.fitted[forest["_id"]]


def test_a_seed_free_winner_is_served_as_its_one_pipeline(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    spec, frame, train, holdout, board = job(tmp_path, keep=False)
    ridge = next(t for t in board.trials if t["algorithm"] == "ridge")
    monkeypatch.setattr(seed_bag, "SHARE", 1e6)
    built = final_model.build(tmp_path.as_uri(), board, "j", spec, "regression", frame, train, holdout, ridge)
    assert built.ensemble["final_fits"] == [{"trial_id": ridge["_id"], "fits": 1}]
    assert not isinstance(built.final, ensemble.WeightedEnsemble)
    assert np.allclose(medians(built.final), np.median(frame.drop(columns="y").to_numpy(), axis=0))
