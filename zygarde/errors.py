"""One root error and a few narrow, documented subclasses.

Policy: a poison message is dead-lettered, a failed fit is data (``TrialFailed``),
an outage of Kafka or MongoDB propagates and the process is restarted.
"""

from __future__ import annotations


class ZygardeError(Exception):
    """Root of every error Zygarde raises on purpose."""


class ConfigError(ZygardeError):
    """The environment holds an invalid setting; raised at start-up."""


class SpecError(ZygardeError):
    """A job spec (or a part of it) is invalid. Carries every reason, not just the first."""

    def __init__(self, reasons: list[str]) -> None:
        super().__init__("; ".join(reasons))
        self.reasons = list(reasons)


class DecodeError(ZygardeError):
    """A message on a topic could not be decoded into one of its declared event types."""


class DatasetError(ZygardeError):
    """A dataset cannot be used: outside the data roots, unreadable, or malformed."""


class ArtifactIntegrityError(ZygardeError):
    """An artifact's bytes do not match the sha256 recorded when it was stored."""


class StackError(ZygardeError):
    """A local-stack component could not be installed or started."""

    def __init__(self, component: str, reason: str, log: str | None = None) -> None:
        where = f" (read {log})" if log else ""
        super().__init__(f"{component}: {reason}{where}")
        self.component = component
        self.reason = reason
        self.log = log


class TrialStopped(ZygardeError):
    """Raised between folds when a trial was cancelled, pruned or ran past its time limit."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason
