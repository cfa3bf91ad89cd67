"""A stopping consumer waits a bounded time for its commit and group leave (``EventConsumer.close``):
librdkafka's close waits for an outstanding JoinGroup (request timeout ``max.poll.interval.ms``, 30 min
for a trainer), so a coordinator that never answers held a SIGTERM'd service past its drain timeout."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from tests.recording import RecordingProducer
from zygarde import topics
from zygarde.bus.consumer import EventConsumer


class _Blocked:
    """Stands in for librdkafka's consumer while its close waits on a coordinator that never answers."""

    def __init__(self, commit_error: Exception | None = None) -> None:
        self.release = threading.Event()
        self.closing = threading.Event()
        self.closed = threading.Event()
        self.commit_error = commit_error

    def commit(self, **_: Any) -> None:
        if self.commit_error is not None:
            raise self.commit_error

    def close(self) -> None:
        self.closing.set()
        self.release.wait()
        self.closed.set()


def _consumer() -> EventConsumer:
    return EventConsumer("127.0.0.1:9", "t.", "g", [topics.TRIALS], dlq=RecordingProducer())  # type: ignore[arg-type]


def test_a_close_that_hangs_on_the_coordinator_is_left_after_the_bound() -> None:
    consumer = _consumer()
    real, blocked = consumer._consumer, _Blocked()
    consumer._consumer = blocked  # type: ignore[assignment]
    try:
        caller = threading.Thread(target=consumer.close, kwargs={"timeout_s": 0.5}, daemon=True)
        caller.start()
        caller.join(15)  # far past the bound: a close that waits for the coordinator is still running
        assert not caller.is_alive(), "close() waited for a group coordinator that never answers"
        assert blocked.closing.is_set() and not blocked.closed.is_set()
    finally:
        blocked.release.set()
        real.close()


def test_a_close_that_finishes_in_time_is_waited_for_and_its_error_raised() -> None:
    consumer = _consumer()
    real, failing = consumer._consumer, _Blocked(commit_error=RuntimeError("commit refused"))
    failing.release.set()
    consumer._consumer = failing  # type: ignore[assignment]
    try:
        with pytest.raises(RuntimeError, match="commit refused"):
            consumer.close(timeout_s=30)
        assert failing.closed.is_set()  # the group is left even when the commit failed
    finally:
        real.close()
