"""Local engine vs Spark local[2]: rows per second through one cross-validated trial.

One trial = read the dataset, split off the holdout, 2-fold CV of logistic regression (the same
family on both engines: sklearn's L-BFGS, MLlib's L-BFGS), at 10^5, 10^6 and 10^7 rows of 8
numbers + 1 text column. rows/s = dataset rows / trial wall seconds (loading included: reading is
part of what each engine does differently). Median of ``REPEATS`` runs (one run at 10^7, which
takes minutes per engine on this machine). Writes bench/results/spark_engine.md and .png.
"""

from __future__ import annotations

import gc
import os
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from bench._report import RESULTS, median, write_markdown
from zygarde.events import JobSpec
from zygarde.ml import cv as local_cv
from zygarde.ml import datasets

SIZES = [int(s) for s in os.environ.get("ZYGARDE_BENCH_SPARK_SIZES", "100000,1000000,10000000").split(",")]
REPEATS = 3


def make_dataset(root: Path, n: int, seed: int = 0) -> Path:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, 8)).astype(np.float64)
    cat = rng.choice(np.array(["a", "b", "c", "d"]), size=n)
    logit = x @ np.linspace(-1, 1, 8) + (cat == "a") * 0.7 + rng.normal(size=n)
    frame = pd.DataFrame(x, columns=[f"x{i}" for i in range(8)]).assign(cat=cat, y=(logit > 0).astype(int))
    path = root / f"rows_{n}.parquet"
    frame.to_parquet(path, index=False)
    return path


def _spec(path: Path) -> JobSpec:
    return JobSpec.model_validate({"dataset": {"uri": path.as_uri(), "target": "y"}, "metric": "roc_auc",
                                   "cv": {"folds": 2}})


def local_trial(path: Path) -> float:
    datasets._memory.clear()  # every run reads the file, as a fresh trainer would
    started = time.perf_counter()
    spec = _spec(path)
    frame = datasets._read_file(path)
    train, _ = local_cv.split_holdout(frame, spec.dataset, "binary", 0)
    local_cv.run_cv(spec, "binary", "logistic_regression", {}, train, 0)
    return time.perf_counter() - started


def spark_trial(spark: object, path: Path) -> float:
    from zygarde.ml.spark import cv as spark_cv

    spark_cv._cached = None  # no persisted rows from the previous run
    spark.catalog.clearCache()  # type: ignore[attr-defined]
    started = time.perf_counter()
    spec = _spec(path).model_copy(update={"engine": "spark"})
    spark_cv.run_cv(spark, spark_cv.Source(path.as_uri(), (path.parent,)), spec, "binary",
                    "spark_logistic_regression", {}, 0)
    return time.perf_counter() - started


def main() -> None:
    from zygarde.ml.spark import session

    spark = session.get(session.SparkConfig("local[2]", "6g"))
    rows = []
    measured: dict[str, list[float]] = {"local": [], "spark": []}
    with tempfile.TemporaryDirectory() as tmp:
        for n in SIZES:
            path = make_dataset(Path(tmp), n)
            repeats = REPEATS if n < 10**7 else 1
            local = median([local_trial(path) for _ in range(repeats)])
            gc.collect()
            remote = median([spark_trial(spark, path) for _ in range(repeats)])
            measured["local"].append(n / local)
            measured["spark"].append(n / remote)
            size_mb = path.stat().st_size / 1e6
            rows.append([f"{n:,}", f"{size_mb:,.0f} MB", repeats, f"{local:.1f} s", f"{n / local:,.0f}",
                         f"{remote:.1f} s", f"{n / remote:,.0f}", f"{local / remote:.2f}"])
            print(rows[-1], flush=True)
            path.unlink()
    session.stop()
    faster = [SIZES[i] for i in range(len(SIZES)) if measured["spark"][i] > measured["local"][i]]
    verdict = (f"Spark local[2] overtakes the local engine from {faster[0]:,} rows on."
               if faster else "Spark local[2] never overtakes the local engine on this one machine: ")
    write_markdown("spark_engine", "Trainer engines: local (scikit-learn) vs Spark MLlib local[2]",
                   ["rows", "Parquet file", "runs", "local trial", "local rows/s", "spark trial", "spark rows/s",
                    "spark speed-up"], rows,
                   ["One trial: read, holdout split, 2-fold CV of logistic regression (8 numbers + 1 text "
                    "column, binary). rows/s = dataset rows / trial wall time; medians of the runs shown.",
                    "", "Result: " + verdict + (
                        "" if faster else "on 2 cores Spark pays its per-job scheduling and JVM/Python "
                        "serialisation on every L-BFGS iteration, while sklearn does the same arithmetic in "
                        "one process. What Spark buys is scale beyond one machine's memory (the local "
                        "engine holds the whole frame, several copies, in RAM) and more cores than one "
                        "host has."),
                    "", "Where `auto` should switch: by bytes, not speed, on a single host. Keep the default "
                    "ZYGARDE_SPARK_MIN_BYTES = 1 GiB (a Parquet file of roughly 10^8 such rows, a pandas "
                    "frame of ~8 GiB before the CV copies): below it the local engine is faster here; above "
                    "it a trainer risks running out of memory, and a Spark cluster (spark://, k8s://) adds "
                    "cores. With a cluster master, lower it to where the cluster's rows/s beat one trainer's."])
    _plot(measured)


def _plot(measured: dict[str, list[float]]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4))
    for name, values in measured.items():
        ax.plot(SIZES[:len(values)], values, marker="o", label="local engine" if name == "local" else "Spark local[2]")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("rows in the dataset")
    ax.set_ylabel("rows / second (one 2-fold CV trial)")
    ax.set_title("Trainer engines: throughput by dataset size")
    ax.legend()
    fig.savefig(RESULTS / "spark_engine.png", dpi=100, bbox_inches="tight")


if __name__ == "__main__":
    main()
