"""One job whose search this planner runs, with everything the planner keeps about it in memory."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from services.planner.strategies._base import BaseStrategy
from services.planner.view import JobView
from zygarde import events as ev


@dataclass
class ActiveJob:
    """A queued or running job whose search is not finished. Created the first time the planner touches
    it, dropped when its search finishes, it is cancelled, or a ``tick`` finds it ended elsewhere.

    ``doc`` is the job's document, read from MongoDB once: until the search finishes every change to it
    is this planner's own (cancel, the deadline, the search's end), so the hot path (``fill`` after each
    result) reads no collection; ``tick`` replaces it with a fresh read. ``strategy`` and ``view`` are
    rebuilt from the stored trials the first time they are needed."""

    doc: dict[str, Any]
    spec: ev.JobSpec  # the parsed spec, validated once per job (not once per trial)
    strategy: BaseStrategy | None = None
    view: JobView | None = None
    share: tuple[int, int] | None = None  # (max_parallel, priority) while it asks for trials
    deadline: float | None = None  # its time budget's end (clock seconds) until ``due`` fills once past it

    @classmethod
    def of(cls, doc: dict[str, Any]) -> ActiveJob:
        return cls(doc, ev.JobSpec.model_validate(doc["spec"]))

    @property
    def job_id(self) -> str:
        return str(self.doc["_id"])

    @property
    def judged_folds(self) -> list[int] | None:
        """The folds the strategy may stop a trial after (None: any, or not known yet)."""
        folds = None if self.strategy is None else self.strategy.judged_folds
        return None if folds is None else list(folds)

    @property
    def wants_reports(self) -> bool:
        """Only strategies that prune (ASHA) need every fold's score stored and judged."""
        return self.strategy is None or type(self.strategy).report is not BaseStrategy.report
