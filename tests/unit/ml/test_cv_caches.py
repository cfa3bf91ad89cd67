"""The trainer's per-trial shortcuts change nothing but the time: same split, same thread limits."""

from __future__ import annotations

import sys
import types

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_info

from zygarde.events import DatasetSpec
from zygarde.ml import cv


def frame(rows: int = 200) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    return pd.DataFrame({"x": rng.normal(size=rows), "y": rng.integers(0, 2, size=rows)})


def test_train_part_is_the_holdout_split_and_is_reused() -> None:
    data, spec = frame(), DatasetSpec(uri="builtin:breast_cancer", target="y")
    first = cv.train_part(data, spec, "binary", 7)
    pd.testing.assert_frame_equal(first, cv.split_holdout(data, spec, "binary", 7)[0])
    assert cv.train_part(data, spec, "binary", 7) is first, "the same frame and seed reuse the split"
    assert not cv.train_part(data, spec, "binary", 8).index.equals(first.index), "another seed, another split"
    copy = data.copy()
    assert cv.train_part(copy, spec, "binary", 7) is not first, "another frame is split again"


def test_fits_run_with_one_thread_and_the_library_scan_is_kept() -> None:
    controller = cv.threadpools()
    assert cv.threadpools() is controller
    with cv.quiet([]):
        limited = [lib["num_threads"] for lib in threadpool_info()]
    assert limited and set(limited) == {cv.THREADS}
    sys.modules["zygarde_test_fake_module"] = types.ModuleType("zygarde_test_fake_module")
    try:
        assert cv.threadpools() is not controller, "a new import rescans the loaded libraries"
    finally:
        del sys.modules["zygarde_test_fake_module"]
