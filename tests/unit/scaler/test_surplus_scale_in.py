"""The surplus rule: when no trial waits, fewer run than there are trainers and no job will plan another,
the scaler stops the idle trainers at once, and the backends stop idle ones, never the busy one, first.

The policy rows, the scaler's step (what it asks the store, and when) and the docker and local
backends' choice of victims (the docker engine is the fake of test_docker_backend_scope).
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from services.scaler.backends.docker import DockerBackend
from services.scaler.backends.local import LocalBackend
from services.scaler.policy import Observation, PolicyState, ScalerConfig, desired_replicas
from services.scaler.service import Scaler
from tests.unit.scaler.test_docker_backend_scope import Client, FakeContainer, FakeEngine
from tests.unit.scaler.test_idle_scale_in import _Backend, _Producer, _Work

CFG = ScalerConfig(lag_threshold=2, max_replicas=4, cooldown_s=10, stabilization_window_s=10)


def _decide(last: Observation, cfg: ScalerConfig = CFG) -> tuple[int, str]:
    state = PolicyState()
    desired_replicas(cfg, Observation(now=0, lag=8, in_flight=0, current=4), state)  # the window remembers 4
    decision = desired_replicas(cfg, last, state)
    return decision.desired, decision.reason.split(":")[0]


@pytest.mark.parametrize("obs, desired, rule", [
    # the last trial runs on one of 4 trainers, no job plans another: the 3 idle ones stop now
    pytest.param(Observation(5, 1, 0, 4, running=1, planning_jobs=0), 1, "surplus", id="surplus-stops-idle"),
    pytest.param(Observation(5, 3, 0, 4, running=3, planning_jobs=0), 3, "surplus", id="surplus-keeps-every-busy"),
    # a job may still plan trials (an adaptive search between two results): the window holds them
    pytest.param(Observation(5, 1, 0, 4, running=1, planning_jobs=1), 4, "stabilization", id="a-job-still-plans"),
    # a trial waits beyond the running ones: someone must take it
    pytest.param(Observation(5, 3, 0, 4, running=1, planning_jobs=0), 4, "stabilization", id="a-trial-waits"),
    # the busy trainers are not known (a backend that cannot pick idle ones): the window holds them
    pytest.param(Observation(5, 1, 0, 4, planning_jobs=0), 4, "stabilization", id="busy-unknown"),
    # every trainer busy: nothing to stop
    pytest.param(Observation(5, 4, 0, 4, running=4, planning_jobs=0), 4, "stabilization", id="all-busy"),
])
def test_surplus_rule(obs: Observation, desired: int, rule: str) -> None:
    assert _decide(obs) == (desired, rule)


def test_trials_queued_behind_busy_trainers_stop_the_idle_ones_at_the_second_sight() -> None:
    state = PolicyState()
    desired_replicas(CFG, Observation(0, 8, 0, 4), state)
    waiting = Observation(2, 3, 0, 4, running=1, planning_jobs=0)  # 1 running, 2 queued behind it
    assert desired_replicas(CFG, waiting, state).reason.startswith("stabilization")  # may be between trials
    decision = desired_replicas(CFG, Observation(4, 3, 0, 4, running=1, planning_jobs=0), state)
    assert (decision.desired, decision.reason.split(":")[0]) == (1, "surplus")
    # a decision in between that saw every trainer busy starts the count again
    state = PolicyState()
    for obs in (Observation(0, 8, 0, 4), waiting, Observation(3, 4, 0, 4, running=4, planning_jobs=0)):
        desired_replicas(CFG, obs, state)
    assert desired_replicas(CFG, waiting, state).reason.startswith("stabilization")


def test_no_trial_running_is_never_a_surplus() -> None:
    """Queued trials and no trial running: the trainers are starting, or between two trials."""
    state = PolicyState()
    for t in range(5):
        decision = desired_replicas(CFG, Observation(t, 1, 0, 2, running=0, planning_jobs=0), state)
        assert decision.desired >= 1 and not decision.reason.startswith("surplus"), decision


def test_surplus_keeps_min_replicas() -> None:
    cfg = ScalerConfig(lag_threshold=2, min_replicas=2, max_replicas=4, stabilization_window_s=10)
    assert _decide(Observation(5, 1, 0, 4, running=1, planning_jobs=0), cfg)[0] == 4


def _scaler(lag: list[int], planning: int, running: set[str], picks_idle: bool = True,
            ) -> tuple[Scaler, _Backend, list[str]]:
    backend, asked, clock = _Backend(0), [], iter(range(0, 1000, 2))
    backend.picks_idle = picks_idle

    def plans() -> int:
        asked.append("jobs")
        return planning

    def workers() -> set[str]:
        asked.append("trials")
        return running

    scaler = Scaler(CFG, backend, _Producer(), lambda: _Work(lag.pop(0)),  # type: ignore[arg-type]
                    clock=lambda: float(next(clock)), planning_jobs=plans, running_workers=workers)
    return scaler, backend, asked


def test_the_step_stops_the_idle_trainers_and_tells_the_backend_which_are_busy() -> None:
    scaler, backend, asked = _scaler([4, 4, 1], 0, {"abc123-7"})
    assert [scaler.step(), scaler.step()] == [2, 2]
    assert asked == [], "the store is asked only when fewer trials than trainers are in the lag"
    assert scaler.step() == 1 and backend.busy_seen == {"abc123-7"}
    assert asked == ["jobs", "trials"]
    assert scaler.producer.events[-1].reason.startswith("surplus"), scaler.producer.events[-1]  # type: ignore[attr-defined]


def test_a_trial_queued_behind_the_busy_trainer_stops_the_idle_one_at_the_next_step() -> None:
    scaler, backend, asked = _scaler([4, 2, 2], 0, {"abc123-7"})
    assert [scaler.step(), scaler.step()] == [2, 2], "the idle trainer may be between two trials"
    assert scaler.step() == 1 and backend.busy_seen == {"abc123-7"}
    assert asked == ["jobs", "trials"] * 2


def test_under_load_the_store_is_not_read() -> None:
    scaler, backend, asked = _scaler([4, 4, 3], 0, {"abc123-7"})
    assert [scaler.step() for _ in range(3)] == [2, 2, 2] and asked == []


def test_a_job_still_planning_keeps_them_and_the_trials_are_not_read() -> None:
    scaler, backend, asked = _scaler([4, 1], 1, {"abc123-7"})
    assert [scaler.step(), scaler.step()] == [2, 2] and asked == ["jobs"]


def test_a_backend_that_cannot_pick_idle_trainers_keeps_them() -> None:
    scaler, backend, asked = _scaler([4, 1], 0, {"abc123-7"}, picks_idle=False)
    assert [scaler.step(), scaler.step()] == [2, 2] and asked == []


def _engine_with(hosts: list[str]) -> tuple[FakeEngine, DockerBackend]:
    engine = FakeEngine()
    for host in hosts:  # created in this order: the last one is the newest
        c = FakeContainer(engine, host, {"dev.zygarde.role": "trainer"}, "stack")
        c.attrs["Config"] = {"Hostname": host}
        engine.containers.append(c)
    return engine, DockerBackend(network="stack", client=Client(engine))


def test_docker_stops_the_idle_trainer_not_the_newest_busy_one() -> None:
    engine, backend = _engine_with(["old", "mid", "new"])
    backend.scale_to(2, busy={"new-1", "mid-1"})
    assert engine.stopped == ["old"]
    backend.scale_to(1, busy={"new-1"})
    assert engine.stopped == ["old", "mid"]


def test_docker_without_busy_stops_the_newest_first() -> None:
    engine, backend = _engine_with(["old", "mid", "new"])
    backend.scale_to(1)
    assert sorted(engine.stopped) == ["mid", "new"]


def test_local_stops_the_idle_trainer_not_the_newest_busy_one(tmp_path: Path) -> None:
    backend = LocalBackend(command=[sys.executable, "-c", "import time; time.sleep(60)"], drain_timeout_s=5,
                           base_port=9700)
    try:
        backend.scale_to(3)  # slots 1, 2, 3; trainer-3 is the newest
        backend.scale_to(1, busy={"trainer-3"})
        assert [i.slot for i in backend.instances] == [3]
        assert sorted(i.slot for i in backend.draining) == [1, 2]
    finally:
        backend.close()
