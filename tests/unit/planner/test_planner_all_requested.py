"""The planner marks a job ``all_requested`` once its search can request no new trial while some still
run (the scaler's surplus rule then stops the idle trainers), and only then: not while the search may
still ask, and once, not at every fill."""

from __future__ import annotations

from typing import Any

from tests.unit.planner.test_planner_memory import TRIALS, complete, requested, setup  # noqa: F401 - fixture


def test_all_requested_once_the_last_trial_is_requested_and_before_the_search_ends(setup: Any) -> None:  # noqa: F811
    jobs, trials, planner, producer, _ = setup
    updates: list[dict[str, Any]] = []
    update = jobs.update

    def recording(job_id: str, **fields: Any) -> None:
        updates.append(fields)
        update(job_id, **fields)

    jobs.update = recording
    planner.fill("j")
    done = 0
    while len(requested(producer)) < TRIALS:
        assert not (jobs.get("j") or {}).get("all_requested"), f"marked with {len(requested(producer))} requested"
        complete(planner, requested(producer)[done])
        done += 1
    job = jobs.get("j")
    assert job is not None and job["all_requested"] is True and not job.get("search_finished")
    while done < TRIALS:
        complete(planner, requested(producer)[done])
        done += 1
    assert sum(1 for f in updates if "all_requested" in f) == 1, updates
    assert (jobs.get("j") or {}).get("search_finished") is True
