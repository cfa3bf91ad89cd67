"""Composition root of the scaler (lag-driven autoscaling of trainers)."""

from __future__ import annotations


def main() -> None:
    from services.scaler.service import run

    run()


if __name__ == "__main__":
    main()
