"""Ids and seeds are part of what every service and every stored document agree on: a planner of another
version must derive the same trial id, seed and event id for the same step (idempotency across restarts
and upgrades). The values below were computed by the planner before these functions moved to the kernel."""

from __future__ import annotations

from zygarde.ids import stable_event_id, trial_id, trial_seed


def test_ids_and_seeds_are_derived_as_before() -> None:
    assert stable_event_id("j", "accepted") == "89ef74457e7e5db0a03f6816e7d0c6bc"
    assert trial_id("j", 3) == "j-00003"
    assert (trial_seed(0, 0), trial_seed(7, 12)) == (745682570, 224540195)


def test_event_ids_differ_by_step_and_seeds_stay_in_int32() -> None:
    assert stable_event_id("j", "accepted") != stable_event_id("j", "rejected")
    assert stable_event_id("t", "requested", "1") != stable_event_id("t", "requested", "2")
    assert all(0 <= trial_seed(s, i) <= 2**31 - 1 for s in (0, 1, 2**31 - 1) for i in range(50))
