"""A dataset carrying pickled objects is refused with a reason, and nothing in it is ever unpickled."""

from __future__ import annotations

import os
import pickle
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from zygarde.errors import SpecError
from zygarde.ml.validation import check_job


class Payload:
    """Unpickling this would create ``marker``: proof that something deserialised user data."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple:
        return (os.mkdir, (str(self.marker),))


def test_a_pickle_bearing_column_is_refused_and_never_unpickled(tmp_path: Path) -> None:
    marker = tmp_path / "unpickled"
    rows = 200
    frame = pd.DataFrame({"x": np.arange(rows, dtype=float), "blob": [pickle.dumps(Payload(marker))] * rows,
                          "y": np.arange(rows) % 2})
    path = tmp_path / "data" / "events.parquet"
    path.parent.mkdir()
    frame.to_parquet(path)
    spec = {"dataset": {"uri": path.as_uri(), "target": "y"}, "metric": "roc_auc",
            "algorithms": ["logistic_regression"]}
    with pytest.raises(SpecError) as refused:
        check_job(spec, [path.parent], tmp_path / "cache")
    assert any("'blob'" in reason and "binary" in reason for reason in refused.value.reasons), refused.value.reasons
    assert not marker.exists(), "a value of the dataset was unpickled"
