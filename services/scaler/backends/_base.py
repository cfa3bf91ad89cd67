"""Where trainers run: one small interface, one implementation per platform."""

from __future__ import annotations

from abc import ABC, abstractmethod


class BaseScalerBackend(ABC):
    """A pool of trainers the scaler can count and resize; implementations do no policy."""

    @abstractmethod
    def current(self) -> int:
        """Trainers running now and taking work (as the platform sees them)."""

    @abstractmethod
    def scale_to(self, n: int) -> None:
        """Ask the platform for ``n`` trainers; scale-in drains (SIGTERM) before removing."""

    def billed(self) -> int:
        """Instances a cloud would bill now; draining ones count where the backend knows them."""
        return self.current()

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release what the backend holds."""
