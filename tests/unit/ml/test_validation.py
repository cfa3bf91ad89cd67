"""Job validation: every reason at once, semantic checks despite structural errors, defaults."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.unit.ml.conftest import frame
from zygarde.errors import SpecError
from zygarde.events import JobSpec
from zygarde.ml import algorithms
from zygarde.ml.validation import check_job, check_job_details


@pytest.fixture
def root(tmp_path: Path) -> Path:
    df = frame("binary").assign(day=range(240), shop=[f"s{i % 4}" for i in range(240)])
    df.to_csv(tmp_path / "d.csv", index=False)
    return tmp_path


def check(raw: dict[str, Any], root: Path) -> list[str]:
    with pytest.raises(SpecError) as info:
        check_job(raw, [root], root / "cache")
    assert info.value.reasons and all(isinstance(r, str) and r for r in info.value.reasons)
    return info.value.reasons


def test_a_valid_spec_resolves_task_and_default_algorithms(root: Path) -> None:
    raw = {"dataset": {"uri": (root / "d.csv").as_uri(), "target": "y"}, "metric": "roc_auc"}
    spec, task = check_job(raw, [root], root / "cache")
    assert task == "binary" and spec.algorithm_names() == algorithms.default_algorithms("binary")
    knn = {"name": "knn", "space": {"n_neighbors": {"int": [1, 9]}}}
    spec, task = check_job({"dataset": {"uri": "builtin:diabetes", "target": "target"}, "metric": "rmse",
                            "algorithms": ["ridge", knn]}, [root], root / "cache")
    assert task == "regression" and spec.algorithm_names() == ["ridge", "knn"]


def test_every_problem_is_reported_at_once(root: Path) -> None:
    reasons = check({"dataset": {"uri": "builtin:breast_cancer", "target": "target", "drop": ["nope"]},
                     "metric": "rmse", "algorithms": ["ridge", "unknown",
                                                      {"name": "knn", "space": {"k": {"int": [5, 1]}}}],
                     "search": {"max_trials": -1}, "cv": {"strategy": "group"}}, root)
    text = " | ".join(reasons)
    for fragment in ("search.max_trials", "unknown algorithm 'unknown'", "rmse does not fit a binary task",
                     "ridge does not support a binary task", "dataset.drop: column 'nope'",
                     "algorithms.2.space.k", "the group strategy needs a group column"):
        assert fragment in text, text


@pytest.mark.parametrize("patch, fragment", [
    pytest.param({"metric": "nope"}, "unknown metric 'nope'", id="unknown-metric"),
    pytest.param({"metric": "r2"}, "r2 does not fit a binary task", id="metric-task"),
    pytest.param({"dataset": {"target": "y"}}, "dataset.uri", id="missing-uri"),
    pytest.param({"dataset": {"uri": "URI"}}, "dataset.target", id="missing-target"),
    pytest.param({"dataset": {"uri": "URI", "target": "zz"}}, "'zz' is not in the dataset", id="no-target"),
    pytest.param({"dataset": {"uri": "file:///etc/passwd", "target": "y"}}, "outside the data", id="outside"),
    pytest.param({"dataset": {"uri": "http://x/d.csv", "target": "y"}}, "scheme 'http'", id="http"),
    pytest.param({"dataset": {"uri": "URI", "target": "y", "drop": ["y"]}}, "is the target", id="drop-y"),
    pytest.param({"cv": {"strategy": "timeseries"}}, "needs an order column", id="timeseries-no-column"),
    pytest.param({"cv": {"strategy": "group", "column": "nope"}}, "column 'nope'", id="absent-cv-column"),
    pytest.param({"cv": {"strategy": "group", "column": "shop", "folds": 5}}, "4 groups", id="few-groups"),
    pytest.param({"cv": {"folds": 20}, "dataset": {"uri": "URI", "target": "f0x"}}, "f0x", id="no-f0x"),
    pytest.param({"algorithms": []}, "the list is empty", id="empty-algorithms"),
    pytest.param({"algorithms": [{"name": "ridge"}]}, "ridge does not support", id="algorithm-task"),
    pytest.param({"algorithms": [{"name": "knn", "space": {"p": {"when": 5, "int": [1, 2]}}}]}, "space",
                 id="malformed-space"),
    pytest.param({"task": "regression", "metric": "rmse", "imbalance": {"strategy": "smote"}},
                 "classification only", id="imbalance-regression"),
    pytest.param({"task": "multiclass", "dataset": {"uri": "URI", "target": "color"}, "cv": {"folds": 20},
                  "metric": "accuracy"}, None, id="valid-multiclass"),
])
def test_single_problems(root: Path, patch: dict[str, Any], fragment: str | None) -> None:
    raw: dict[str, Any] = {"dataset": {"uri": (root / "d.csv").as_uri(), "target": "y"}, "metric": "roc_auc"}
    for key, value in patch.items():
        raw[key] = value
    if isinstance(raw["dataset"], dict) and raw["dataset"].get("uri") == "URI":
        raw["dataset"]["uri"] = (root / "d.csv").as_uri()
    if fragment is None:
        check_job(raw, [root], root / "cache")
        return
    assert any(fragment in r for r in check(raw, root)), check(raw, root)


def test_folds_larger_than_the_smallest_class(root: Path) -> None:
    df = frame("binary", n=100)
    df.loc[df.index[:97], "y"] = 0
    df.loc[df.index[97:], "y"] = 1
    df.to_csv(root / "rare.csv", index=False)
    reasons = check({"dataset": {"uri": (root / "rare.csv").as_uri(), "target": "y"}, "metric": "roc_auc",
                     "cv": {"folds": 5}}, root)
    assert any("rarest class has only 3 rows" in r for r in reasons)


@pytest.mark.parametrize("raw", [
    pytest.param([], id="list"),
    pytest.param({"dataset": [1, 2], "metric": 5, "algorithms": {"a": 1}, "cv": "x"}, id="wrong-types"),
    pytest.param({"dataset": {"uri": "builtin:wine", "target": "target", "drop": 5}, "metric": "roc_auc"},
                 id="drop-not-a-list"),
    pytest.param({"dataset": {"uri": "builtin:wine", "target": "target"}, "metric": "roc_auc",
                  "algorithms": [{"name": "knn", "space": [1, 2]}, {"name": 3}]}, id="odd-algorithms"),
])
def test_malformed_specs_are_refused_with_reasons_never_a_crash(root: Path, raw: Any) -> None:
    check(raw, root)


JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-10**6, 10**6) | st.floats(allow_nan=False) | st.text(max_size=9),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=12,
)
SPECS = st.fixed_dictionaries({}, optional={
    "dataset": st.fixed_dictionaries({}, optional={
        "uri": st.sampled_from(["builtin:wine", "builtin:nope", "file:///etc/passwd", ""]) | JSON,
        "target": st.sampled_from(["target", "", "alcohol"]) | JSON, "drop": JSON, "holdout": JSON}),
    "metric": st.sampled_from(["roc_auc", "rmse", "accuracy"]) | JSON, "task": JSON,
    "algorithms": st.lists(st.sampled_from(["knn", "ridge", "nope"]) | st.fixed_dictionaries(
        {"name": st.sampled_from(["knn", "catboost"])}, optional={"space": JSON}), max_size=3) | JSON,
    "cv": st.fixed_dictionaries({}, optional={"folds": JSON, "strategy": st.sampled_from(
        ["group", "timeseries", "kfold"]) | JSON, "column": st.sampled_from(["alcohol", "nope"]) | JSON}),
    "imbalance": JSON,
})


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(raw=SPECS)
def test_any_spec_is_accepted_or_refused_with_reasons(raw: dict[str, Any], tmp_path_factory: Any) -> None:
    tmp = tmp_path_factory.getbasetemp()
    try:
        spec, task = check_job(raw, [tmp], tmp / "cache")
    except SpecError as exc:
        assert exc.reasons and all(isinstance(r, str) and r for r in exc.reasons)
    else:
        assert spec.dataset.uri == "builtin:wine" and task in ("binary", "multiclass", "regression")
        assert spec.algorithm_names()


@pytest.mark.parametrize("task, values, fragment", [
    pytest.param("auto", ["yes"] * 40, "same class ('yes')", id="one-class-auto"),
    pytest.param("binary", [1] * 40, "same class (1)", id="one-class-binary"),
    pytest.param("regression", [2.5] * 40, "same value (2.5)", id="constant-regression"),
])
def test_a_target_with_one_value_is_refused_with_the_reason(root: Path, task: str, values: list[Any],
                                                             fragment: str) -> None:
    frame("binary", n=40).assign(y=values).to_csv(root / "one.csv", index=False)
    reasons = check({"dataset": {"uri": (root / "one.csv").as_uri(), "target": "y"}, "task": task,
                     "cv": {"folds": 3}}, root)
    assert any(fragment in r and "nothing to learn" in r for r in reasons), reasons


def test_rows_without_a_target_are_counted_in_the_warnings(root: Path) -> None:
    df = frame("binary", n=60)
    df.loc[df.index[:7], "y"] = None
    df.to_csv(root / "gaps.csv", index=False)
    checked = check_job_details({"dataset": {"uri": (root / "gaps.csv").as_uri(), "target": "y"}},
                                [root], root / "cache")
    assert checked.warnings == ["dataset.target: 7 of 60 rows have no 'y' value and are left out of "
                                "training and scoring"]
    assert check_job_details({"dataset": {"uri": (root / "d.csv").as_uri(), "target": "y"}},
                             [root], root / "cache").warnings == []


@pytest.mark.parametrize("uri, target, metric", [
    pytest.param("builtin:breast_cancer", "target", "roc_auc", id="binary"),
    pytest.param("builtin:wine", "target", "logloss", id="multiclass"),
    pytest.param("builtin:diabetes", "target", "rmse", id="regression"),
])
@pytest.mark.parametrize("given", [{}, {"metric": None}, {"metric": ""}], ids=["absent", "null", "empty"])
def test_a_spec_without_a_metric_gets_the_tasks_default(root: Path, uri: str, target: str, metric: str,
                                                        given: dict[str, Any]) -> None:
    spec, _ = check_job({"dataset": {"uri": uri, "target": target}, **given}, [root], root / "cache")
    assert spec.metric == metric
    assert JobSpec.model_validate(spec.model_dump(mode="json")).metric == metric  # the stored spec keeps it


@pytest.mark.parametrize(("metric", "given", "accepted"), [
    ("balanced_accuracy", None, "class_weight"),  # the metric counts every class alike: balanced weights
    ("roc_auc", None, "none"),
    ("balanced_accuracy", "none", "none"),  # the user's own choice stands
    ("roc_auc", "class_weight", "class_weight"),
])
def test_an_auto_imbalance_strategy_follows_the_metric(root: Path, metric: str, given: str | None,
                                                        accepted: str) -> None:
    raw: dict[str, Any] = {"dataset": {"uri": (root / "d.csv").as_uri(), "target": "y"}, "metric": metric}
    if given is not None:
        raw["imbalance"] = {"strategy": given}
    spec, _ = check_job(raw, [root], root / "cache")
    assert spec.imbalance.strategy == accepted


def test_an_auto_imbalance_strategy_on_a_regression_is_none() -> None:
    spec, task = check_job({"dataset": {"uri": "builtin:diabetes", "target": "target"}, "metric": "rmse"}, [],
                           Path("/nonexistent-cache"))
    assert task == "regression" and spec.imbalance.strategy == "none"
