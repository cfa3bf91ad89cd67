"""Where trainers run: one small interface, one implementation per platform."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Collection


class BaseScalerBackend(ABC):
    """A pool of trainers the scaler can count and resize; implementations do no policy."""

    # Whether ``scale_to`` stops idle trainers before busy ones when told which are ``busy``. The scaler's
    # surplus rule (stop the trainers no trial needs while others finish the last ones) runs only where it
    # is true: a busy trainer stopped instead finishes its trial before it goes, and costs more than it saves.
    # Kubernetes can follow with the pod-deletion-cost annotation (controller.kubernetes.io/pod-deletion-cost:
    # a ReplicaSet deletes the lowest-cost pods first), an Auto Scaling group with scale-in protection on
    # the busy instances.
    picks_idle: bool = False

    @abstractmethod
    def current(self) -> int:
        """Trainers running now and taking work (as the platform sees them)."""

    @abstractmethod
    def scale_to(self, n: int, busy: Collection[str] | None = None) -> None:
        """Ask the platform for ``n`` trainers; scale-in drains (SIGTERM) before removing. ``busy``: the
        worker ids (a trainer's ``hostname-pid``, or ``ZYGARDE_TRAINER_WORKER_ID``) running a trial now;
        a backend that ``picks_idle`` stops the others first."""

    def billed(self) -> int:
        """Instances a cloud would bill now; draining ones count where the backend knows them."""
        return self.current()

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release what the backend holds."""


def host_of(worker: str) -> str:
    """The host part of a default worker id (``hostname-pid``): a container's hostname."""
    return worker.rsplit("-", 1)[0]
