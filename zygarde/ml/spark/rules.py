"""What the spark engine supports, checked by validation without importing pyspark."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pandas as pd

from zygarde.errors import DatasetError
from zygarde.ml import datasets

METRICS = ("roc_auc", "pr_auc", "logloss", "brier", "f1", "accuracy", "balanced_accuracy",
           "rmse", "mae", "r2", "mape")
CV_STRATEGIES = ("auto", "stratified", "kfold")
IMBALANCE = ("auto", "none", "class_weight")


def reasons(metric: object, cv_strategy: object, imbalance: object, trial_memory_mb: object) -> list[str]:
    """Every part of a spec the spark engine cannot honour, as validation reasons."""
    out = []
    if isinstance(metric, str) and metric not in METRICS:
        out.append(f"metric: {metric} is not available on the spark engine (it offers {', '.join(METRICS)})")
    if isinstance(cv_strategy, str) and cv_strategy not in CV_STRATEGIES:
        out.append(f"cv.strategy: {cv_strategy} is not available on the spark engine "
                   f"(it offers {', '.join(CV_STRATEGIES)})")
    if isinstance(imbalance, str) and imbalance not in IMBALANCE:
        out.append(f"imbalance.strategy: {imbalance} is not available on the spark engine "
                   f"(it offers {', '.join(IMBALANCE)})")
    if trial_memory_mb is not None:
        out.append("search.trial_memory_mb: the spark engine's memory is the JVM's (ZYGARDE_SPARK_DRIVER_MEMORY)"
                   ", not a per-trial limit")
    return out


def _get(doc: Any, *path: str) -> Any:
    for key in path:
        doc = doc.get(key) if isinstance(doc, dict) else None
    return doc


def resolve_engine(raw: dict[str, Any], roots: list[Path], min_bytes: int, max_bytes: int,
                   reasons: list[str]) -> str:
    """The job's engine, ``local`` or ``spark``; appends a reason per algorithm the engine lacks.

    ``spark``/``local`` are taken as asked. ``auto``: algorithms named explicitly decide (``spark_``
    names run on spark; mixing both is refused); with none named, a dataset file of at least
    ``min_bytes`` (``ZYGARDE_SPARK_MIN_BYTES``) goes to spark, anything smaller and builtins stay local.
    """
    from zygarde.ml import algorithms

    items = raw.get("algorithms")
    named = [(i, it if isinstance(it, str) else _get(it, "name")) for i, it in enumerate(items)] \
        if isinstance(items, list) else []
    named = [(i, n) for i, n in named if isinstance(n, str) and (n in algorithms.REGISTRY or n in algorithms.SPARK)]
    asked = raw.get("engine", "auto")
    if asked in ("local", "spark"):
        for i, name in named:
            if algorithms.engine_of(name) != asked:
                reasons.append(f"algorithms.{i}: {name} is not in the {asked} engine's catalog (it offers "
                               f"{', '.join(algorithms.names(engine=asked))})")
        return str(asked)
    engines = {algorithms.engine_of(n) for _, n in named}
    if len(engines) > 1:
        reasons.append("algorithms: local and spark_ algorithms mixed; one job runs on one engine "
                       "(set engine, or name algorithms of one catalog)")
    if engines:
        return engines.pop() if len(engines) == 1 else "local"
    uri = _get(raw, "dataset", "uri")
    if isinstance(uri, str) and uri.startswith("file:"):
        try:
            size = datasets.resolve_path(uri, roots, max_bytes).stat().st_size
        except DatasetError:
            return "local"  # the dataset checks report the reason
        return "spark" if size >= min_bytes else "local"
    return "local"


def light_frame(uri: str, roots: list[Path], raw: dict[str, Any], max_bytes: int) -> tuple[pd.DataFrame, set[str]]:
    """What validation needs of a spark-sized file, without loading it: every column's name, and only
    the target and CV columns' values."""
    if uri.startswith("builtin:"):
        frame = datasets.builtin(uri).load()
        return frame, set(map(str, frame.columns))
    path = datasets.resolve_path(uri, roots, max_bytes)
    wanted = [_get(raw, "dataset", "target"), _get(raw, "cv", "column")]
    try:
        if path.suffix.lower() == ".parquet":
            import pyarrow.parquet as pq

            names = [str(n) for n in pq.read_schema(path).names]
            use = [c for c in wanted if isinstance(c, str) and c in names]
            frame = pq.read_table(path, columns=list(dict.fromkeys(use))).to_pandas()
        else:
            with open(path, newline="", encoding="utf-8", errors="replace") as fh:
                names = next(csv.reader([fh.readline(datasets.MAX_HEADER_BYTES)]), [])
            use = [c for c in wanted if isinstance(c, str) and c in names]
            frame = pd.read_csv(path, usecols=list(dict.fromkeys(use)), low_memory=False)
    except Exception as exc:  # any reader failure is an unreadable dataset
        raise DatasetError(f"dataset: cannot read {path.name}: {type(exc).__name__}: {exc}"[:500]) from exc
    if len(names) > datasets.MAX_COLUMNS:
        raise DatasetError(f"dataset: {len(names)} columns is over the limit of {datasets.MAX_COLUMNS}")
    if not use:  # no target: still count the rows for the size checks
        frame = pd.DataFrame(index=range(_rows(path)))
    return frame, set(names)


def _rows(path: Path) -> int:
    if path.suffix.lower() == ".parquet":
        import pyarrow.parquet as pq

        return int(pq.read_metadata(path).num_rows)
    with open(path, "rb") as fh:
        return max(0, sum(1 for _ in fh) - 1)
