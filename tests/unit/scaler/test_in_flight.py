"""The scaler's in-flight gauge counts running trials at most every ``every_s`` seconds, not every step."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from services.scaler.lag import InFlight


class Trials:
    """A ``trials`` collection's count, with the number of times it was asked."""

    def __init__(self) -> None:
        self.running = 0
        self.counts = 0

    def count_documents(self, query: dict[str, Any]) -> int:
        assert query == {"status": "running"}
        self.counts += 1
        return self.running


def test_running_trials_are_counted_at_most_every_interval() -> None:
    trials, now = Trials(), [0.0]
    in_flight = InFlight(SimpleNamespace(trials=trials), every_s=15.0, clock=lambda: now[0])  # type: ignore[arg-type]
    trials.running = 2
    assert in_flight() == 2 and trials.counts == 1, "the first step counts"
    trials.running = 5
    for step in range(1, 7):  # a step every 2 s: the last count is reused until 15 s have passed
        now[0] = 2.0 * step
        assert in_flight() == 2
    assert trials.counts == 1
    now[0] = 15.0
    assert in_flight() == 5 and trials.counts == 2
