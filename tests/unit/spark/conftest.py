"""One SparkSession (local[2]) for every spark unit test: the JVM starts once per test run."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from zygarde.ml.spark import session


@pytest.fixture(scope="session")
def spark() -> Iterator[Any]:
    spark = session.get(session.SparkConfig("local[2]", "1g", {"spark.sql.shuffle.partitions": "2"}))
    yield spark
    session.stop()


def make_frame(n: int, task: str, seed: int = 0) -> pd.DataFrame:
    """Numbers with gaps, a text column with gaps, a boolean, and a target that depends on them."""
    rng = np.random.default_rng(seed)
    a, b = rng.normal(size=n), rng.normal(size=n)
    c = rng.choice(["red", "green", "blue"], size=n)
    signal = 1.5 * a - b + np.where(c == "red", 1.0, 0.0) + 0.5 * rng.normal(size=n)
    frame = pd.DataFrame({"a": a, "b": b, "c": c, "flag": rng.random(n) < 0.5, "row": np.arange(n)})
    frame.loc[rng.random(n) < 0.05, "a"] = np.nan
    frame.loc[rng.random(n) < 0.05, "c"] = None
    if task == "binary":
        frame["y"] = np.where(signal > 0.3, "yes", "no")
    elif task == "multiclass":
        frame["y"] = np.digitize(signal, [-0.8, 0.8]).astype(int)
    else:
        frame["y"] = 3.0 * signal + 10.0
    return frame


@pytest.fixture(scope="session")
def data_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("spark-data")


def write(root: Path, name: str, frame: pd.DataFrame) -> str:
    path = root / name
    if name.endswith(".csv"):
        frame.to_csv(path, index=False)
    else:
        frame.to_parquet(path, index=False)
    return path.as_uri()
