"""Out-of-fold predictions: each training row predicted by the one fold model that did not see it.

A trial's cross-validation keeps them (:class:`OutOfFold`) when asked; the trainer stores them as
``<artifacts>/<job_id>/oof/<trial_id>.<attempt>.npy`` (float32, plain ``.npy``: never a pickle) with
their sha256, and the selector's greedy ensemble selection reads them back (:func:`load`, only from
the artifact store and only when the bytes match the hash). Rows are in the order of
``cv.prepare(train).frame``: the same for every trial of a job, as the folds are.

What is kept per row: the positive-class probability (binary), every class's probability in sorted
class order (multiclass), or the predicted value (regression). A repeated CV predicts a row once per
repeat: the mean is kept. A split that leaves a row unpredicted (a time-series split never predicts
its first block) keeps nothing.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import re
from typing import Any

import numpy as np

from zygarde.errors import ArtifactIntegrityError
from zygarde.registry.stores import ArtifactStore, open_store

_NAME = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9._-]{0,199}")


class OutOfFold:
    """Sums each row's fold predictions; :meth:`result` is their mean, or None when a row has none."""

    def __init__(self, rows: int, task: str, classes: Any = None) -> None:
        self.task = task
        self.classes = None if classes is None else list(np.asarray(classes).tolist())
        width = len(self.classes) if task == "multiclass" and self.classes is not None else 0
        self.sums = np.zeros((rows, width) if width else rows, dtype=np.float64)
        self.counts = np.zeros(rows, dtype=np.int32)

    @staticmethod
    def possible(model: Any, task: str) -> bool:
        """Whether ``model`` gives what is kept: probabilities for classification (a margin model has
        none, and margins of different models cannot be averaged)."""
        return task == "regression" or hasattr(model, "predict_proba")

    @staticmethod
    def output(model: Any, X: Any, task: str) -> np.ndarray:
        """The model's raw output on ``X``: ``predict`` (regression) or ``predict_proba``."""
        return np.asarray(model.predict(X) if task == "regression" else model.predict_proba(X))

    def add(self, rows: np.ndarray, output: np.ndarray, model_classes: Any = None) -> None:
        """One fold's raw output for its test ``rows`` (positions in the training part)."""
        if self.task == "regression":
            self.sums[rows] += output.astype(np.float64)
        elif self.task == "binary":
            self.sums[rows] += output[:, 1]  # classes_ = [negative, positive]
        else:
            own = list(np.asarray(model_classes).tolist())
            if own == self.classes:
                self.sums[rows] += output
            else:  # a fold without some rare class: its columns go where the class belongs
                assert self.classes is not None
                cols = np.array([self.classes.index(label) for label in own], dtype=np.intp)
                self.sums[np.ix_(rows, cols)] += output
        self.counts[rows] += 1

    def result(self) -> np.ndarray | None:
        if len(self.counts) == 0 or not self.counts.all():
            return None
        counts = self.counts if self.sums.ndim == 1 else self.counts[:, None]
        return (self.sums / counts).astype(np.float32)


def store(root_uri: str | ArtifactStore, job_id: str, trial_id: str, attempt: int,
          predictions: np.ndarray) -> tuple[str, str]:
    """Write ``predictions`` (float32 ``.npy``) under the job's key in the store; returns (uri, sha256)."""
    for part in (job_id, trial_id):
        if not _NAME.fullmatch(part) or part in (".", ".."):
            raise ArtifactIntegrityError(f"{part[:50]!r} cannot name a file in the artifact store")
    buf = io.BytesIO()
    np.save(buf, np.ascontiguousarray(predictions, dtype=np.float32), allow_pickle=False)
    data = buf.getvalue()
    uri = open_store(root_uri).put(f"{job_id}/oof/{trial_id}.{int(attempt)}.npy", data)
    return uri, hashlib.sha256(data).hexdigest()


def load(root_uri: str | ArtifactStore, uri: str, sha256: str | None) -> np.ndarray:
    """Predictions stored by :func:`store`: from the artifact store only, once the bytes match
    ``sha256``, as a plain array (``allow_pickle=False``)."""
    source = open_store(root_uri)
    if not uri.endswith(".npy"):
        raise ArtifactIntegrityError(f"{uri} is not an .npy file in the artifact store {source.root_uri}")
    key = source.key_of(uri)
    if not sha256:
        raise ArtifactIntegrityError(f"{uri}: no sha256 recorded, refusing to load")
    data = source.get(key)
    if not hmac.compare_digest(hashlib.sha256(data).hexdigest(), sha256):
        raise ArtifactIntegrityError(f"{uri}: sha256 mismatch: changed after it was stored; refusing to load it")
    array: np.ndarray = np.load(io.BytesIO(data), allow_pickle=False)
    if array.dtype != np.float32:
        raise ArtifactIntegrityError(f"{uri}: expected float32 predictions, found {array.dtype}")
    return array
