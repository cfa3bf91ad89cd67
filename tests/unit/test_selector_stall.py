"""``stalled``: when the faust selector's watchdog ends the process to be restarted (services/selector/stream.py)."""

from __future__ import annotations

import pytest

from services.selector.stream import stalled

WAITING = {"t.results[0]": 0, "t.results[3]": 16, "t.job-events[1]": 1}
CAUGHT_UP = {"t.results[0]": 0, "t.job-events[1]": 0}


def test_messages_waiting_and_none_handled_for_stall_s_is_a_stall() -> None:
    assert stalled(idle_s=20.0, stall_s=20.0, busy=False, lag=WAITING)
    assert stalled(idle_s=95.0, stall_s=20.0, busy=False, lag={"t.results[3]": 1})


@pytest.mark.parametrize("idle_s, busy, lag", [
    pytest.param(19.9, False, WAITING, id="not-idle-long-enough"),
    pytest.param(60.0, True, WAITING, id="a-handle-in-flight"),
    pytest.param(60.0, False, CAUGHT_UP, id="nothing-waiting"),
    pytest.param(60.0, False, {}, id="lag-unknown-or-no-partitions"),
])
def test_not_a_stall(idle_s: float, busy: bool, lag: dict[str, int]) -> None:
    assert not stalled(idle_s=idle_s, stall_s=20.0, busy=busy, lag=lag)


def test_zero_turns_the_watchdog_off() -> None:
    assert not stalled(idle_s=1e9, stall_s=0.0, busy=False, lag=WAITING)
