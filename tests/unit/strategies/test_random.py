"""Random search: reproducible per seed, independent of how trials are asked for."""

from __future__ import annotations

import collections

from services.planner.strategies import TrialResult
from tests.unit.strategies._helpers import make


def test_random_is_reproducible_for_a_seed_and_differs_across_seeds() -> None:
    assert make("random", seed=9).ask(20) == make("random", seed=9).ask(20)
    assert make("random", seed=9).ask(20) != make("random", seed=10).ask(20)


def test_proposal_i_does_not_depend_on_batching() -> None:
    one_by_one = make("random", seed=4)
    singles = [spec for _ in range(20) for spec in one_by_one.ask(1)]
    assert singles == make("random", seed=4).ask(20)


def test_rebuild_continues_the_same_sequence() -> None:
    first = make("random", seed=9, max_trials=20).ask(20)
    restarted = make("random", seed=9, max_trials=20)
    restarted.rebuild(first[:8], {t.index: TrialResult(0.0) for t in first[:5]}, {})
    assert first[:8] + restarted.ask(12) == first


def test_algorithms_are_chosen_uniformly() -> None:
    counts = collections.Counter(t.algorithm for t in make("random", seed=1, max_trials=2000).ask(2000))
    assert abs(counts["a"] - counts["b"]) < 200  # 2000 fair coin flips: sd ~45


def test_initial_points_come_first_then_the_same_random_sequence() -> None:
    initial = [("b", {"w": 0.5, "n": 10}), ("gone", {"p": 1}), ("a", {"x": 1.0, "v": 1.0, "mode": "p"})]
    plain = make("random", seed=5, max_trials=6).ask(6)
    started = make("random", seed=5, max_trials=6, initial=initial).ask(6)
    assert [(s.algorithm, s.params) for s in started[:2]] == [initial[0], initial[2]]
    assert [s.index for s in started] == list(range(6))
    # after the initial points, proposal i is the plain sequence's proposal i (a pure function of i)
    assert [(s.algorithm, s.params) for s in started[2:]] == [(s.algorithm, s.params) for s in plain[2:]]
