"""The planner's budget rules and fair sharing, as pure functions (table-style)."""

from __future__ import annotations

import pytest

from services.planner.planning import JobView, budget_spent, fair_limit
from zygarde.events import SearchSpec


def view(scores: list[float | None], seconds: float = 1.0, greater: bool = True) -> JobView:
    v = JobView(total=len(scores), open=set(), greater_is_better=greater)
    for score in scores:
        v.account(score, seconds)
    return v


@pytest.mark.parametrize(("scores", "greater", "best", "since"), [
    # the first score is the best so far
    pytest.param([0.7], True, 0.7, 0, id="first"),
    # an equal score is not an improvement
    pytest.param([0.7, 0.7], True, 0.7, 1, id="tie-is-no-improvement"),
    # a failed trial never improves and counts against patience
    pytest.param([0.7, None, 0.6], True, 0.7, 2, id="failure-counts"),
    # a better score resets the count
    pytest.param([0.7, 0.6, 0.8], True, 0.8, 0, id="improvement-resets"),
    # lower is better for an error metric
    pytest.param([3.0, 2.0, 2.5], False, 2.0, 1, id="error-metric"),
    # failures before any score leave no best
    pytest.param([None, None], True, None, 2, id="no-score-yet"),
])
def test_account_tracks_best_and_trials_since(scores: list[float | None], greater: bool, best: float | None,
                                              since: int) -> None:
    v = view(scores, greater=greater)
    assert v.best == best
    assert v.since_best == since
    assert v.seconds == pytest.approx(len(scores))


@pytest.mark.parametrize(("search", "scores", "seconds", "out_of_time", "expected"), [
    # nothing set: no budget ends the search
    pytest.param({}, [0.5, 0.5, 0.5], 1.0, False, None, id="no-budget"),
    # the deadline wins over every other budget
    pytest.param({"cost_budget": 1, "patience": 1}, [0.5, 0.5], 5.0, True, "time_budget", id="deadline-first"),
    # cost: instance-seconds of finished trials reached the budget
    pytest.param({"cost_budget": 3}, [0.5, 0.6, 0.7], 1.0, False, "cost_budget", id="cost-reached"),
    # cost: just under the budget goes on
    pytest.param({"cost_budget": 3.5}, [0.5, 0.6, 0.7], 1.0, False, None, id="cost-under"),
    # patience: 2 trials in a row without improvement
    pytest.param({"patience": 2}, [0.7, 0.6, 0.65], 1.0, False, "patience", id="patience-reached"),
    # patience: an improvement in between resets it
    pytest.param({"patience": 2}, [0.7, 0.6, 0.8, 0.7], 1.0, False, None, id="patience-reset"),
    # patience needs one score to compare with: failures alone do not end the job
    pytest.param({"patience": 1}, [None, None, None], 1.0, False, None, id="patience-no-score"),
])
def test_budget_spent(search: dict, scores: list[float | None], seconds: float, out_of_time: bool,
                      expected: str | None) -> None:
    assert budget_spent(SearchSpec(**search), view(scores, seconds), out_of_time) == expected


@pytest.mark.parametrize(("shares", "job", "expected"), [
    # alone, a job gets its own max_parallel
    pytest.param({"a": (8, 0)}, "a", 8, id="alone"),
    # two equal jobs split the larger max_parallel
    pytest.param({"a": (8, 0), "b": (8, 0)}, "a", 4, id="equal-split"),
    # a small job keeps its share next to a big one (never above its own max_parallel)
    pytest.param({"big": (8, 0), "small": (2, 0)}, "small", 2, id="small-capped-by-own"),
    pytest.param({"big": (8, 0), "small": (2, 0)}, "big", 4, id="big-leaves-room"),
    # priority 2 weighs twice priority 0
    pytest.param({"hi": (9, 2), "lo": (9, 0)}, "hi", 6, id="priority-high"),
    pytest.param({"hi": (9, 2), "lo": (9, 0)}, "lo", 3, id="priority-low"),
    # never below one trial in flight, however many jobs share
    pytest.param({**{f"j{i}": (2, 0) for i in range(10)}}, "j3", 1, id="at-least-one"),
])
def test_fair_limit(shares: dict[str, tuple[int, int]], job: str, expected: int) -> None:
    assert fair_limit(shares, job) == expected
