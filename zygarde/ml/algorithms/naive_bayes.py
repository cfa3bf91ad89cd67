"""Gaussian naive Bayes: a fast, well-known classification baseline."""

from __future__ import annotations

from sklearn import naive_bayes

from zygarde.ml.algorithms._base import CLS, Algorithm
from zygarde.ml.space import FloatDim

ALGORITHMS = [
    Algorithm("naive_bayes", CLS, {"var_smoothing": FloatDim(1e-12, 1e-3, log=True)},
              lambda p, t, s: naive_bayes.GaussianNB(var_smoothing=p.get("var_smoothing", 1e-9)),
              description="Gaussian naive Bayes"),
]
