"""A trainer publishes every fold's score only when the planner judges them (``report_folds``) and then
waits for the verdict on each fold before the next; it says nothing of a trial that another attempt
already finished."""

from __future__ import annotations

from services.trainer.train import Trainer
from tests.recording import RecordingProducer
from zygarde import events as ev
from zygarde.settings import Settings
from zygarde.store.trials import FINISHED


def request(report_folds: bool, seconds: float) -> ev.TrialRequested:
    spec = ev.JobSpec.model_validate({
        "name": "folds", "dataset": {"uri": "builtin:breast_cancer", "target": "target"}, "metric": "roc_auc",
        "algorithms": ["burn"], "cv": {"folds": 3}})
    return ev.TrialRequested(job_id="j", trial_id="j-00000", index=0, algorithm="burn",
                             params={"seconds": seconds}, spec=spec, task="binary", seed=1,
                             report_folds=report_folds)


def run(report_folds: bool, seconds: float) -> list[ev.Event]:
    producer = RecordingProducer()
    Trainer(Settings(), producer, "w1", heartbeat_s=60).run_trial(request(report_folds, seconds))  # type: ignore[arg-type]
    kinds = [type(e).__name__ for e in producer.events]
    assert kinds[0] == "TrialStarted" and kinds[-1] == "TrialCompleted", kinds
    return producer.events


def test_every_fold_is_reported_when_the_planner_judges_folds() -> None:
    assert [e.fold for e in run(True, 0.0) if isinstance(e, ev.TrialProgressed)] == [1, 2, 3]


def test_short_folds_nobody_judges_are_not_reported() -> None:
    assert [e for e in run(False, 0.0) if isinstance(e, ev.TrialProgressed)] == []


def test_long_folds_report_progress_at_most_once_a_second() -> None:
    events = run(False, 0.6)
    reports = [e for e in events if isinstance(e, ev.TrialProgressed)]
    assert reports and all(e.fold < 3 for e in reports), "progress shows, but never for the last fold"
    times = [events[0].occurred_at] + [e.occurred_at for e in reports]
    assert all((b - a).total_seconds() >= 0.99 for a, b in zip(times, times[1:], strict=False))


def test_a_trial_already_finished_is_neither_run_nor_reported() -> None:
    producer = RecordingProducer()
    Trainer(Settings(), producer, "w1", should_stop=lambda trial: FINISHED).run_trial(  # type: ignore[arg-type]
        request(False, 0.0))
    assert producer.events == []


def test_a_trial_finished_elsewhere_mid_run_stops_silently() -> None:
    producer = RecordingProducer()
    checks = iter([None, FINISHED])  # before the start, then after the first fold
    Trainer(Settings(), producer, "w1", should_stop=lambda trial: next(checks)).run_trial(  # type: ignore[arg-type]
        request(False, 0.0))
    assert [type(e).__name__ for e in producer.events] == ["TrialStarted"]


def test_a_judged_fold_waits_for_the_verdict_and_a_prune_stops_the_trial_there() -> None:
    producer = RecordingProducer()
    waits: list[tuple[int, int, int]] = []  # (fold, reports published, flushes) when the wait began

    def verdict(trial: ev.TrialRequested, fold: int) -> str | None:
        reports = sum(isinstance(e, ev.TrialProgressed) for e in producer.events)
        waits.append((fold, reports, producer.flushed))
        return "pruned" if fold == 2 else None

    Trainer(Settings(), producer, "w1", should_stop=lambda trial: None,  # type: ignore[arg-type]
            await_verdict=verdict).run_trial(request(True, 0.0))
    assert [type(e).__name__ for e in producer.events] == [
        "TrialStarted", "TrialProgressed", "TrialProgressed", "TrialFailed"], "no third fold after the prune"
    assert producer.events[-1].reason == "pruned"  # type: ignore[attr-defined]
    assert [(fold, reports) for fold, reports, _ in waits] == [(1, 1), (2, 2)], "each fold's report, then its wait"
    assert 0 < waits[0][2] < waits[1][2], "the report was flushed before each wait"


def test_a_spec_without_a_time_limit_gets_the_default_one_between_folds() -> None:
    producer = RecordingProducer()
    settings = Settings(default_trial_timeout_s=0.3)
    Trainer(settings, producer, "w1", heartbeat_s=60).run_trial(request(False, 0.4))  # type: ignore[arg-type]
    kinds = [type(e).__name__ for e in producer.events]
    assert kinds[0] == "TrialStarted" and kinds[-1] == "TrialFailed", kinds
    assert producer.events[-1].reason == "timeout"  # type: ignore[attr-defined]


def test_burn_refuses_more_seconds_than_its_bound() -> None:
    producer = RecordingProducer()
    Trainer(Settings(), producer, "w1", heartbeat_s=60).run_trial(request(False, 1e9))  # type: ignore[arg-type]
    failed = producer.events[-1]
    assert isinstance(failed, ev.TrialFailed) and failed.reason == "error" and "within 0 and 60" in failed.error


def test_only_the_judged_folds_are_reported_and_waited_for() -> None:
    producer = RecordingProducer()
    waits: list[int] = []

    def verdict(trial: ev.TrialRequested, fold: int) -> str | None:
        waits.append(fold)
        return None

    trial = request(True, 0.0).model_copy(update={"judged_folds": [2]})
    Trainer(Settings(), producer, "w1", should_stop=lambda trial: None,  # type: ignore[arg-type]
            await_verdict=verdict).run_trial(trial)
    assert [e.fold for e in producer.events if isinstance(e, ev.TrialProgressed)] == [2]
    assert waits == [2], "no wait after the folds nobody judges"
    assert isinstance(producer.events[-1], ev.TrialCompleted)
