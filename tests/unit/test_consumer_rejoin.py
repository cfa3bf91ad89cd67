"""A consumer whose group membership stays unsteady, with nothing in flight to its coordinator, for
``STUCK_S`` is made again (``zygarde.bus.consumer``):
librdkafka can leave a JoinGroup queued to a coordinator connection that never comes back after a broker
restart, and the service would consume nothing for good."""

from __future__ import annotations

import json

import pytest

from tests.recording import RecordingProducer
from zygarde import topics
from zygarde.bus.consumer import STUCK_S, EventConsumer, stuck


@pytest.mark.parametrize("state, since, now, expected", [
    pytest.param("wait-join", 0.0, STUCK_S, True, id="unsteady-for-stuck_s"),
    pytest.param("wait-join", 0.0, STUCK_S - 0.1, False, id="not-long-enough"),
    pytest.param("steady", None, 1e9, False, id="steady"),
    pytest.param(None, None, 1e9, False, id="no-statistics-yet"),
])
def test_stuck(state: str | None, since: float | None, now: float, expected: bool) -> None:
    assert stuck(state, since, now) is expected


def test_zero_turns_it_off() -> None:
    assert not stuck("wait-join", 0.0, 1e9, stuck_s=0.0)


def test_the_unsteady_clock_starts_when_the_group_leaves_steady_and_stops_when_it_is_back() -> None:
    consumer = EventConsumer("127.0.0.1:9", "t.", "g", [topics.RESULTS], dlq=RecordingProducer())  # type: ignore[arg-type]
    try:
        def stats(state: str, in_flight: int = 0) -> None:
            consumer._on_stats(json.dumps({"cgrp": {"join_state": state},
                                           "brokers": {"GroupCoordinator": {"waitresp_cnt": in_flight}}}))

        stats("steady")
        assert consumer._unsteady_since is None
        stats("wait-join")
        since = consumer._unsteady_since
        assert since is not None
        stats("wait-sync")  # still unsteady: the clock keeps running from the first unsteady report
        assert consumer._unsteady_since == since
        stats("steady")
        assert consumer._unsteady_since is None
        stats("wait-join", in_flight=1)  # a rebalance waiting on a busy member: its JoinGroup is out
        assert consumer._unsteady_since is None
        stats("wait-join", in_flight=0)  # queued, never sent: the clock runs
        assert consumer._unsteady_since is not None
        stats("steady")
        consumer._on_stats("not json")  # ignored
        assert consumer._join_state == "steady"
    finally:
        consumer._consumer.close()
