"""Where trainers run: one small interface, one implementation per platform."""

from __future__ import annotations

from abc import ABC, abstractmethod


class BaseScalerBackend(ABC):
    @abstractmethod
    def current(self) -> int:
        """Trainers running now (as the platform sees them)."""

    @abstractmethod
    def scale_to(self, n: int) -> None:
        """Ask the platform for ``n`` trainers; scale-in drains (SIGTERM) before removing."""

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release what the backend holds."""
