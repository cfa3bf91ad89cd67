"""A message written by a newer version still reads: unknown fields are ignored everywhere in it,
job spec parts included, while a job spec a person submits stays strict."""

from __future__ import annotations

import json
from typing import Any

import pytest

from zygarde import events as ev
from zygarde.errors import DecodeError

SPEC: dict[str, Any] = {
    "name": "newer", "dataset": {"uri": "builtin:breast_cancer", "target": "target", "sampling": "x"},
    "metric": "roc_auc", "algorithms": ["noop", {"name": "ridge", "space": {}, "warm_start": True}],
    "search": {"strategy": "tpe", "max_trials": 3, "n_ei_candidates": 48}, "cv": {"folds": 2, "gap": 1},
    "explain": {"shap": True},
}


def trial_requested(spec: Any) -> bytes:
    return json.dumps({"type": "TrialRequested", "job_id": "j", "trial_id": "j-00000", "index": 0,
                       "algorithm": "noop", "params": {}, "spec": spec, "task": "binary", "seed": 1,
                       "priority_class": "gold"}).encode()


def test_a_newer_planners_trial_request_reads_with_its_new_fields_ignored() -> None:
    event = ev.decode(trial_requested(SPEC))
    assert isinstance(event, ev.TrialRequested)
    assert event.spec.search.max_trials == 3 and event.spec.cv.folds == 2
    assert event.spec.algorithms == ["noop", ev.AlgorithmChoice(name="ridge", space={})]


def test_a_newer_planners_job_accepted_reads() -> None:
    raw = json.dumps({"type": "JobAccepted", "job_id": "j", "spec": SPEC, "task": "binary", "planned_trials": 3})
    assert ev.decode(raw).spec.name == "newer"  # type: ignore[attr-defined]


def test_a_person_still_gets_every_unknown_field_as_an_error() -> None:
    with pytest.raises(ValueError) as info:
        ev.JobSpec.model_validate(SPEC)
    assert str(info.value).count("Extra inputs are not permitted") == 5


@pytest.mark.parametrize("spec", [[1, 2], "spec", None, {"dataset": []}])
def test_a_malformed_spec_is_still_refused(spec: Any) -> None:
    with pytest.raises(DecodeError):
        ev.decode(trial_requested(spec))
