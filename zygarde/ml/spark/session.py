"""One SparkSession per process, configured from settings (``ZYGARDE_SPARK_*``).

The JVM starts in seconds, so a trainer starts it on its first spark trial and keeps it; every
trial runs in its own job group, which a timer can cancel when the trial runs past its limit.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from zygarde.ml.spark import require

_lock = threading.Lock()
_session: Any = None


@dataclass(frozen=True)
class SparkConfig:
    """Where and how Spark runs; ``conf`` takes any other ``spark.*`` setting."""

    master: str = "local[2]"
    driver_memory: str = "2g"
    conf: dict[str, str] = field(default_factory=dict)
    app_name: str = "zygarde"

    @classmethod
    def from_settings(cls, settings: Any, app_name: str = "zygarde") -> SparkConfig:
        return cls(settings.spark_master, settings.spark_driver_memory, dict(settings.spark_conf), app_name)

    def partitions(self) -> int:
        """2 per core of a ``local[N]`` master (``local[*]``: 8), 64 on a cluster."""
        if self.master.startswith("local"):
            inside = self.master.partition("[")[2].rstrip("]").split(",")[0]
            return 2 * int(inside) if inside.isdigit() else 8
        return 64

    def options(self) -> dict[str, str]:
        opts = {
            "spark.driver.memory": self.driver_memory,
            "spark.ui.enabled": "false",
            "spark.sql.session.timeZone": "UTC",
            # a few partitions per core: a trial's shuffles (folds, metrics) are small next to its scans
            "spark.sql.shuffle.partitions": str(self.partitions()),
            "spark.sql.execution.arrow.pyspark.enabled": "true",
        }
        opts.update(self.conf)
        return opts


def get(config: SparkConfig | None = None) -> Any:
    """The process's SparkSession, started on first use with ``config``."""
    global _session
    require()
    from pyspark.sql import SparkSession

    with _lock:
        if _session is None or _session.sparkContext._jsc is None:
            config = config or SparkConfig()
            builder = SparkSession.builder.master(config.master).appName(config.app_name)
            for key, value in config.options().items():
                builder = builder.config(key, value)
            _session = builder.getOrCreate()
            _session.sparkContext.setLogLevel("ERROR")
        return _session


def stop() -> None:
    """Stop the process's session (tests and benchmarks; services keep theirs)."""
    global _session
    with _lock:
        if _session is not None:
            _session.stop()
            _session = None


@contextmanager
def job_group(spark: Any, group: str, timeout_s: float | None = None) -> Iterator[threading.Event]:
    """Run Spark jobs under ``group``; past ``timeout_s`` they are cancelled and the event is set."""
    expired = threading.Event()
    sc = spark.sparkContext
    sc.setJobGroup(group, group, interruptOnCancel=True)

    def cancel() -> None:
        expired.set()
        sc.cancelJobGroup(group)

    timer = threading.Timer(timeout_s, cancel) if timeout_s else None
    if timer is not None:
        timer.daemon = True
        timer.start()
    try:
        yield expired
    finally:
        if timer is not None:
            timer.cancel()
        sc.setLocalProperty("spark.jobGroup.id", None)
