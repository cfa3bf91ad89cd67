"""Warm-start portfolios: per task, a few configurations that together do well across datasets, cheapest
first, which the ``auto`` strategy asks before it searches. Shipped as ``<task>.json`` beside this file and
rebuilt by ``python -m bench.build_portfolio`` (how, and on which datasets: its docstring and
``bench/results/portfolio.md``)."""

from __future__ import annotations

import functools
import json
from importlib import resources
from typing import Any


@functools.cache
def _load(task: str) -> tuple[tuple[str, str], ...]:
    try:
        text = (resources.files(__name__) / f"{task}.json").read_text()
    except (FileNotFoundError, OSError):
        return ()
    doc = json.loads(text)
    return tuple((str(m["algorithm"]), json.dumps(m["params"])) for m in doc.get("members", []))


def members(task: str) -> list[tuple[str, dict[str, Any]]]:
    """The task's portfolio as ``(algorithm, params)``, in the order to try them; [] when none ships."""
    return [(algorithm, json.loads(params)) for algorithm, params in _load(task)]
