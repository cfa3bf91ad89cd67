"""Trials go to the least loaded trainer's partitions (load = trials sent there and not finished)."""

from __future__ import annotations

from collections import Counter

from services.planner.routing import PartitionRouter


def router(members: list[list[int]]) -> PartitionRouter:
    r = PartitionRouter()
    r.trainer_partitions = members
    return r


def owner_of(members: list[list[int]], partition: int) -> int:
    return next(i for i, owned in enumerate(members) if partition in owned)


def test_a_busy_trainer_gets_nothing_while_another_is_idle() -> None:
    members = [[0, 1, 2], [3, 4, 5]]
    p = router(members)
    first, second = p.route("t0"), p.route("t1")
    assert {owner_of(members, first), owner_of(members, second)} == {0, 1}, "one trial each"
    p.release("t1")  # the second trainer finished its trial; the first is still busy
    assert owner_of(members, p.route("t2")) == owner_of(members, second)


def test_equal_trainers_share_a_backlog_evenly_and_use_all_their_partitions() -> None:
    members = [[0, 2, 4, 6, 8, 10], [1, 3, 5, 7, 9, 11]]
    p = router(members)
    sent = [p.route(f"t{i}") for i in range(24)]
    assert Counter(owner_of(members, part) for part in sent) == {0: 12, 1: 12}
    assert set(sent) == set(range(12))


def test_a_re_requested_trial_moves_its_load() -> None:
    members = [[0], [1]]
    p = router(members)
    p.route("lost")
    p.route("other")
    p.route("lost")  # requested again after its trainer died: counted once, where it goes now
    assert sorted(p.sent) == ["lost", "other"]


def test_without_known_trainers_all_partitions_take_turns() -> None:
    p = router([])
    assert sorted(p.route(f"t{i}") for i in range(12)) == list(range(12))
