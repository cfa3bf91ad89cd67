"""The strategy registry (STRATEGIES) is the one list of names: a job is checked against it where it enters
the planner, and the published schemas list it. Adding a strategy is its file and its registry line."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from services.planner.schemas import refine
from services.planner.strategies import STRATEGIES
from zygarde import events as ev
from zygarde.errors import SpecError
from zygarde.ml.validation import check_job_details

RAW = {"dataset": {"uri": "builtin:breast_cancer", "target": "target"}, "metric": "roc_auc", "algorithms": ["ridge"]}


def reasons(strategy: str, tmp_path: Path) -> list[str]:
    raw: dict[str, Any] = {**RAW, "algorithms": ["logistic_regression"], "search": {"strategy": strategy}}
    try:
        check_job_details(raw, [tmp_path], tmp_path / "cache", STRATEGIES)
    except SpecError as exc:
        return exc.reasons
    return []


def test_every_registered_strategy_is_accepted_and_another_name_is_not(tmp_path: Path) -> None:
    for name in STRATEGIES:
        assert reasons(name, tmp_path) == [], name
    assert reasons("annealing", tmp_path) == [
        f"search.strategy: unknown search strategy 'annealing'; expected one of {', '.join(STRATEGIES)}"]


def test_the_default_strategy_is_registered() -> None:
    assert ev.SearchSpec().strategy == "auto" and "auto" in STRATEGIES


def test_a_name_added_to_the_registry_is_accepted_and_published(tmp_path: Path, monkeypatch: Any) -> None:
    monkeypatch.setitem(STRATEGIES, "annealing", "annealing:AnnealingStrategy")
    assert reasons("annealing", tmp_path) == []
    published = ev.json_schemas(list(STRATEGIES))
    for name in ("JobSpec", "JobAccepted", "TrialRequested"):
        assert published[name]["$defs"]["SearchSpec"]["properties"]["strategy"]["enum"] == list(STRATEGIES)
    openapi = refine({"paths": {"/jobs": {"post": {"responses": {"202": {}}}}}}, frozenset())
    assert openapi["components"]["schemas"]["SearchSpec"]["properties"]["strategy"]["enum"] == list(STRATEGIES)


def test_without_a_registry_the_kernel_does_not_judge_the_name(tmp_path: Path) -> None:
    """Services other than the planner read specs the planner accepted: no registry of theirs to consult."""
    spec = ev.JobSpec.model_validate({**RAW, "search": {"strategy": "from-a-newer-planner"}})
    assert spec.search.strategy == "from-a-newer-planner"
    with pytest.raises(SpecError):
        check_job_details({**RAW, "search": {"max_trials": 0}}, [tmp_path], tmp_path / "cache")
