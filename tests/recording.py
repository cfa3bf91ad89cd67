"""A stand-in for ``EventProducer`` where a test needs what a service published, not a broker."""

from __future__ import annotations

from typing import Any

from zygarde import events as ev


class RecordingProducer:
    """Keeps every published event, in order, and counts flushes."""

    def __init__(self) -> None:
        self.events: list[ev.Event] = []
        self.flushed = 0

    def publish(self, event: ev.Event, **_: Any) -> None:
        self.events.append(event)

    def flush(self) -> None:
        self.flushed += 1

    def poll(self) -> None:
        pass
