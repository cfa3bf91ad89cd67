"""Which open trials this planner watches: the attempt it requested last and the last heartbeat it saw.

A trial whose trainer stops heart-beating for a lease is handed out again (``Planner.recover_lost_trials``);
this object only remembers, it reads and writes nothing.
"""

from __future__ import annotations

from collections.abc import Callable


class LeaseTracker:
    def __init__(self, clock: Callable[[], float], lease_s: float) -> None:
        self.clock = clock
        self.lease_s = lease_s
        self.beats: dict[str, float] = {}  # open trial -> when this planner last saw its heartbeat
        self.attempts: dict[str, int] = {}  # open trial -> the attempt this planner requested last

    def beat(self, trial_id: str) -> None:
        self.beats[trial_id] = self.clock()

    def renewal_due(self, trial_id: str) -> bool:
        """Whether a progress message should renew the stored lease now; renewing more often than a
        third of a lease (at most every second) buys nothing."""
        now = self.clock()
        if now - self.beats.get(trial_id, 0.0) >= min(1.0, self.lease_s / 3):
            self.beats[trial_id] = now
            return True
        return False

    def requested(self, trial_id: str, attempt: int) -> None:
        self.attempts[trial_id] = attempt

    def is_current(self, trial_id: str, attempt: int) -> bool:
        """A trial this planner requested in this very attempt is known open (forgotten when it closes)."""
        return self.attempts.get(trial_id) == attempt

    def known(self, trial_id: str, attempt: int) -> None:
        """A stored open trial found when a job is rebuilt: the attempt it is in."""
        self.attempts.setdefault(trial_id, attempt)

    def watch(self, trial_id: str) -> None:
        """A stored running trial found when a job is rebuilt: a lease from now, if none beats."""
        self.beats.setdefault(trial_id, self.clock())

    def expired(self) -> list[str]:
        """The watched trials whose last heartbeat this planner saw a lease ago."""
        now = self.clock()
        return [t for t, beat in self.beats.items() if now - beat >= self.lease_s]

    def look_later(self, trial_id: str) -> None:
        """Renewed elsewhere or handed out again: look a lease later."""
        self.beats[trial_id] = self.clock()

    def new_lease(self, trial_id: str) -> None:
        """The next attempt's heartbeats start a new lease."""
        self.beats.pop(trial_id, None)

    def watching(self, trial_id: str) -> bool:
        return trial_id in self.beats

    def of_job(self, job_id: str) -> list[str]:
        return [t for t in self.attempts if t.startswith(f"{job_id}-")]

    def forget(self, trial_id: str) -> None:
        self.beats.pop(trial_id, None)
        self.attempts.pop(trial_id, None)
