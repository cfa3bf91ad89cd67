"""The scaler's step asks how many jobs are active only when no trial waits, and scales to zero at
once when none is; a store that cannot answer leaves the decision to the cooldown."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from services.scaler.policy import ScalerConfig
from services.scaler.service import Scaler


@dataclass
class _Work:
    total: int


class _Backend:
    picks_idle = False  # BaseScalerBackend's default; the surplus rule's tests set it per backend

    def __init__(self, n: int) -> None:
        self.n, self.busy_seen = n, None

    def current(self) -> int:
        return self.n

    def billed(self) -> int:
        return self.n

    def scale_to(self, n: int, busy: Any = None) -> None:
        self.n, self.busy_seen = n, busy


class _Producer:
    def __init__(self) -> None:
        self.events: list[Any] = []

    def publish(self, event: Any) -> None:
        self.events.append(event)

    def flush(self) -> None:
        pass


def _scaler(lag: list[int], active: Any) -> tuple[Scaler, _Backend, list[str]]:
    backend, asked, clock = _Backend(0), [], iter(range(0, 1000, 2))

    def count() -> int:
        asked.append("jobs")
        return int(active())

    scaler = Scaler(ScalerConfig(max_replicas=2, cooldown_s=10, stabilization_window_s=10), backend,  # type: ignore[arg-type]
                    _Producer(),  # type: ignore[arg-type]
                    lambda: _Work(lag.pop(0)), clock=lambda: float(next(clock)), searching_jobs=count)
    return scaler, backend, asked


def test_no_work_and_no_active_job_scales_to_zero_at_once() -> None:
    scaler, backend, asked = _scaler([4, 4, 0], lambda: 0)
    assert [scaler.step(), scaler.step()] == [2, 2]
    assert asked == [], "the jobs are counted only when no trial waits"
    assert scaler.step() == 0 and backend.n == 0
    assert asked == ["jobs"]
    assert scaler.producer.events[-1].reason.startswith("idle"), scaler.producer.events[-1]  # type: ignore[attr-defined]


def test_an_active_job_keeps_its_trainers_through_the_cooldown() -> None:
    scaler, backend, asked = _scaler([4, 0, 0, 0], lambda: 1)
    assert [scaler.step() for _ in range(4)] == [2, 2, 2, 2] and backend.n == 2  # the window holds 2
    assert asked == ["jobs"] * 3


def test_a_store_error_leaves_it_to_the_cooldown() -> None:
    def down() -> int:
        raise ConnectionError("store down")

    scaler, backend, asked = _scaler([4, 0], down)
    assert [scaler.step(), scaler.step()] == [2, 2] and asked == ["jobs"]
