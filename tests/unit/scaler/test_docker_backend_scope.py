"""The docker backend counts, starts, stops and reaps only its own stack's trainers: two compose stacks
on one engine (each on a network of its own) must not stop each other's.

The engine is a fake that answers ``containers.list`` with the Docker Engine API's filter rules (every
``label`` filter must match, ``k`` or ``k=v``; ``network`` by name; ``status``; ``all``), and records
``run`` and ``stop``.
"""

from __future__ import annotations

import builtins
from typing import Any

from services.scaler.backends.docker import DockerBackend


class FakeContainer:
    def __init__(self, engine: FakeEngine, name: str, labels: dict[str, str], network: str,
                 status: str = "running") -> None:
        self.engine, self.name, self.labels, self.network, self.status = engine, name, labels, network, status
        self.attrs: dict[str, Any] = {"Created": f"2026-12-07T00:00:{len(engine.containers):02d}Z",
                                      "State": {"ExitCode": 0}}

    def stop(self, timeout: int) -> None:
        self.engine.stopped.append(self.name)
        self.status = "exited"

    def remove(self) -> None:
        self.engine.containers.remove(self)

    def logs(self, tail: int) -> bytes:
        return b""


class FakeContainers:
    def __init__(self, engine: FakeEngine) -> None:
        self.engine = engine

    def list(self, **kwargs: Any) -> builtins.list[FakeContainer]:
        everything = kwargs.pop("all", False)
        filters = dict(kwargs.pop("filters", None) or {})
        assert not kwargs, f"arguments the fake does not know: {kwargs}"
        labels = filters.pop("label", [])
        labels = [labels] if isinstance(labels, str) else list(labels)
        network, status = filters.pop("network", None), filters.pop("status", None)
        assert not filters, f"filters the fake does not know: {filters}"

        def has(c: FakeContainer, label: str) -> bool:
            key, _, value = label.partition("=")
            return key in c.labels and (not value or c.labels[key] == value)

        return [c for c in self.engine.containers
                if (everything or c.status == "running") and (status is None or c.status == status)
                and (network is None or c.network == network) and all(has(c, lb) for lb in labels)]

    def run(self, image: str, command: builtins.list[str], *, labels: dict[str, str], network: str = "bridge",
            **_: Any) -> FakeContainer:
        container = FakeContainer(self.engine, f"scaled-{len(self.engine.containers)}", labels, network)
        self.engine.containers.append(container)
        return container


class FakeEngine:
    def __init__(self) -> None:
        self.containers: list[FakeContainer] = []
        self.stopped: list[str] = []
        self.containers_api = FakeContainers(self)


class Client:
    def __init__(self, engine: FakeEngine) -> None:
        self.containers = engine.containers_api

    def close(self) -> None:
        pass


def two_stacks() -> tuple[FakeEngine, DockerBackend, DockerBackend]:
    engine = FakeEngine()
    a = DockerBackend(network="stack-a", client=Client(engine))
    b = DockerBackend(network="stack-b", client=Client(engine))
    return engine, a, b


def test_each_stack_counts_only_the_trainers_on_its_network() -> None:
    engine, a, b = two_stacks()
    # compose's own trainer replica of stack b carries the role label but no scaler label
    engine.containers.append(FakeContainer(engine, "b-trainer-1", {"dev.zygarde.role": "trainer"}, "stack-b"))
    a.scale_to(2)
    assert a.current() == 2 and b.current() == 1
    assert {c.network for c in engine.containers if c.name.startswith("scaled-")} == {"stack-a"}


def test_a_scale_in_stops_only_its_own_stacks_trainers() -> None:
    engine, a, b = two_stacks()
    b.scale_to(2)
    a.scale_to(1)
    a.scale_to(0)
    b_names = {c.name for c in engine.containers if c.network == "stack-b"}
    assert not b_names & set(engine.stopped), "stack a stopped stack b's trainers"
    assert b.current() == 2 and a.current() == 0


def test_the_reaper_removes_only_its_own_stacks_exited_trainers() -> None:
    engine, a, b = two_stacks()
    a.scale_to(1)
    b.scale_to(1)
    for c in engine.containers:
        c.status = "exited"
    b_names = [c.name for c in engine.containers if c.network == "stack-b"]
    assert [name for name, _ in b.reap()] == b_names
    assert [c.network for c in engine.containers] == ["stack-a"], "stack b reaped stack a's exited trainer"


def test_without_a_network_every_trainer_on_the_engine_counts() -> None:
    engine = FakeEngine()
    engine.containers.append(FakeContainer(engine, "t", {"dev.zygarde.role": "trainer"}, "anything"))
    assert DockerBackend(client=Client(engine)).current() == 1
