"""Zygarde: event-driven training of machine-learning models on demand."""

__version__ = "0.1.0"
