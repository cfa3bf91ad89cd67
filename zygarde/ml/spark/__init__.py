"""The distributed trainer engine: Spark MLlib pipelines, cross-validated by Spark itself.

Only this package imports pyspark, and only when a spark job runs: ``catalog`` (names, spaces) and
``rules`` (what the engine supports) import nothing heavy, so the planner validates spark jobs
without a JVM. Modules: ``session`` (one SparkSession per process), ``data`` (confined reads,
holdout, folds), ``preprocessing`` (Spark's own transformers), ``catalog``, ``metrics`` (Spark's
evaluators plus exact SQL aggregates), ``cv`` (a trial and the final refit). See docs/spark.md.
"""

from __future__ import annotations

from types import ModuleType

from zygarde.errors import ZygardeError


class SparkMissing(ZygardeError):
    """pyspark is not installed: the spark engine needs the ``zygarde[spark]`` extra."""


def require() -> ModuleType:
    """``pyspark``, or a clear error saying how to install it."""
    try:
        import pyspark
    except ImportError as exc:  # only the spark engine needs it
        raise SparkMissing("the spark engine needs pyspark: pip install 'zygarde[spark]' (and Java 17)") from exc
    return pyspark
