"""A trainer keeps a full trial's out-of-fold predictions in the artifact store and names them in its
result; a store that refuses them costs the ensemble, never the result."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from services.trainer.train import Trainer, keeps_oof
from tests.recording import RecordingProducer
from zygarde import events as ev
from zygarde.ml import cv, datasets, oof
from zygarde.settings import Settings


def request(**spec: object) -> ev.TrialRequested:
    doc = {"name": "oof", "dataset": {"uri": "builtin:breast_cancer", "target": "target"}, "metric": "roc_auc",
           "algorithms": ["logistic_regression"], "cv": {"folds": 3}, **spec}
    return ev.TrialRequested(job_id="j", trial_id="j-00004", index=4, algorithm="logistic_regression", params={},
                             spec=ev.JobSpec.model_validate(doc), task="binary", seed=1, report_folds=False)


def completed(settings: Settings, trial: ev.TrialRequested) -> ev.TrialCompleted:
    producer = RecordingProducer()
    Trainer(settings, producer, "w1", heartbeat_s=60).run_trial(trial)  # type: ignore[arg-type]
    result = producer.events[-1]
    assert isinstance(result, ev.TrialCompleted), producer.events
    return result


def test_the_result_names_predictions_equal_to_the_cv_s_own(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path)
    trial = request()
    result = completed(settings, trial)
    assert result.oof_uri and result.oof_sha256
    assert Path(result.oof_uri.removeprefix("file://")).is_relative_to(tmp_path / "artifacts" / "j" / "oof")
    kept = oof.load(settings.artifact_root, result.oof_uri, result.oof_sha256)
    frame = datasets.load_frame(trial.spec.dataset.uri, settings.data_root_paths, settings.dataset_cache)
    train = cv.train_part(frame, trial.spec.dataset, "binary", trial.spec.search.seed)
    again = cv.run_cv(trial.spec, "binary", trial.algorithm, {}, train, trial.seed, keep_oof=True)
    assert again.oof is not None and np.array_equal(kept, again.oof) and len(kept) == len(train)
    assert result.fold_scores == again.fold_scores


def test_a_store_that_refuses_costs_only_the_predictions(tmp_path: Path) -> None:
    blocked = tmp_path / "artifacts"
    blocked.write_text("a file where the store's folder should be")
    result = completed(Settings(home=tmp_path), request())
    assert result.oof_uri is None and result.oof_sha256 is None and result.cv_mean > 0.9


@pytest.mark.parametrize("spec, keeps", [({}, True), ({"engine": "spark"}, False)])
def test_which_trials_keep_predictions(spec: dict[str, object], keeps: bool) -> None:
    assert keeps_oof(request(**spec)) is keeps


def test_a_trial_on_a_subsample_keeps_no_predictions(tmp_path: Path) -> None:
    result = completed(Settings(home=tmp_path), request().model_copy(update={"rows": 100}))
    assert result.rows == 100 and result.oof_uri is None and result.oof_sha256 is None
