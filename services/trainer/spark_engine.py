"""The trainer's spark engine: one trial cross-validated by Spark MLlib (``engine: spark`` jobs).

pyspark is imported here only when a spark trial arrives; the session starts on the first one and
stays for the trainer's life. A trial's time limit cancels its Spark job group (no forked child:
the JVM is shared), and the failure is reported as a timeout.
"""

from __future__ import annotations

from typing import Any

from services.trainer import isolation
from zygarde import events as ev
from zygarde.ml.cv import CvResult, OnFold
from zygarde.settings import Settings


def run(settings: Settings, trial: ev.TrialRequested, on_fold: OnFold) -> CvResult:
    from zygarde.ml.spark import cv, session

    spark: Any = session.get(session.SparkConfig.from_settings(settings, "zygarde-trainer"))
    source = cv.Source(trial.spec.dataset.uri, tuple(settings.data_root_paths), settings.spark_s3a_roots,
                       settings.spark_max_bytes)
    limit = trial.spec.search.trial_timeout_s
    with session.job_group(spark, f"trial-{trial.trial_id}", limit) as expired:
        try:
            return cv.run_cv(spark, source, trial.spec, trial.task, trial.algorithm, trial.params, trial.seed,
                             on_fold)
        except Exception:
            if expired.is_set() and limit is not None:
                raise isolation.TrialTimeout(limit) from None
            raise
