"""The store reads behind the scaler's surplus rule, against the MongoDB-wire server: the jobs that may
still plan a trial, and the workers of the running trials."""

from __future__ import annotations

from zygarde.settings import Settings
from zygarde.store import JobRepository, TrialRepository, connect


def test_planning_jobs_are_the_searching_ones_not_all_requested(test_settings: Settings) -> None:
    db = connect(test_settings.mongo_uri)
    jobs = JobRepository(db)
    for job_id, status in [("q", "queued"), ("r", "running"), ("a", "running"), ("s", "running"),
                           ("c", "completed")]:
        assert jobs.create(job_id, {"status": status})
    assert jobs.count_planning() == 4
    jobs.update("a", all_requested=True)  # its last trials still run: searching, not planning
    jobs.update("s", search_finished=True)
    assert (jobs.count_planning(), jobs.count_searching()) == (2, 3)
    db.client.drop_database(db.name)


def test_running_workers_are_those_of_running_trials(test_settings: Settings) -> None:
    db = connect(test_settings.mongo_uri)
    trials = TrialRepository(db)
    for i in range(4):
        assert trials.add(f"t{i}", "j", i, "noop", {})
    assert trials.mark_running("t0", 1, "abc-1") and trials.mark_running("t1", 1, "def-1")
    assert trials.mark_running("t2", 1, "ghi-1") and trials.finish("t2", "completed")
    assert trials.running_workers() == {"abc-1", "def-1"}
    db.client.drop_database(db.name)
