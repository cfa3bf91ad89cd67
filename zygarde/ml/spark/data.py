"""Datasets for the spark engine: read by Spark from paths inside the data roots, never collected.

``file://`` URIs go through the same confinement as the local engine (``datasets.resolve_path``,
with the spark engine's own size ceiling); ``s3a://`` URIs only under the configured roots.
The holdout and the CV folds come from a seeded 64-bit hash of each row's content, ranked within
each class (classification) and hash bucket: both are exact-proportion stratified splits, the same
on every machine and for any partitioning, so trainers and the selector agree without a shuffle seed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

from zygarde.errors import DatasetError
from zygarde.events import JobSpec
from zygarde.ml import datasets
from zygarde.ml.estimator import _POSITIVE_WORDS

BUCKETS = 16  # rank within (class, bucket): per-class folds differ by at most this many rows
HOLDOUT, FOLD, LABEL, WEIGHT, KEY = "__holdout", "__fold", "label", "__weight", "__key"


def resolve(uri: str, roots: list[Path], s3a_roots: str = "", max_bytes: int = 1024**4) -> str:
    """The path Spark reads for ``uri``; DatasetError when it is outside the roots or not CSV/Parquet."""
    if uri.startswith("s3a://"):
        allowed = [r.rstrip("/") + "/" for r in s3a_roots.split(",") if r.strip()]
        if not allowed:
            raise DatasetError("dataset.uri: s3a:// needs ZYGARDE_SPARK_S3A_ROOTS (none configured)")
        parts = PurePosixPath(uri.removeprefix("s3a://")).parts
        if ".." in parts or "." in parts or not any(uri.startswith(r) for r in allowed):
            raise DatasetError(f"dataset.uri: {uri} is outside the s3a roots")
        if PurePosixPath(uri).suffix.lower() not in datasets.EXTENSIONS:
            raise DatasetError("dataset.uri: s3a objects must be .csv or .parquet")
        return uri
    return str(datasets.resolve_path(uri, roots, max_bytes))


def read(spark: Any, uri: str, roots: list[Path], s3a_roots: str = "", max_bytes: int = 1024**4) -> Any:
    """A Spark DataFrame of the dataset (builtins, which are small, go through pandas)."""
    if uri.startswith("builtin:"):
        return spark.createDataFrame(datasets.builtin(uri).load())
    path = resolve(uri, roots, s3a_roots, max_bytes)
    try:
        if path.lower().endswith(".parquet"):
            return spark.read.parquet(path)
        return spark.read.option("header", True).option("inferSchema", True).csv(path)
    except Exception as exc:  # any reader failure is an unreadable dataset
        raise DatasetError(f"dataset: cannot read {PurePosixPath(path).name}: {str(exc)[:300]}") from exc


@dataclass
class Prepared:
    """The rows with a target, a ``label`` column (0/1, class index or value), holdout and fold flags."""

    frame: Any
    features: list[str]
    task: str
    labels: list[Any] = field(default_factory=list)  # class values, index = label (classification)
    positive: Any = None  # the positive class of a binary task
    weights: bool = False

    def meta(self) -> dict[str, Any]:
        return {"task": self.task, "features": self.features, "labels": [_plain(v) for v in self.labels],
                "positive": _plain(self.positive)}


def _plain(value: Any) -> Any:
    return value.item() if hasattr(value, "item") else value


def positive_of(counts: dict[Any, int]) -> Any:
    """``estimator.positive_label`` from class counts (which is all it looks at), without the rows."""
    values = list(counts)
    if set(values) <= {0, 1} or set(values) <= {-1, 1}:
        return max(values)
    words = {str(v).strip().lower(): v for v in values}
    for word in _POSITIVE_WORDS:
        if word in words:
            return words[word]
    rarest = min(counts.values())
    return sorted((v for v in values if counts[v] == rarest), key=str)[-1]


def label_expr(target: str, task: str, labels: list[Any], positive: Any) -> Any:
    """The ``label`` column: 0/1 for binary (1 = positive), the class's index for multiclass."""
    from pyspark.sql import functions as F

    col = F.col(f"`{target.replace('`', '``')}`")
    if task == "regression":
        return col.cast("double")
    if task == "binary":
        return (col == F.lit(positive)).cast("double")
    mapping = F.create_map(*[x for i, v in enumerate(labels) for x in (F.lit(v), F.lit(float(i)))])
    return mapping[col]


def prepare(df: Any, spec: JobSpec, task: str, seed: int, weights: bool = False) -> Prepared:
    """Label, deterministic stratified holdout flag and fold number (training rows only)."""
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    target = spec.dataset.target
    qt = f"`{target.replace('`', '``')}`"
    df = df.where(F.col(qt).isNotNull())
    features = [c for c in df.columns if c != target and c not in spec.dataset.drop]
    labels: list[Any] = []
    positive = None
    counts: dict[Any, int] = {}
    if task != "regression":
        counts = {r[0]: int(r[1]) for r in df.groupBy(F.col(qt)).count().collect()}  # one row per class
        labels = sorted(counts, key=str)
        if task == "binary":
            positive = positive_of(counts)
    frame = df.withColumn(LABEL, label_expr(target, task, labels, positive))
    frame = frame.withColumn(KEY, F.xxhash64(F.lit(seed), *[F.col(f"`{c.replace('`', '``')}`") for c in df.columns]))
    bucket = F.pmod(F.col(KEY), F.lit(BUCKETS))
    parts = [LABEL, bucket] if task != "regression" else [bucket]
    rank = F.row_number().over(Window.partitionBy(*parts).orderBy(KEY))
    h, k = spec.dataset.holdout, spec.cv.folds
    # every 1/h-th row in rank order is held out: exactly h of each (class, bucket), up to rounding
    frame = frame.withColumn("__rank", rank).withColumn(
        HOLDOUT, F.floor(F.col("__rank") * h) > F.floor((F.col("__rank") - 1) * h))
    train_rank = F.col("__rank") - F.floor(F.col("__rank") * h)
    frame = frame.withColumn(FOLD, F.pmod(train_rank - 1 + bucket, F.lit(k)).cast("int")).drop("__rank")
    if weights and task != "regression":
        n, n_classes = sum(counts.values()), len(counts)
        w = F.create_map(*[x for i, v in enumerate(labels) for x in (F.lit(float(i)),
                                                                   F.lit(n / (n_classes * counts[v])))])
        frame = frame.withColumn(WEIGHT, w[F.col(LABEL)])
    return Prepared(frame, features, task, labels, positive, weights and task != "regression")
